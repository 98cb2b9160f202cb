"""ESC/POS bytes → readable text, for golden files a reviewer can read next to the bytes."""

from __future__ import annotations

COMMANDS = {  # prefix → (name, number of argument bytes)
    b"\x1b@": ("INIT", 0), b"\x1bt": ("CODEPAGE", 1), b"\x1b!": ("MODE", 1),
    b"\x1bE": ("BOLD", 1), b"\x1ba": ("ALIGN", 1), b"\x1bd": ("FEED", 1),
    b"\x1dV": ("CUT", 1), b"\x1bp": ("DRAWER", 3), b"\x1d!": ("SIZE", 1),
    b"\x1dh": ("BARCODE_HEIGHT", 1), b"\x1dw": ("BARCODE_WIDTH", 1), b"\x1dH": ("HRI", 1),
    b"\x1df": ("HRI_FONT", 1),
}
# GS k m (function A): the symbology, then the data up to a NUL
SYMBOLOGIES = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF",
               6: "CODABAR"}


def decode(data: bytes, codepage: str = "cp858") -> str:
    out: list[str] = []
    text = bytearray()
    i = 0

    def flush() -> None:
        if text:
            out.append(text.decode(codepage))
            text.clear()

    while i < len(data):
        for prefix, (name, size) in COMMANDS.items():
            if data.startswith(prefix, i):
                flush()
                args = data[i + len(prefix):i + len(prefix) + size]
                out.append(f"[{name}{' ' + args.hex() if size else ''}]")
                i += len(prefix) + size
                break
        else:
            if data.startswith(b"\x1dk", i) and data[i + 2] in SYMBOLOGIES:
                flush()
                end = data.index(b"\x00", i + 3)
                out.append(f"[{SYMBOLOGIES[data[i + 2]]} {data[i + 3:end].decode('ascii')}]")
                i = end + 1
            elif data.startswith(b"\x1d(k", i):  # a QR code function: 2 length bytes follow
                flush()
                length = data[i + 3] + 256 * data[i + 4]
                body = data[i + 5:i + 5 + length]
                if body[:2] == b"1P":
                    out.append(f"[QR {body[3:].decode('ascii')}]")
                i += 5 + length
            elif data[i] < 0x20 and data[i] != 0x0A:
                flush()
                out.append(f"[{data[i]:02x}]")
                i += 1
            else:
                text.append(data[i])
                i += 1
    flush()
    return "".join(out)


def barcodes(data: bytes) -> list[str]:
    """The codes a scanner would read off the paper: every barcode printed, in order."""
    return [part.split(" ", 1)[1] for part in
            (piece.split("]", 1)[0] for piece in decode(data).split("[")[1:])
            if part.split(" ", 1)[0] in SYMBOLOGIES.values()]
