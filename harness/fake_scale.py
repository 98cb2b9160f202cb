"""A fake scale on a real pseudo-terminal, speaking each protocol's bytes."""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import tty
from pathlib import Path

from fairpos.scale.frames import ACK, CR, DC1, ENQ, EOT, ETX, SOH, STX, cas_bcc


def toledo_frame(grams: int, state: str, net: bool = False) -> bytes:
    if state == "stable":
        return bytes([STX]) + f"{grams / 1000:06.3f}".encode() + bytes([CR])
    status = {"unstable": 0x01, "overload": 0x02, "under_zero": 0x04}[state] | 0x40
    return bytes([STX]) + b"?" + bytes([status | (0x20 if net else 0), CR])


def sics_frame(grams: int, state: str, net: bool = False) -> bytes:
    if state == "overload":
        return b"S +\r\n"
    if state == "under_zero":
        return b"S -\r\n"
    flag = "S" if state == "stable" else "D"
    return f"S {flag} {grams / 1000:10.3f} kg\r\n".encode()


def cas_frame(grams: int, state: str, net: bool = False) -> bytes:
    status = {"stable": "S", "unstable": "U", "overload": "F"}.get(state, "S")
    sign = "-" if state == "under_zero" else " "
    data = f"{status}{sign}{grams / 1000:06.3f}kg".encode()
    return bytes([SOH, STX]) + data + bytes([cas_bcc(data), ETX, EOT])


def continuous_frame(grams: int, state: str, net: bool = False) -> bytes:
    head = {"stable": "ST", "unstable": "US", "overload": "OL"}.get(state, "ST")
    sign = "-" if state == "under_zero" else "+"
    return f"{head},{'NT' if net else 'GS'},{sign}{grams / 1000:8.3f} kg\r\n".encode()


def sma_frame(grams: int, state: str, net: bool = False, unit: str = "kg",
              status: str = "") -> bytes:
    """An SMA frame of ``grams`` shown in ``unit`` (kg, g, lb to 0.005, oz to 0.1); ``status``
    forces the status byte (``E``, ``I``, ``T`` show dashes)."""
    shown = {"kg": f"{grams / 1000:.3f}", "g": f"{grams}",
             "lb": f"{round(grams / 453.59237 / 0.005) * 0.005:.3f}",
             "oz": f"{grams / 28.349523125:.1f}"}[unit]
    status = status or {"overload": "O", "under_zero": "U"}.get(state, "Z" if not grams else " ")
    if status in "OU":
        shown = ("-" if status == "U" else "") + shown
    if status in "EIT":
        shown = "-" * 10
    motion = "M" if state == "unstable" else " "
    return f"\n{status}1{'N' if net else 'G'}{motion} {shown:>10}{unit:<3}\r".encode()


def magellan_frame(grams: int, state: str, net: bool = False, unit: str = "kg",
                   head: str = "S11") -> bytes:
    """A Magellan scanner-scale's answer: ``head`` (S11, or S144 to a status request) and
    the weight's digits when it is stable and not zero (grams, or hundredths of a pound),
    its status otherwise."""
    if state == "stable" and grams:
        digits = round(grams / 4.5359237) if unit == "lb" else grams
        return f"{head}{digits:0{5 if digits > 9999 else 4}d}\r".encode()
    status = {"unstable": "1", "overload": "2", "under_zero": "5"}.get(state, "3")
    return f"S14{status}\r".encode()


FRAMES = {"toledo8217": toledo_frame, "sics": sics_frame, "cas": cas_frame,
          "continuous": continuous_frame, "sma": sma_frame, "magellan": magellan_frame}


class FakeScale:
    def __init__(self, protocol: str, grams: int = 1250, state: str = "stable",
                 link: Path | None = None) -> None:
        """``link``: a path made to point at the pty, as udev names a USB-serial adapter
        (``/dev/ttyUSB0``); unplugging removes it, so a reused pty number is never found."""
        self.protocol = protocol
        self.grams, self.state = grams, state  # what lies on it, and how it shows it
        self.commands = bytearray()
        self.tare = 0  # the tare the scale itself holds (its frames are net of it)
        self.unit = "kg"  # what an SMA scale shows its weights in (kg, g, lb, oz)
        # zero, tare or clear_tare → what the scale answers instead of doing it: a SICS status
        # ("I", "L", "+"), "ES", the 8217's status byte, or "silent" (no answer at all)
        self.refuse: dict[str, str | int] = {}
        self._line = b""
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.link = link
        if link is not None:
            link.symlink_to(self.path)
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def frame(self, status: str = "") -> bytes:
        shown = self.grams - self.tare
        if self.protocol == "magellan":
            if shown < 0 and self.state == "stable":
                return magellan_frame(-shown, "under_zero", unit=self.unit)
            return magellan_frame(shown, self.state, unit=self.unit, head=status or "S11")
        if self.protocol == "sma":
            if shown < 0 and self.state == "stable":
                return sma_frame(-shown, "under_zero", bool(self.tare), self.unit)
            return sma_frame(shown, self.state, bool(self.tare), self.unit, status)
        if shown < 0 and self.state == "stable":
            return FRAMES[self.protocol](-shown, "under_zero", bool(self.tare))
        return FRAMES[self.protocol](shown, self.state, bool(self.tare))

    def _serve(self) -> None:
        while self._running:
            if self.protocol == "continuous":
                try:
                    os.write(self.master, self.frame())
                except OSError:
                    return
            ready, _w, _x = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 256)
            except OSError:
                return
            self._answer(data)

    def _answer(self, data: bytes) -> None:
        """Answer a request for a weight, and zero, tare and clear tare as each protocol
        does; any other bytes are kept in ``commands``."""
        answer = {"toledo8217": self._toledo_bytes, "cas": self._cas_bytes,
                  "sma": self._sma_lines, "magellan": self._magellan_lines}.get(
            self.protocol, self._crlf_lines)
        for reply in answer(data):
            if reply:
                os.write(self.master, reply)

    def _toledo_bytes(self, data: bytes) -> list[bytes]:
        replies = []
        for byte in data:
            if byte == ord("W"):
                replies.append(self.frame())
                continue
            self.commands.append(byte)
            name = {ord("Z"): "zero", ord("T"): "tare", ord("C"): "clear_tare"}.get(byte)
            if name is not None:
                replies.append(self._command(name))
        return replies

    def _cas_bytes(self, data: bytes) -> list[bytes]:
        replies = []
        for byte in data:
            if byte == ENQ:
                replies.append(bytes([ACK]))
            elif byte == DC1:
                replies.append(self.frame())
            else:
                self.commands.append(byte)  # the dialogue has no commands: ignored
        return replies

    def _sma_lines(self, data: bytes) -> list[bytes]:
        self._line += data
        *lines, self._line = self._line.split(b"\r")
        replies = []
        for line in (raw.lstrip(b"\n") for raw in lines):
            if line == b"W":
                replies.append(self.frame())
                continue
            self.commands += line + b"\r"
            name = {b"Z": "zero", b"T": "tare", b"C": "clear_tare"}.get(line)
            replies.append(b"\n?\r" if name is None else self._command(name))
        return replies

    def _magellan_lines(self, data: bytes) -> list[bytes]:
        """SCIP: S11 (the weight), S14 (the status), S334 (a beep); others are kept."""
        self._line += data
        *lines, self._line = self._line.split(b"\r")
        replies = []
        for line in lines:
            if line == b"S11":
                replies.append(self.frame())
            elif line == b"S14":
                replies.append(self.frame("S144"))
            else:
                self.commands += line + b"\r"
        return replies

    def scan(self, code: str, symbology: str = "F") -> None:
        """A barcode read at a scanner-scale: sent unasked, as its own frame."""
        os.write(self.master, f"S08{symbology}{code}\r".encode())

    def _crlf_lines(self, data: bytes) -> list[bytes]:
        self._line += data
        *lines, self._line = self._line.split(b"\r\n")
        replies = []
        for line in lines:
            if line == b"SI" and self.protocol == "sics":
                replies.append(self.frame())
                continue
            self.commands += line + b"\r\n"
            names = {b"Z": "zero", b"T": "tare", b"TAC": "clear_tare", b"C": "clear_tare"}
            name = names.get(line)
            if name is None:
                replies.append(b"ES\r\n" if self.protocol == "sics" else b"")
            else:
                replies.append(self._command(name))
        return replies

    def _command(self, name: str) -> bytes:
        """Do zero, tare or clear tare unless told to refuse it; the protocol's answer."""
        refusal = self.refuse.get(name)
        if refusal == "silent":
            return b""
        if refusal is None and name != "zero" and self.state != "stable":
            refusal = {"sics": "I", "sma": "M"}.get(self.protocol, 0x41)  # moving: not now
        if refusal is None:
            if name == "tare":
                self.tare = self.grams
            elif name == "clear_tare":
                self.tare = 0
        answer = {"toledo8217": self._toledo_answer, "sics": self._sics_answer,
                  "sma": self._sma_answer}.get(self.protocol)
        return b"" if answer is None else answer(name, refusal)  # (a stream shows it)

    def _toledo_answer(self, name: str, refusal: str | int | None) -> bytes:
        status = 0x40 | (0x20 if self.tare else 0)
        if refusal is not None:
            status = int(refusal) | (0x20 if self.tare else 0)
        elif name == "zero":
            status |= 0x10  # centre of zero
        return bytes([STX]) + b"?" + bytes([status, CR])

    def _sics_answer(self, name: str, refusal: str | int | None) -> bytes:
        head = {"zero": "Z", "tare": "T", "clear_tare": "TAC"}[name]
        if refusal is not None:
            return b"ES\r\n" if refusal == "ES" else f"{head} {refusal}\r\n".encode()
        if name == "tare":
            return f"T S {self.tare / 1000:10.3f} kg\r\n".encode()
        return f"{head} A\r\n".encode()

    def _sma_answer(self, name: str, refusal: str | int | None) -> bytes:
        """The frame after the command, or its error status (``?``: not understood)."""
        if refusal == "?":
            return b"\n?\r"
        if refusal == "M":
            return self.frame()  # (moving: the frame says so)
        if refusal is not None:
            return self.frame(str(refusal))
        return self.frame("Z" if name == "zero" else "")

    def line_settings(self) -> tuple[int, int, str, int]:
        """(baud, data bits, parity, stop bits) the program set on the line."""
        _i, _o, cflag, _l, ispeed, _os, _cc = termios.tcgetattr(self.slave)
        bauds = {getattr(termios, f"B{b}"): b for b in (1200, 2400, 4800, 9600, 19200, 38400)}
        bits = {termios.CS7: 7, termios.CS8: 8}[cflag & termios.CSIZE]
        parity = "N" if not cflag & termios.PARENB else ("O" if cflag & termios.PARODD else "E")
        return bauds[ispeed], bits, parity, 2 if cflag & termios.CSTOPB else 1

    def unplug(self) -> None:
        if self.master < 0:
            return  # already unplugged: its descriptor numbers may belong to others by now
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        self._running = False
        self._thread.join(timeout=1)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1
