"""A serial barcode scanner, read in a thread of its own.

A scanner sends each code followed by its suffix (``[scanner] suffix``: CR, LF, CR LF, TAB,
or nothing — then a code ends when the line falls quiet). Only printable ASCII is a code: a
byte of noise, a code cut by the cable or longer than any barcode is dropped, never guessed
at. Unplugged, the scanner is looked for again every second, as a scale is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import serial

from fairpos.settings import ScannerSettings

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}
MOST = 64  # characters of a code, at most (GS1 DataBar Expanded is 74 digits; ours are short)
QUIET_SECONDS = 0.08  # with no suffix: this long without a byte ends a code
RECONNECT_SECONDS = 1.0
LINE_ERRORS = (serial.SerialException, OSError, ValueError)


def code_of(raw: bytes) -> str | None:
    """A code as scanned (its suffix taken off), or None for anything that is not one."""
    text = raw.strip(b"\r\n\t ")
    if not text or len(text) > MOST or not all(0x21 <= b <= 0x7E for b in text):
        return None
    return text.decode("ascii")


def split_codes(buffer: bytes, suffix: str) -> tuple[list[bytes], bytes]:
    """The complete codes in ``buffer`` (each with its suffix taken off), and what is left of
    an unfinished one. With no suffix nothing is complete here: the quiet ends a code. (A
    scanner that sends CR LF where CR was set leaves an LF before the next code: a code is
    read without the line ends around it.)"""
    end = SUFFIXES.get(suffix)
    if end is None:
        return [], buffer
    *codes, rest = buffer.split(end)
    return codes, rest


class ScannerWatch:
    """Read the scanner over and over: ``scanned(code)`` for each code, ``changed(ready,
    problem)`` whenever the line comes or goes (from the scanner's thread)."""

    def __init__(self, settings: ScannerSettings, scanned: Callable[[str], object],
                 changed: Callable[[bool, str | None], object]) -> None:
        self.settings = settings
        self.scanned = scanned
        self.changed = changed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self.port: serial.Serial | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._close()

    def _open(self) -> serial.Serial:
        return serial.serial_for_url(self.settings.url, baudrate=self.settings.baudrate,
                                     timeout=QUIET_SECONDS)

    def _close(self) -> None:
        if self.port is not None:
            with contextlib.suppress(*LINE_ERRORS):  # (the line is already gone)
                self.port.close()
            self.port = None

    def _run(self) -> None:
        ready: bool | None = None
        while not self._stop.is_set():
            try:
                if self.port is None:
                    self.port = self._open()
                if ready is not True:
                    ready = True
                    self.changed(True, None)
                self._read(self.port)
            except LINE_ERRORS as err:
                self._close()
                if ready is not False:
                    ready = False
                    self.changed(False, str(err) or type(err).__name__)
                self._stop.wait(RECONNECT_SECONDS)

    def _read(self, port: serial.Serial) -> None:
        """Codes until the line fails or the watch stops."""
        buffer = b""
        while not self._stop.is_set():
            chunk = bytes(port.read(256))
            if not chunk:
                if self.settings.suffix == "none" and buffer:  # the quiet ends the code
                    self._say(buffer)
                buffer = b""
                continue
            codes, buffer = split_codes(buffer + chunk, self.settings.suffix)
            for code in codes:
                self._say(code)
            if len(buffer) > MOST * 4:  # noise with no end: dropped
                buffer = b""

    def _say(self, raw: bytes) -> None:
        code = code_of(raw)
        if code is not None:
            self.scanned(code)
