"""The scale on its serial line (pyserial): ask for a weight the protocol's way, read the frame.

A timeout or a broken line gives an ``error`` or ``disconnected`` reading, never a zero or the
last weight seen; the next read opens the line again, so an adapter unplugged and plugged back
is picked up without a restart.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import serial

from fairpos.errors import FairposError
from fairpos.scale.frames import (
    ACK,
    DC1,
    ENQ,
    PARSERS,
    Answer,
    Command,
    Reading,
    StableWeight,
    continuous_answer,
    magellan_code,
    parser_for,
    sics_answer,
    sma_answer,
    toledo_answer,
)
from fairpos.settings import ScaleSettings

try:  # a pty or USB adapter that went away fails with termios.error, not an OSError
    import termios

    _TERMIOS_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - not POSIX
    _TERMIOS_ERRORS = ()
LINE_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, ValueError,
                                             *_TERMIOS_ERRORS)

TIMEOUT = 0.5
# How long a scale may take to answer zero or tare: MT-SICS's Z and T wait for a steady
# weight first, and an indicator that streams shows the result a few frames later.
ANSWER_SECONDS = 3.0
COMMANDS: dict[str, dict[Command, bytes]] = {  # protocol -> what each command sends
    "toledo8217": {"zero": b"Z", "tare": b"T", "clear_tare": b"C"},
    "sics": {"zero": b"Z\r\n", "tare": b"T\r\n", "clear_tare": b"TAC\r\n"},
    "cas": {},  # the ENQ/ACK dialogue has none: the scale's own keys zero and tare
    "continuous": {"zero": b"Z\r\n", "tare": b"T\r\n", "clear_tare": b"C\r\n"},
    "sma": {"zero": b"\nZ\r", "tare": b"\nT\r", "clear_tare": b"\nC\r"},
    "magellan": {},  # zero and tare are the scale's own keys; the lane tares
}


class ScaleError(FairposError, ValueError):
    """A scale setting that cannot work; the message is for a person."""


class Scale:
    def __init__(self, settings: ScaleSettings, timeout: float = TIMEOUT) -> None:
        if settings.protocol not in PARSERS:
            raise ScaleError(f"unknown scale protocol {settings.protocol!r} "
                             f"(one of: {', '.join(PARSERS)})")
        self.settings = settings
        self.timeout = timeout
        self.parse = parser_for(settings.protocol, settings.units)
        self.port: serial.Serial | None = None
        self.codes: list[str] = []  # barcodes a scanner-scale sent between two weights

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
        if protocol == "magellan":  # (what waits on the line may be a scan: never dropped)
            return self._magellan_weight(port)
        port.reset_input_buffer()
        if protocol == "toledo8217":
            port.write(b"W")
            return bytes(port.read_until(b"\r", size=32))
        if protocol == "sics":
            port.write(b"SI\r\n")
            return bytes(port.read_until(b"\r\n", size=64))
        if protocol == "sma":
            port.write(b"\nW\r")
            return bytes(port.read_until(b"\r", size=32))
        port.write(bytes([ENQ]))
        if port.read(1) != bytes([ACK]):
            return b""
        port.write(bytes([DC1]))
        return bytes(port.read(15))

    def _magellan_weight(self, port: serial.Serial) -> bytes:
        """``S11``, and its answer; the barcodes that come first are kept in ``codes`` (one
        cable, both jobs: a scan is never taken for a weight, nor lost)."""
        port.write(b"S11\r")
        for _ in range(16):  # (a few scans may come before the answer)
            frame = bytes(port.read_until(b"\r", size=96))
            code = magellan_code(frame)
            if code is None:
                return frame
            self.codes.append(code)
        return b""

    def take_codes(self) -> list[str]:
        """The barcodes read since last asked."""
        codes, self.codes = self.codes, []
        return codes

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

    def takes(self, command: Command) -> bool:
        """Whether the protocol has ``command`` at all."""
        return command in COMMANDS[self.settings.protocol]

    def command(self, command: Command, seconds: float = ANSWER_SECONDS) -> Answer:
        """Send zero, tare or clear tare and read what the scale answers: done only when the
        scale says so (its reply, or for a scale that streams, the frames that follow)."""
        protocol = self.settings.protocol
        sent = COMMANDS[protocol].get(command)
        if sent is None:
            return Answer("unsupported")
        try:
            port = self._open()
            port.reset_input_buffer()
            port.write(sent)
            if protocol == "continuous":
                return self._lines_for(port, command, seconds)
            if protocol == "toledo8217":
                return toledo_answer(command, self._reply(port, b"\r", 32, seconds))
            if protocol == "sma":
                return sma_answer(command, self._reply(port, b"\r", 32, seconds))
            return sics_answer(command, self._reply(port, b"\r\n", 64, seconds))
        except LINE_ERRORS:
            self.close()
            return Answer("disconnected")

    @staticmethod
    def _reply(port: serial.Serial, end: bytes, size: int, seconds: float) -> bytes:
        """One reply ending in ``end``, waited for up to ``seconds`` (the line's own timeout
        is kept: changing it would set the line up again, which some adapters refuse)."""
        reply = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not reply.endswith(end) and len(reply) < size:
            reply += bytes(port.read_until(end, size=size - len(reply)))
        return reply

    def _lines_for(self, port: serial.Serial, command: Command, seconds: float) -> Answer:
        """What a streaming indicator shows after ``command``: the frames it sends until one
        answers, for ``seconds`` at most."""
        readings: list[Reading] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = bytes(port.read_until(b"\r\n", size=64))
            if line:
                readings.append(self.parse(line))
                if continuous_answer(command, readings).done:
                    break
        return continuous_answer(command, readings)


RECONNECT_SECONDS = 1.0  # how often a disconnected scale is looked for again
POLL_SECONDS = 0.1  # how often a scale that answers requests is asked


class ScaleWatch:
    """Read the scale over and over in a thread of its own.

    ``report(reading, accepted)`` is called from that thread whenever what the scale shows
    changes: the newest reading and, once the stable-weight rule accepts it, that same reading
    as ``accepted`` (else None). ``command`` queues zero, tare or clear tare for the thread to
    send between readings; ``commanded(command, answer)`` says what the scale answered.
    """

    def __init__(self, scale: Scale, report: Callable[[Reading, Reading | None], object],
                 commanded: Callable[[Command, Answer], object] | None = None,
                 poll: float = POLL_SECONDS,
                 scanned: Callable[[str], object] | None = None) -> None:
        self.scale = scale
        self.report = report
        self.commanded = commanded
        self.scanned = scanned  # a scanner-scale's barcodes, in the order they came
        self.poll = poll
        self._stop = threading.Event()
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="scale", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def command(self, command: Command) -> None:
        self._commands.put(command)

    def _run(self) -> None:
        stable = StableWeight(self.scale.settings.stable_readings)
        shown: tuple[object, ...] | None = None
        streams = self.scale.settings.protocol == "continuous"
        try:
            while not self._stop.is_set():
                while not self._commands.empty():
                    command = self._commands.get()
                    answer = self.scale.command(command)
                    if self.commanded is not None:
                        self.commanded(command, answer)
                try:
                    reading = self.scale.read()
                except Exception:  # a driver fault must not end the watch: say "error", retry
                    self.scale.close()
                    reading = Reading("error")
                for code in self.scale.take_codes():
                    if self.scanned is not None:
                        self.scanned(code)
                accepted = stable.feed(reading)
                now = (reading.state, reading.grams, accepted is not None)
                if now != shown:
                    shown = now
                    self.report(reading, accepted)
                if reading.state == "disconnected":
                    self._stop.wait(RECONNECT_SECONDS)
                elif not streams:
                    self._stop.wait(self.poll)
        finally:
            self.scale.close()
