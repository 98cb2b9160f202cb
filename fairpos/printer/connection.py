"""Where receipts go: a printer named by ``[printer] url``, reached with short timeouts.

``tcp://HOST:9100``, ``serial:///dev/ttyUSB0?baudrate=19200`` (any pyserial URL after
``serial:``), ``usb://VID:PID`` (hex, via python-escpos and pyusb), ``file:///dev/usb/lp0``,
``cups://QUEUE`` (raw, through the ``lp`` command), ``none``. The printer's state is asked
with ``DLE EOT`` where it can answer (network, serial, USB); a printer that does not answer is
"unknown", never "online".
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from fairpos.errors import FairposError
from fairpos.i18n import N_, _

TIMEOUT = 3.0  # seconds; a receipt is small, and a printer that hangs must not hold anything
ASK_TIMEOUT = 0.5  # many printers never answer DLE EOT: do not make every receipt wait for it
DLE_EOT_PRINTER = b"\x10\x04\x01"
DLE_EOT_OFFLINE_CAUSE = b"\x10\x04\x02"
DLE_EOT_PAPER = b"\x10\x04\x04"

State = Literal["online", "paper_low", "paper_out", "cover_open", "offline", "unknown"]


class PrinterError(FairposError, OSError):
    """The receipt did not reach the printer; the message says why, for the volunteer."""


class PrintUncertain(PrinterError):
    """The line failed after the receipt's bytes started to go out: it may have printed."""


class NotSent(PrinterError):
    """Refused before anything reached the printer (a CUPS queue that does not take it)."""


class Link(Protocol):
    def write(self, data: bytes) -> None: ...
    def ask(self, query: bytes) -> int | None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Target:
    kind: Literal["none", "tcp", "serial", "file", "usb", "cups"]
    address: str = ""
    port: int = 9100
    baudrate: int = 19200
    # what the printer speaks: ESC/POS (asked how it is with DLE EOT), or a label printer's
    # own language (zpl, tspl), which must never be sent ESC/POS bytes
    language: str = "escpos"

    @property
    def configured(self) -> bool:
        return self.kind != "none"


def parse_url(url: str) -> Target:
    raw = url.strip()
    if raw in ("", "none"):
        return Target("none")
    parts = urlsplit(raw)
    if parts.scheme == "tcp" and parts.hostname:
        return Target("tcp", parts.hostname, parts.port or 9100)
    if parts.scheme == "serial":
        query = parse_qs(parts.query)
        device = raw[len("serial://"):].split("?")[0]
        try:
            baudrate = int(query.get("baudrate", ["19200"])[0])
        except ValueError:
            baudrate = 0
        if device and baudrate > 0:
            return Target("serial", device, baudrate=baudrate)
    if parts.scheme == "file" and parts.path:
        return Target("file", parts.path)
    if parts.scheme == "usb" and re.fullmatch(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", parts.netloc):
        return Target("usb", parts.netloc.lower())
    if parts.scheme == "cups" and re.fullmatch(r"[\w.-]+", parts.netloc):
        return Target("cups", parts.netloc)
    raise PrinterError(_("“{url}” is not a printer address (tcp://HOST:9100, "
                         "serial:///dev/ttyUSB0?baudrate=19200, usb://VID:PID, "
                         "file:///dev/usb/lp0, cups://QUEUE or none)").format(url=url))


def _status_byte(byte: int | None) -> bool:
    """A real status byte has bit 1 and bit 4 set, bits 0 and 7 clear."""
    return byte is not None and byte & 0x93 == 0x12


class TcpLink:
    def __init__(self, target: Target, timeout: float) -> None:
        try:
            self.sock = socket.create_connection((target.address, target.port), timeout=timeout)
            # Status queries are 3 bytes: without this, Nagle and delayed ACKs hold each one
            # ~40 ms behind the receipt it follows.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as err:
            raise PrinterError(_("the printer at {address} does not answer ({error})").format(
                address=f"{target.address}:{target.port}", error=err.strerror or err)) from None

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as err:
            raise PrinterError(_("the connection to the printer broke ({error})").format(
                error=err.strerror or err)) from None

    def ask(self, query: bytes) -> int | None:
        timeout = self.sock.gettimeout()
        try:
            self.sock.settimeout(ASK_TIMEOUT)
            self.sock.sendall(query)
            answer = self.sock.recv(1)
        except OSError:
            return None
        finally:
            self.sock.settimeout(timeout)
        return answer[0] if answer else None

    def ask_reply(self, query: bytes, end: bytes, size: int, parts: int = 1) -> bytes:
        """A label printer's answer of several bytes to ``query``: until ``end`` came
        ``parts`` times (or ``size`` bytes); what came in time, b"" when nothing did."""
        timeout = self.sock.gettimeout()
        reply = b""
        try:
            self.sock.settimeout(ASK_TIMEOUT)
            self.sock.sendall(query)
            while reply.count(end) < parts and len(reply) < size:
                chunk = self.sock.recv(size - len(reply))
                if not chunk:
                    break
                reply += chunk
        except OSError:
            return reply
        finally:
            self.sock.settimeout(timeout)
        return reply

    def close(self) -> None:
        self.sock.close()


class SerialLink:
    def __init__(self, target: Target, timeout: float) -> None:
        import serial  # only when a serial printer is configured

        try:
            self.port = serial.serial_for_url(target.address, baudrate=target.baudrate,
                                              timeout=timeout, write_timeout=timeout)
        except (OSError, serial.SerialException) as err:
            raise PrinterError(_("cannot open the printer's serial port {port} ({error})")
                               .format(port=target.address, error=err)) from None
        self._error = serial.SerialException

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (OSError, self._error) as err:
            raise PrinterError(_("the connection to the printer broke ({error})").format(
                error=err)) from None

    def ask(self, query: bytes) -> int | None:
        timeout = self.port.timeout
        try:
            self.port.timeout = ASK_TIMEOUT
            self.port.reset_input_buffer()
            self.port.write(query)
            answer = self.port.read(1)
        except (OSError, self._error):
            return None
        finally:
            self.port.timeout = timeout
        return answer[0] if answer else None

    def ask_reply(self, query: bytes, end: bytes, size: int, parts: int = 1) -> bytes:
        """As :meth:`TcpLink.ask_reply`, on the serial line."""
        timeout = self.port.timeout
        reply = b""
        try:
            self.port.timeout = ASK_TIMEOUT
            self.port.reset_input_buffer()
            self.port.write(query)
            while reply.count(end) < parts and len(reply) < size:
                chunk = bytes(self.port.read(size - len(reply)))
                if not chunk:
                    break
                reply += chunk
        except (OSError, self._error):
            return reply
        finally:
            self.port.timeout = timeout
        return reply

    def close(self) -> None:
        self.port.close()


class FileLink:
    def __init__(self, target: Target) -> None:
        try:
            # The link owns the handle until close(), like the socket and serial links.
            self.handle = Path(target.address).open("ab", buffering=0)  # noqa: SIM115
        except OSError as err:
            raise PrinterError(_("cannot open the printer at {path} ({error})").format(
                path=target.address, error=err.strerror)) from None

    def write(self, data: bytes) -> None:
        try:
            self.handle.write(data)
        except OSError as err:
            raise PrinterError(_("the connection to the printer broke ({error})").format(
                error=err.strerror)) from None

    def ask(self, query: bytes) -> int | None:
        return None

    def close(self) -> None:
        self.handle.close()


class UsbLink:
    """A USB printer through python-escpos (pyusb and the system's libusb)."""

    def __init__(self, target: Target, timeout: float) -> None:
        vendor, product = (int(part, 16) for part in target.address.split(":"))
        try:
            from escpos.printer import Usb

            self.printer = Usb(vendor, product, timeout=int(timeout * 1000))
            self.printer.open()
        except Exception as err:  # pyusb raises NoBackendError, USBError, DeviceNotFound...
            raise PrinterError(_("cannot open the USB printer {id} ({error})").format(
                id=target.address, error=err)) from None

    def write(self, data: bytes) -> None:
        try:
            self.printer._raw(data)
        except Exception as err:
            raise PrinterError(_("the connection to the printer broke ({error})").format(
                error=err)) from None

    def ask(self, query: bytes) -> int | None:
        try:
            self.printer._raw(query)
            answer = self.printer._read()
        except Exception:
            return None
        return answer[0] if answer else None

    def close(self) -> None:
        self.printer.close()


class CupsLink:
    """A CUPS queue, printed raw with ``lp`` (the queue must accept raw jobs)."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.queue = target.address
        self.timeout = timeout

    def write(self, data: bytes) -> None:
        try:
            done = subprocess.run(["lp", "-d", self.queue, "-o", "raw"], input=data,
                                  capture_output=True, timeout=self.timeout, check=False)
        except OSError as err:  # no lp command: nothing was handed over
            raise NotSent(_("cannot print through CUPS queue {queue} ({error})").format(
                queue=self.queue, error=err)) from None
        except subprocess.TimeoutExpired as err:  # lp may have taken it
            raise PrinterError(_("cannot print through CUPS queue {queue} ({error})").format(
                queue=self.queue, error=err)) from None
        if done.returncode != 0:  # lp refused the job
            raise NotSent(_("cannot print through CUPS queue {queue} ({error})").format(
                queue=self.queue, error=done.stderr.decode(errors="replace").strip()))

    def ask(self, query: bytes) -> int | None:
        return None  # CUPS does not pass printer status back

    def close(self) -> None:
        pass


def connect(target: Target, timeout: float = TIMEOUT) -> Link:
    if target.kind == "tcp":
        return TcpLink(target, timeout)
    if target.kind == "serial":
        return SerialLink(target, timeout)
    if target.kind == "file":
        return FileLink(target)
    if target.kind == "usb":
        return UsbLink(target, timeout)
    if target.kind == "cups":
        return CupsLink(target, timeout)
    raise PrinterError(_("no printer is configured"))


def state(link: Link) -> State:
    """Ask the printer how it is (DLE EOT); "unknown" when it does not answer properly."""
    status = link.ask(DLE_EOT_PRINTER)
    if not _status_byte(status):
        return "unknown"
    assert status is not None
    paper = link.ask(DLE_EOT_PAPER)
    if _status_byte(paper) and paper is not None and paper & 0x60:
        return "paper_out"
    low = _status_byte(paper) and paper is not None and bool(paper & 0x0C)  # near-end sensor
    if status & 0x08:
        cause = link.ask(DLE_EOT_OFFLINE_CAUSE)
        if _status_byte(cause) and cause is not None:
            if cause & 0x04:
                return "cover_open"
            if cause & 0x20:
                return "paper_out"
        return "offline"
    return "paper_low" if low else "online"


ZPL_HOST_STATUS = b"~HS"  # answered by three STX … ETX CR LF strings
TSPL_STATUS = b"\x1b!?"  # answered by one byte


def label_state(link: Link, language: str) -> State:
    """Ask a label printer how it is in its own language — ZPL ``~HS`` (paper out, pause,
    head open), TSPL ``ESC ! ?`` (head open, jam, paper out, pause) — or "unknown" where it
    cannot say (a link that takes no question, a printer that does not answer)."""
    if language == "tspl":
        status = link.ask(TSPL_STATUS)
        if status is None:
            return "unknown"
        if status & 0x01:
            return "cover_open"  # (the print head is up)
        if status & 0x04:
            return "paper_out"
        return "offline" if status & 0x12 else "online"  # (a jam, a pause)
    ask_reply = getattr(link, "ask_reply", None)
    if language != "zpl" or ask_reply is None:
        return "unknown"
    found = re.findall(rb"\x02([^\x03]*)\x03", ask_reply(ZPL_HOST_STATUS, b"\x03", 256, 3))
    if len(found) < 2:
        return "unknown"
    first, second = found[0].split(b","), found[1].split(b",")
    if len(first) < 3 or len(second) < 3:
        return "unknown"
    if second[2] == b"1":
        return "cover_open"  # the head is up
    if first[1] == b"1":
        return "paper_out"
    return "offline" if first[2] == b"1" else "online"  # (paused)


STATE_WORDS = {  # how each state is said to a volunteer
    "online": N_("ready"),
    "paper_low": N_("ready, but little paper is left: have a roll at hand"),
    "paper_out": N_("out of paper"),
    "cover_open": N_("the cover is open"),
    "offline": N_("offline"),
    "unknown": N_("it does not say how it is (many printers never answer); a test page "
                  "shows whether it prints"),
}

STATE_REASONS = {
    "paper_out": N_("the printer is out of paper"),
    "cover_open": N_("the printer's cover is open"),
    "offline": N_("the printer is offline"),
}


def send(target: Target, data: bytes, timeout: float = TIMEOUT,
         sending: Callable[[], None] | None = None) -> State:
    """Print ``data``: refuse when the printer says it cannot print; returns its state.
    ``sending`` is called just before the first byte goes out; a failure after that is a
    PrintUncertain (the receipt may have printed)."""
    link = connect(target, timeout)
    try:
        found = state(link) if target.language == "escpos" else \
            label_state(link, target.language)
        if found in STATE_REASONS:
            raise PrinterError(_(STATE_REASONS[found]))
        if sending is not None:
            sending()
        try:
            link.write(data)
            # A printer that answered before must answer after: otherwise the line broke
            # while the receipt was on its way.
            if found in ("online", "paper_low") and target.language == "escpos" and \
                    not _status_byte(link.ask(DLE_EOT_PRINTER)):
                raise PrinterError(_("the connection to the printer broke ({error})").format(
                    error=_("no answer after the receipt")))
        except NotSent:
            raise
        except PrinterError as err:
            raise PrintUncertain(str(err)) from None
        return found
    finally:
        link.close()
