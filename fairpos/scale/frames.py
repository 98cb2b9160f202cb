"""Scale frames → readings: pure parsing of what each protocol sends, and the stable-weight rule.

A :class:`Reading` is a weight in integer grams with a state. Anything that is not a complete,
well-formed frame is an ``error`` reading with no weight: a weight never comes from a corrupt,
partial or unstable frame. Only :class:`StableWeight` decides that a weight may be priced.

Frames, per protocol (``[scale] protocol``):

* ``toledo8217`` (Mettler Toledo 8217, 9600 7E1): host sends ``W``; the scale answers
  ``STX`` + weight in kg with a decimal point + ``CR`` when stable, or ``STX ? status CR`` where
  the status byte's bit 0 is motion, bit 1 over capacity, bit 2 under zero, bit 3 outside the
  zero capture range, bit 4 centre of zero, bit 5 net weight (a tare is in force). ``Z``
  zeroes, ``T`` tares, ``C`` clears the tare; each is answered with ``STX ? status CR``, and
  the status says whether it was done (centre of zero, net, gross).
* ``sics`` (MT-SICS): ``S`` (stable) or ``SI`` (immediate), CR LF; answers ``S S  1.250 kg``
  (stable), ``S D  1.250 kg`` (dynamic), ``S I`` (busy), ``S +`` / ``S -`` (over / under
  range), ``ES`` / ``ET`` / ``EL`` (errors). ``Z`` zeroes (``Z A`` done; ``Z I`` busy, ``Z +``
  / ``Z -`` out of the zero range, ``Z L`` not allowed), ``T`` tares (``T S  0.200 kg`` done,
  with the tare; ``T I``, ``T +``, ``T -``, ``T L``), ``TAC`` clears the tare (``TAC A``); the
  immediate forms ``ZI`` / ``TI`` answer the same way.
* ``cas`` (CAS ENQ/ACK): host sends ``ENQ``, the scale ``ACK``, host ``DC1``, the scale
  ``SOH STX`` + status (``S`` stable, ``U`` unstable, ``F`` overload) + sign + 6-char weight +
  2-char unit + BCC + ``ETX EOT``; BCC is the XOR of status, sign, weight and unit bytes. The
  dialogue has no zero or tare: those are the scale's own keys, and the lane tares.
* ``continuous``: the indicator sends ``ST,GS,+  1.250 kg`` CR LF on its own; ``ST`` stable,
  ``US`` unstable, ``OL`` overload; ``GS`` gross or ``NT`` net. ``Z``, ``T`` and ``C`` (CR LF)
  are answered by the stream itself: a steady gross zero, a net frame, a gross frame.
* ``sma`` (the Scale Manufacturers Association's serial protocol, common on US scales): host
  sends ``LF W CR``; the scale answers ``LF`` + status (``Z`` centre of zero, ``O`` over
  capacity, ``U`` under zero, ``E`` zero error, ``I`` initial zero error, ``T`` tare error,
  space) + range (``1``…) + ``G``/``N`` gross or net (``g``/``n`` high resolution) + motion
  (``M``, or space when stable) + a reserved byte + the weight in 10 characters (dashes with
  an error) + the unit in 3 (``lb``, ``kg``, ``oz``, ``g``) + ``CR``; ``LF ? CR`` for a command
  it does not know. ``LF Z CR``, ``LF T CR`` and ``LF C CR`` zero, tare and clear the tare,
  each answered by the same frame (centre of zero; net; gross), or its error status.

* ``magellan`` (Datalogic Magellan scanner-scales, single-cable SCIP, 9600 7O1): one cable for
  the weight and the barcodes. Host sends ``S11`` CR; the scale answers ``S11`` + the weight's
  digits once it is stable, or a status: ``S141`` motion, ``S142`` over capacity, ``S143`` zero,
  ``S145`` under zero (``S14`` CR asks for the status alone: ``S144`` + the weight's digits
  when there is a stable one). The digits are hundredths of a pound, or grams, as the scale is
  set (``[scale] units``: ``lb`` or ``kg``), four or five of them. Barcodes come unasked as
  ``S08`` + their symbology (``A`` UPC-A, ``E`` UPC-E, ``F`` EAN-13, ``FF`` EAN-8, ``R`` GS1
  DataBar, ``B1``…) + the code, between any two weight replies.

A weight in pounds or ounces becomes grams once, by one rule (:func:`to_grams`): exactly
(a pound is 453.59237 g by definition), then to the nearest gram, a half to the even gram.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

State = Literal["stable", "unstable", "overload", "under_zero", "error", "disconnected"]

STX, ETX, EOT, ENQ, ACK, SOH, DC1, CR, LF = 0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0x11, 0x0D, 0x0A
POUND = Decimal("453.59237")  # grams, by definition
GRAMS_PER = {"kg": Decimal(1000), "g": Decimal(1), "lb": POUND, "oz": POUND / 16}
MAX_GRAMS = 1_000_000  # no market scale weighs a tonne: a bigger number is a broken frame


@dataclass(frozen=True)
class Reading:
    state: State
    grams: int | None = None
    raw: bytes = field(default=b"", compare=False)
    net: bool = False  # the scale says a tare is in force (a net weight)

    @property
    def weight_ok(self) -> bool:
        return self.state == "stable" and self.grams is not None and self.grams > 0


def error(raw: bytes) -> Reading:
    return Reading("error", None, raw)


def to_grams(text: str, unit: str = "kg") -> int | None:
    """``' 1.250'`` kg → 1250; None for anything that is not a plain decimal number. A metric
    weight must be whole grams; one in pounds or ounces is converted exactly, then to the
    nearest gram (a half to the even one): ``1.250`` lb → 567."""
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,7}(\.\d{1,4})?", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    unit = unit.strip().lower()
    factor = GRAMS_PER.get(unit)
    if factor is None:
        return None
    grams = value * factor
    if unit in ("lb", "oz"):
        grams = grams.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
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
    net = match.group(2) == "NT"
    if match.group(3) == "-" and grams:
        return Reading("under_zero", None, frame, net)
    return Reading("stable" if match.group(1) == "ST" else "unstable", grams, frame, net)


_SMA_STATUS = frozenset(" ZOUEIT")


def _sma_fields(frame: bytes) -> tuple[str, str, str, str, str] | None:
    """(status, gross/net, motion, weight, unit) of an SMA frame (its weight in 10
    characters, or 11 as some indicators write it), or None."""
    if len(frame) not in (20, 21) or frame[0] != LF or frame[-1] != CR:
        return None
    try:
        body = frame[1:-1].decode("ascii")
    except UnicodeDecodeError:
        return None
    status, scale_range, mode, motion, reserved = body[0], body[1], body[2], body[3], body[4]
    if status not in _SMA_STATUS or not scale_range.isdigit() or mode not in "GNgnT" \
            or motion not in " M" or reserved != " ":  # (no checksum: every byte as it must)
        return None
    return status, mode, motion, body[5:-3], body[-3:].strip()


def parse_sma(frame: bytes) -> Reading:
    fields = _sma_fields(frame)
    if fields is None:
        return error(frame)
    status, mode, motion, weight, unit = fields
    if status in "EIT" or mode == "T":  # an error shows dashes; a tare is not a weight
        return error(frame)
    if status == "O":
        return Reading("overload", None, frame)
    if status == "U":
        return Reading("under_zero", None, frame)
    grams = to_grams(weight, unit)
    if grams is None:
        return error(frame)
    net = mode in "Nn"
    if grams < 0:
        return Reading("under_zero", None, frame, net)
    return Reading("unstable" if motion == "M" else "stable", grams, frame, net)


_MAGELLAN = re.compile(rb"^S1(1|44)(\d{4,5})\r$")
_MAGELLAN_STATUS = {b"S141\r": "unstable", b"S142\r": "overload", b"S145\r": "under_zero"}
# a barcode's frame: S08, its symbology (a letter: FF for EAN-8, B1…B9 and R4 two), the code
_MAGELLAN_CODE = re.compile(rb"^S08(FF|B[1-9]|R4|[A-Z])([\x21-\x7e]{1,64})\r$")


def magellan_reader(units: str) -> Callable[[bytes], Reading]:
    """The Magellan's weight frames, read in the scale's units (``lb``: hundredths of a
    pound; ``kg``: grams)."""
    def parse(frame: bytes) -> Reading:
        if frame == b"S143\r":
            return Reading("stable", 0, frame)
        state = _MAGELLAN_STATUS.get(frame)
        if state is not None:
            return Reading(state, None, frame)  # type: ignore[arg-type]
        match = _MAGELLAN.match(frame)
        if match is None:
            return error(frame)
        digits = match.group(2).decode()
        grams = to_grams(f"{int(digits) / 100:.2f}", "lb") if units == "lb" \
            else to_grams(digits, "g")
        return error(frame) if grams is None else Reading("stable", grams, frame)
    return parse


def magellan_code(frame: bytes) -> str | None:
    """The code of a Magellan barcode frame (its symbology taken off), or None."""
    match = _MAGELLAN_CODE.match(frame)
    return None if match is None else match.group(2).decode("ascii")


PARSERS = {"toledo8217": parse_toledo, "sics": parse_sics, "cas": parse_cas,
           "continuous": parse_continuous, "sma": parse_sma,
           "magellan": magellan_reader("kg")}


def parser_for(protocol: str, units: str = "kg") -> Callable[[bytes], Reading]:
    """The frame reader of ``protocol``, in ``units`` where its frames do not say them."""
    return magellan_reader(units) if protocol == "magellan" else PARSERS[protocol]


# -- what the scale answers to zero, tare and clear tare ---------------------------------------

Command = Literal["zero", "tare", "clear_tare"]
COMMANDS: tuple[Command, ...] = ("zero", "tare", "clear_tare")
# done: the scale says it did it · refused: it says it did not, and why · silent: no answer ·
# unsupported: the protocol has no such command · disconnected: it could not be sent
Outcome = Literal["done", "refused", "silent", "unsupported", "disconnected"]
# Why a scale refused: each has its words where the refusal is shown
Why = Literal["moving", "over_capacity", "under_zero", "out_of_range", "busy", "not_allowed",
              "not_understood", "not_done"]


@dataclass(frozen=True)
class Answer:
    """What the scale answered to a command. ``tare``: the tare it took, in grams, when it
    says so (MT-SICS does)."""

    outcome: Outcome
    why: Why | None = None
    tare: int | None = None
    raw: bytes = field(default=b"", compare=False)

    @property
    def done(self) -> bool:
        return self.outcome == "done"


def refused(why: Why, raw: bytes) -> Answer:
    return Answer("refused", why, raw=raw)


def toledo_answer(command: Command, frame: bytes) -> Answer:
    """The 8217's ``STX ? status CR`` after ``Z``, ``T`` or ``C``: done only when the status
    shows it (centre of zero; net; gross), never because the command went out."""
    if not frame:
        return Answer("silent")
    if len(frame) != 4 or frame[:2] != bytes([STX, ord("?")]) or frame[-1] != CR:
        return refused("not_understood", frame)  # a weight, a bare "?", garbage
    status = frame[2]
    if status & 0x01:
        return refused("moving", frame)
    if status & 0x02:
        return refused("over_capacity", frame)
    if command == "zero":
        if status & 0x08:
            return refused("out_of_range", frame)
        if status & 0x04:
            return refused("under_zero", frame)
        return Answer("done", raw=frame) if status & 0x10 else refused("not_done", frame)
    if command == "tare":
        if status & 0x04:
            return refused("under_zero", frame)
        return Answer("done", raw=frame) if status & 0x20 else refused("not_done", frame)
    return Answer("done", raw=frame) if not status & 0x20 else refused("not_done", frame)


_SICS_ANSWERS: dict[Command, tuple[str, ...]] = {
    "zero": ("Z", "ZI"), "tare": ("T", "TI"), "clear_tare": ("TAC",)}
_SICS_WHY: dict[str, Why] = {"I": "busy", "+": "out_of_range", "-": "out_of_range",
                             "L": "not_allowed"}


def sics_answer(command: Command, frame: bytes) -> Answer:
    """MT-SICS's reply to ``Z``/``ZI``, ``T``/``TI`` or ``TAC``: ``Z A``, ``T S  0.200 kg``,
    ``TAC A`` when done; ``I`` (busy), ``+``/``-`` (out of range), ``L`` (not allowed), or
    the errors ``ES`` (not a command it knows), ``ET``, ``EL``."""
    if not frame:
        return Answer("silent")
    text = _line(frame)
    if text is None:
        return refused("not_understood", frame)
    parts = text.split()
    if parts in (["ES"], ["ET"]):
        return refused("not_understood", frame)
    if parts == ["EL"]:
        return refused("not_allowed", frame)
    if len(parts) < 2 or parts[0] not in _SICS_ANSWERS[command]:
        return refused("not_understood", frame)
    status = parts[1]
    if status in _SICS_WHY:
        return refused(_SICS_WHY[status], frame)
    if command == "tare" and status in ("S", "D") and len(parts) == 4:
        grams = to_grams(parts[2], parts[3])
        if grams is not None and grams >= 0:
            return Answer("done", tare=grams, raw=frame)
        return refused("not_understood", frame)
    done = ("A",) if parts[0] in ("Z", "TAC") else ("S", "D")
    if command != "tare" and status in done and len(parts) == 2:
        return Answer("done", raw=frame)
    return refused("not_understood", frame)


def sma_answer(command: Command, frame: bytes) -> Answer:
    """An SMA scale's frame after ``LF Z CR``, ``LF T CR`` or ``LF C CR``: done when it shows
    the result (centre of zero; a net weight; a gross one); its error status otherwise."""
    if not frame:
        return Answer("silent")
    fields = _sma_fields(frame)
    if fields is None:
        return refused("not_understood", frame)  # "LF ? CR", garbage
    status, mode, motion, _weight, _unit = fields
    failed: dict[str, Why] = {"E": "out_of_range", "I": "out_of_range", "T": "not_done",
                              "O": "over_capacity"}
    if status in failed:
        return refused(failed[status], frame)
    if motion == "M":
        return refused("moving", frame)
    if command == "zero":
        return Answer("done", raw=frame) if status == "Z" else refused("not_done", frame)
    if command == "tare":
        return Answer("done", raw=frame) if mode in "Nn" else refused("not_done", frame)
    return Answer("done", raw=frame) if mode in "Gg" else refused("not_done", frame)


def continuous_answer(command: Command, readings: list[Reading]) -> Answer:
    """An indicator that streams answers a command by what it sends next: a steady gross
    zero (zero), a net weight (tare), a gross weight (clear tare). ``readings``: the frames
    read since the command, newest last."""
    if not readings or all(r.state == "error" for r in readings):
        return Answer("silent")
    for reading in readings:
        if reading.state != "stable":
            continue
        if command == "zero" and not reading.net and reading.grams == 0:
            return Answer("done", raw=reading.raw)
        if command == "tare" and reading.net and reading.grams == 0:
            return Answer("done", raw=reading.raw)
        if command == "clear_tare" and not reading.net:
            return Answer("done", raw=reading.raw)
    last = readings[-1]
    why: Why = {"unstable": "moving", "overload": "over_capacity",
                "under_zero": "under_zero"}.get(last.state, "not_done")  # type: ignore[assignment]
    return refused(why, last.raw)


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
