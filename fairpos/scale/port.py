"""The scale on its serial line (pyserial): ask for a weight the protocol's way, read the frame.

A timeout or a broken line gives an ``error`` or ``disconnected`` reading, never a zero or the
last weight seen; the next read opens the line again, so an adapter unplugged and plugged back
is picked up without a restart.
"""

from __future__ import annotations

import serial

from fairpos.scale.frames import ACK, DC1, ENQ, PARSERS, Reading
from fairpos.settings import ScaleSettings

try:  # a pty or USB adapter that went away fails with termios.error, not an OSError
    import termios

    _TERMIOS_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - not POSIX
    _TERMIOS_ERRORS = ()
LINE_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, ValueError,
                                             *_TERMIOS_ERRORS)

TIMEOUT = 0.5
COMMANDS = {  # protocol -> (zero, tare, clear tare)
    "toledo8217": (b"Z", b"T", b"C"),
    "sics": (b"Z\r\n", b"T\r\n", b"TAC\r\n"),
    "cas": (b"Z", b"T", b"C"),
    "continuous": (b"Z\r\n", b"T\r\n", b"C\r\n"),
}


class ScaleError(ValueError):
    """A scale setting that cannot work; the message is for a person."""


class Scale:
    def __init__(self, settings: ScaleSettings, timeout: float = TIMEOUT) -> None:
        if settings.protocol not in PARSERS:
            raise ScaleError(f"unknown scale protocol {settings.protocol!r} "
                             f"(one of: {', '.join(PARSERS)})")
        self.settings = settings
        self.timeout = timeout
        self.parse = PARSERS[settings.protocol]
        self.port: serial.Serial | None = None

    def _open(self) -> serial.Serial:
        if self.port is None:
            s = self.settings
            self.port = serial.serial_for_url(
                s.url, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=self.timeout, write_timeout=self.timeout)
        return self.port

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except LINE_ERRORS:
                pass  # the line is already gone
            finally:
                self.port = None

    def read(self) -> Reading:
        """One reading, the protocol's way; never a stale or made-up weight."""
        try:
            port = self._open()
            frame = self._exchange(port)
        except LINE_ERRORS:
            self.close()
            return Reading("disconnected")
        if not frame:
            return Reading("error")
        return self.parse(frame)

    def _exchange(self, port: serial.Serial) -> bytes:
        protocol = self.settings.protocol
        if protocol == "continuous":
            return self._newest_line(port)
        port.reset_input_buffer()
        if protocol == "toledo8217":
            port.write(b"W")
            return bytes(port.read_until(b"\r", size=32))
        if protocol == "sics":
            port.write(b"SI\r\n")
            return bytes(port.read_until(b"\r\n", size=64))
        port.write(bytes([ENQ]))
        if port.read(1) != bytes([ACK]):
            return b""
        port.write(bytes([DC1]))
        return bytes(port.read(15))

    @staticmethod
    def _newest_line(port: serial.Serial) -> bytes:
        """The newest complete line: an indicator that streams must not be read from behind."""
        line = bytes(port.read_until(b"\r\n", size=64))
        while port.in_waiting:
            more = bytes(port.read_until(b"\r\n", size=64))
            if not more.endswith(b"\r\n"):
                break
            line = more
        return line

    def command(self, which: int) -> bool:
        """Send zero (0), tare (1) or clear tare (2); False when the line is down."""
        try:
            self._open().write(COMMANDS[self.settings.protocol][which])
        except LINE_ERRORS:
            self.close()
            return False
        return True
