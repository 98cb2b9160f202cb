"""The pole display on its serial line, written by a thread of its own.

``show`` only keeps the newest lines and wakes the thread: the till never waits on the
display. The thread writes them (with a short write timeout); a display that is unplugged or
does not take the bytes is closed, said in ``problem``, and opened again with the next lines
to show, so plugging it back is enough.
"""

from __future__ import annotations

import contextlib
import threading
import time

import serial

from fairpos.display.pole import INIT, Lines, frame
from fairpos.scale.port import LINE_ERRORS
from fairpos.settings import DisplaySettings

WRITE_TIMEOUT = 0.5
RETRY_SECONDS = 2.0  # while it fails, the newest lines are tried again this often


class PoleDisplay:
    def __init__(self, settings: DisplaySettings) -> None:
        self.settings = settings
        self.problem: str | None = None
        self._port: serial.Serial | None = None
        self._lines: Lines | None = None
        self._shown: Lines | None = None
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="pole-display", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._close()

    def show(self, lines: Lines) -> None:
        """Show ``lines`` as soon as the display takes them (the newest wins)."""
        self._lines = lines
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(RETRY_SECONDS if self.problem else None)
            self._wake.clear()
            lines = self._lines
            if self._stop or lines is None or (lines == self._shown and not self.problem):
                continue
            try:
                port = self._open()
                port.write(frame(lines, self.settings.protocol, self.settings.codepage))
                port.flush()
                self._shown, self.problem = lines, None
            except LINE_ERRORS as err:
                self._close()
                self.problem = str(err) or type(err).__name__
                time.sleep(0.05)

    def _open(self) -> serial.Serial:
        if self._port is None:
            s = self.settings
            self._port = serial.serial_for_url(s.url, baudrate=s.baudrate, timeout=0,
                                               write_timeout=WRITE_TIMEOUT)
            self._port.write(INIT)
        return self._port

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(*LINE_ERRORS):
                port.close()
