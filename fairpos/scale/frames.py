"""Scale frames → readings: pure parsing of what each protocol sends, and the stable-weight rule.

A :class:`Reading` is a weight in integer grams with a state. Anything that is not a complete,
well-formed frame is an ``error`` reading with no weight: a weight never comes from a corrupt,
partial or unstable frame. Only :class:`StableWeight` decides that a weight may be priced.

Frames, per protocol (``[scale] protocol``):

* ``toledo8217`` (Mettler Toledo 8217, 9600 7E1): host sends ``W``; the scale answers
  ``STX`` + weight in kg with a decimal point + ``CR`` when stable, or ``STX ? status CR`` where
  the status byte's bit 0 is motion, bit 1 over capacity, bit 2 under zero. ``Z`` zeroes, ``T``
  tares, ``C`` clears the tare.
* ``sics`` (MT-SICS): ``S`` (stable) or ``SI`` (immediate), CR LF; answers ``S S  1.250 kg``
  (stable), ``S D  1.250 kg`` (dynamic), ``S I`` (busy), ``S +`` / ``S -`` (over / under
  range), ``ES`` / ``ET`` / ``EL`` (errors). ``Z`` and ``T`` zero and tare.
* ``cas`` (CAS ENQ/ACK): host sends ``ENQ``, the scale ``ACK``, host ``DC1``, the scale
  ``SOH STX`` + status (``S`` stable, ``U`` unstable, ``F`` overload) + sign + 6-char weight +
  2-char unit + BCC + ``ETX EOT``; BCC is the XOR of status, sign, weight and unit bytes.
* ``continuous``: the indicator sends ``ST,GS,+  1.250 kg`` CR LF on its own; ``ST`` stable,
  ``US`` unstable, ``OL`` overload; ``GS`` gross or ``NT`` net.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

State = Literal["stable", "unstable", "overload", "under_zero", "error", "disconnected"]

STX, ETX, EOT, ENQ, ACK, SOH, DC1, CR = 0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0x11, 0x0D
MAX_GRAMS = 1_000_000  # no market scale weighs a tonne: a bigger number is a broken frame


@dataclass(frozen=True)
class Reading:
    state: State
    grams: int | None = None
    raw: bytes = field(default=b"", compare=False)

    @property
    def weight_ok(self) -> bool:
        return self.state == "stable" and self.grams is not None and self.grams > 0


def error(raw: bytes) -> Reading:
    return Reading("error", None, raw)


def to_grams(text: str, unit: str = "kg") -> int | None:
    """``' 1.250'`` kg → 1250; None for anything that is not a plain decimal number."""
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,7}(\.\d{1,4})?", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    factor = {"kg": 1000, "g": 1}.get(unit.strip().lower())
    if factor is None:
        return None
    grams = value * factor
    if grams != grams.to_integral_value() or abs(grams) > MAX_GRAMS:
        return None
    return int(grams)


def parse_toledo(frame: bytes) -> Reading:
    if len(frame) < 3 or frame[0] != STX or frame[-1] != CR:
        return error(frame)
    body = frame[1:-1]
    if body[:1] == b"?" and len(body) == 2:
        status = body[1]
        if status & 0x02:
            return Reading("overload", None, frame)
        if status & 0x04:
            return Reading("under_zero", None, frame)
        if status & 0x01:
            return Reading("unstable", None, frame)
        return error(frame)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return error(frame)
    grams = to_grams(text.removesuffix("N"))
    if grams is None or grams < 0:
        return error(frame)
    return Reading("stable", grams, frame)


def _line(frame: bytes) -> str | None:
    """The text of a CR LF terminated ASCII line; None for anything else."""
    if not frame.endswith(b"\r\n"):
        return None
    try:
        return frame[:-2].decode("ascii")
    except UnicodeDecodeError:
        return None


_SICS = re.compile(r"^S([I]?) ([SD]) +(-?[\d.]+) +(kg|g)$")


def parse_sics(frame: bytes) -> Reading:
    text = _line(frame)
    if text is None:
        return error(frame)
    if text in ("S +", "SI +"):
        return Reading("overload", None, frame)
    if text in ("S -", "SI -"):
        return Reading("under_zero", None, frame)
    match = _SICS.match(text)
    if not match:
        return error(frame)  # S I (busy), ES, ET, EL, and anything else
    grams = to_grams(match.group(3), match.group(4))
    if grams is None:
        return error(frame)
    stable = match.group(2) == "S"
    if grams < 0:
        return Reading("under_zero", None, frame)
    return Reading("stable" if stable else "unstable", grams, frame)


def cas_bcc(data: bytes) -> int:
    check = 0
    for byte in data:
        check ^= byte
    return check


def parse_cas(frame: bytes) -> Reading:
    # SOH STX status sign weight(6) unit(2) BCC ETX EOT
    if len(frame) != 15 or frame[:2] != bytes([SOH, STX]) or frame[-2:] != bytes([ETX, EOT]):
        return error(frame)
    data, bcc = frame[2:12], frame[12]
    if cas_bcc(data) != bcc:
        return error(frame)
    try:
        status, sign, weight, unit = (chr(data[0]), chr(data[1]), data[2:8].decode("ascii"),
                                      data[8:10].decode("ascii"))
    except UnicodeDecodeError:
        return error(frame)
    if status == "F":
        return Reading("overload", None, frame)
    if status not in ("S", "U") or sign not in (" ", "+", "-"):
        return error(frame)
    grams = to_grams(weight, unit)
    if grams is None:
        return error(frame)
    if sign == "-" and grams:
        return Reading("under_zero", None, frame)
    return Reading("stable" if status == "S" else "unstable", grams, frame)


_CONTINUOUS = re.compile(r"^(ST|US|OL),(GS|NT),([+-]?) *([\d.]+) *(kg|g)$")


def parse_continuous(frame: bytes) -> Reading:
    text = _line(frame)
    if text is None:
        return error(frame)
    if text.startswith("OL,"):
        return Reading("overload", None, frame)
    match = _CONTINUOUS.match(text)
    if not match:
        return error(frame)
    grams = to_grams(match.group(4), match.group(5))
    if grams is None:
        return error(frame)
    if match.group(3) == "-" and grams:
        return Reading("under_zero", None, frame)
    return Reading("stable" if match.group(1) == "ST" else "unstable", grams, frame)


PARSERS = {"toledo8217": parse_toledo, "sics": parse_sics, "cas": parse_cas,
           "continuous": parse_continuous}


class StableWeight:
    """Accept a weight only when the scale says stable and the same positive weight has been
    read ``needed`` times in a row; anything else starts the count again."""

    def __init__(self, needed: int = 3) -> None:
        self.needed = max(1, needed)
        self._grams: int | None = None
        self._seen = 0
        self.accepted: Reading | None = None

    def feed(self, reading: Reading) -> Reading | None:
        """The reading, once it is accepted for pricing; otherwise None."""
        if not reading.weight_ok:
            self._grams, self._seen, self.accepted = None, 0, None
            return None
        if reading.grams == self._grams:
            self._seen += 1
        else:
            self._grams, self._seen, self.accepted = reading.grams, 1, None
        if self._seen >= self.needed:
            self.accepted = reading
        return self.accepted
