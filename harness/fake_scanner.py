"""A fake serial barcode scanner on a real pseudo-terminal: it sends codes with the suffix it is
set to, as a scanner's cable does."""

from __future__ import annotations

import contextlib
import os
import tty
from pathlib import Path

SUFFIX = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t", "none": b""}


class FakeScanner:
    def __init__(self, suffix: str = "cr", link: Path | None = None) -> None:
        """``link``: a path made to point at the pty, as udev names the scanner's port;
        unplugging removes it."""
        self.suffix = suffix
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.link = link
        if link is not None:
            link.symlink_to(self.path)

    def scan(self, code: str, raw: bytes | None = None) -> None:
        """One code and its suffix (``raw``: these bytes instead, noise and all)."""
        os.write(self.master, raw if raw is not None else code.encode() + SUFFIX[self.suffix])

    def unplug(self) -> None:
        if self.master < 0:
            return
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1
