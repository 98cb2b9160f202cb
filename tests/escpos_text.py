"""ESC/POS bytes → readable text, for golden files a reviewer can read next to the bytes."""

from __future__ import annotations

COMMANDS = {  # prefix → (name, number of argument bytes)
    b"\x1b@": ("INIT", 0), b"\x1bt": ("CODEPAGE", 1), b"\x1b!": ("MODE", 1),
    b"\x1bE": ("BOLD", 1), b"\x1ba": ("ALIGN", 1), b"\x1bd": ("FEED", 1),
    b"\x1dV": ("CUT", 1), b"\x1bp": ("DRAWER", 3), b"\x1d!": ("SIZE", 1),
}


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
            if data.startswith(b"\x1d(k", i):  # a QR code function: 2 length bytes follow
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
