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


def toledo_frame(grams: int, state: str) -> bytes:
    if state == "stable":
        return bytes([STX]) + f"{grams / 1000:06.3f}".encode() + bytes([CR])
    status = {"unstable": 0x01, "overload": 0x02, "under_zero": 0x04}[state] | 0x20
    return bytes([STX]) + b"?" + bytes([status, CR])


def sics_frame(grams: int, state: str) -> bytes:
    if state == "overload":
        return b"S +\r\n"
    if state == "under_zero":
        return b"S -\r\n"
    flag = "S" if state == "stable" else "D"
    return f"S {flag} {grams / 1000:10.3f} kg\r\n".encode()


def cas_frame(grams: int, state: str) -> bytes:
    status = {"stable": "S", "unstable": "U", "overload": "F"}.get(state, "S")
    sign = "-" if state == "under_zero" else " "
    data = f"{status}{sign}{grams / 1000:06.3f}kg".encode()
    return bytes([SOH, STX]) + data + bytes([cas_bcc(data), ETX, EOT])


def continuous_frame(grams: int, state: str) -> bytes:
    head = {"stable": "ST", "unstable": "US", "overload": "OL"}.get(state, "ST")
    sign = "-" if state == "under_zero" else "+"
    return f"{head},GS,{sign}{grams / 1000:8.3f} kg\r\n".encode()


FRAMES = {"toledo8217": toledo_frame, "sics": sics_frame, "cas": cas_frame,
          "continuous": continuous_frame}


class FakeScale:
    def __init__(self, protocol: str, grams: int = 1250, state: str = "stable",
                 link: Path | None = None) -> None:
        """``link``: a path made to point at the pty, as udev names a USB-serial adapter
        (``/dev/ttyUSB0``); unplugging removes it, so a reused pty number is never found."""
        self.protocol = protocol
        self.grams, self.state = grams, state
        self.commands = bytearray()
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.link = link
        if link is not None:
            link.symlink_to(self.path)
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def frame(self) -> bytes:
        return FRAMES[self.protocol](self.grams, self.state)

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
        """Answer a request for a weight; any other bytes are commands (zero, tare…)."""
        reply = b""
        asked = {"toledo8217": b"W", "sics": b"SI\r\n"}.get(self.protocol)
        if asked is not None and asked in data:
            reply, data = self.frame(), data.replace(asked, b"")
        elif self.protocol == "cas" and bytes([ENQ]) in data:
            reply, data = bytes([ACK]), data.replace(bytes([ENQ]), b"")
        elif self.protocol == "cas" and bytes([DC1]) in data:
            reply, data = self.frame(), data.replace(bytes([DC1]), b"")
        self.commands += data
        if reply:
            os.write(self.master, reply)

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
