"""A fake 2 × 20 pole display on a pseudo-terminal: it reads the bytes a till writes, in the
Epson ESC/POS customer-display command set (ESC @, FF, US $ x y) or the CD5220 one (ESC Q A /
ESC Q B … CR), and keeps what its two lines show."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from pathlib import Path


class FakePole:
    def __init__(self, link: Path, protocol: str = "epson", codepage: str = "cp437") -> None:
        self.protocol, self.codepage = protocol, codepage
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.link = link
        link.symlink_to(os.ttyname(self.slave))
        self.received = bytearray()
        self.lines = [" " * 20, " " * 20]
        self.shown: list[tuple[str, str]] = []  # every state the two lines went through
        self.inits = 0
        self.garbage: bytes | None = None  # bytes that are no command of the set
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while self._running:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.received += data
                try:
                    self._parse()
                except ValueError:
                    self.garbage = bytes(self.received[:12])
                    self.received.clear()

    def _parse(self) -> None:
        """Take every whole command off the front of what was received."""
        data = self.received
        while data:
            if data.startswith(b"\x1b@"):
                self.inits += 1
                del data[:2]
            elif self.protocol == "epson" and data.startswith(b"\x0c"):
                end = data.find(b"\x1f$", 1)
                if end < 0 or len(data) < end + 4 + 20 or len(data) < 21:
                    return  # (the rest of the frame is still on its way)
                upper = bytes(data[1:end]).decode(self.codepage)
                lower = bytes(data[end + 4:end + 24]).decode(self.codepage)
                del data[:end + 24]
                self._show(upper, lower)
            elif self.protocol == "cd5220" and data.startswith(b"\x1bQA"):
                end = data.find(b"\r\x1bQB")
                stop = data.find(b"\r", end + 4) if end >= 0 else -1
                if stop < 0:
                    return
                self._show(bytes(data[3:end]).decode(self.codepage),
                           bytes(data[end + 4:stop]).decode(self.codepage))
                del data[:stop + 1]
            else:
                raise ValueError(bytes(data[:12]))

    def _show(self, upper: str, lower: str) -> None:
        self.lines = [upper, lower]
        self.shown.append((upper, lower))

    def showing(self) -> tuple[str, str]:
        with self._lock:
            return self.lines[0], self.lines[1]

    def unplug(self) -> None:
        """The display's cable pulled: its device is gone."""
        self.link.unlink(missing_ok=True)
        self._running = False
        self._thread.join(timeout=2)  # (a read in progress would take what comes next)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
