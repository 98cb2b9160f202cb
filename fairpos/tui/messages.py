"""Typed messages: what the till's workers tell the screens, and what screens tell each other.

A journal job runs in a worker thread and answers with one of these, posted to the screen
that asked and to no one else (they do not bubble; tests watch them with
``run_test(message_hook=...)``). A refusal is
:class:`Refused`; anything else that goes wrong is a bug and is shown as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from textual.message import Message

from fairpos.domain.catalog import Catalog
from fairpos.domain.money import Rates
from fairpos.domain.reports import Report
from fairpos.domain.sale import Sale
from fairpos.domain.shift import CountKey
from fairpos.journal.records import CountRound, Draft, HeldSale, OutboxSummary, ShiftInfo
from fairpos.lane import CloseResult
from fairpos.scale.frames import Answer, Command, Reading


class Refused(Message, bubble=False):
    """The journal or the domain refused a request; ``text`` says why, for the volunteer."""

    def __init__(self, text: str, clock_behind: bool = False) -> None:
        super().__init__()
        self.text = text
        self.clock_behind = clock_behind  # refused because the clock is behind the journal


@dataclass
class Loaded(Message, bubble=False):
    """The lane as the till starts: catalog, rates, the open shift, a sale held at quit."""

    catalog: Catalog
    rates: Rates
    shift: ShiftInfo | None
    held_at_quit: HeldSale | None
    draft: Draft | None
    clock_behind: timedelta | None = None  # how far the clock is behind the last entry


@dataclass
class RatesLoaded(Message, bubble=False):
    rates: Rates


@dataclass
class ShiftOpened(Message, bubble=False):
    shift: ShiftInfo


@dataclass
class ShiftClosed(Message, bubble=False):
    result: CloseResult


@dataclass
class CountsExpected(Message, bubble=False):
    """What the drawer and the slips should hold (never shown before the count), and the
    counts kept so far this shift."""

    expected: dict[CountKey, int]
    rounds: list[CountRound]
    held: list[HeldSale] = field(default_factory=list)  # sales on hold: no count before


@dataclass
class HeldDropped(Message, bubble=False):
    """A held sale was given up, with its reason (audited)."""

    held_id: int


@dataclass
class CountSubmitted(Message, bubble=False):
    """A blind count is kept in the journal, as it was typed."""

    counted: CountRound


@dataclass
class SaleConfirmed(Message, bubble=False):
    """A sale is in the journal (with its receipt queued)."""

    sale: Sale


@dataclass
class SaleHeld(Message, bubble=False):
    held_id: int
    at_quit: bool = False


@dataclass
class SaleRecalled(Message, bubble=False):
    """A held sale, read to be brought back onto the screen (it stays held until sold)."""

    held: HeldSale


@dataclass
class HeldListed(Message, bubble=False):
    held: list[HeldSale]


@dataclass
class SalesListed(Message, bubble=False):
    entries: list[Sale]


@dataclass
class EntryRecorded(Message, bubble=False):
    """A void or a refund is in the journal."""

    entry: Sale


@dataclass
class ReportReady(Message, bubble=False):
    report: Report


@dataclass
class SticksFound(Message, bubble=False):
    """Removable drives mounted where the lane's settings say (empty: none)."""

    sticks: list[Path]


@dataclass
class BackedUp(Message, bubble=False):
    """The journal copied (and checked) to ``path``."""

    path: Path


@dataclass
class PrintQueued(Message, bubble=False):
    job_id: int | None  # None: printed at once, not queued (the journal is read-only)
    sale_id: str | None = None


@dataclass
class HardwareChecked(Message, bubble=False):
    lines: list[str] = field(default_factory=list)


class CartChanged(Message):
    """The sale in progress, or what the side panel shows, changed outside the ring-up screen
    (``quiet``: only the devices' state); ``said``: what to tell the volunteer about it."""

    def __init__(self, quiet: bool = False, said: str = "") -> None:
        super().__init__()
        self.quiet = quiet
        self.said = said


class PrinterChanged(Message):
    """A print run ended: ``problem`` is why it stopped (None when all printed); ``pending``
    is how many jobs wait (-1: not known); ``uncertain`` how many may have printed;
    ``paper_low``: whether the printer said little paper is left (None: nothing printed, so
    it did not say)."""

    def __init__(self, problem: str | None, pending: int, uncertain: int = 0,
                 paper_low: bool | None = None, uncertain_sale: str | None = None,
                 counted: bool = False) -> None:
        super().__init__()
        self.problem = problem
        self.pending = pending
        self.uncertain = uncertain
        self.paper_low = paper_low
        self.uncertain_sale = uncertain_sale  # the newest receipt that may not have printed
        self.counted = counted  # only the queue counted again: no print run ended


class ScaleReading(Message):
    """What the scale shows now (from the scale's thread); a newer one replaces it unread.
    ``accepted`` is the same reading once the stable-weight rule accepts it for pricing."""

    def __init__(self, reading: Reading, accepted: Reading | None) -> None:
        super().__init__()
        self.reading = reading
        self.accepted = accepted

    def can_replace(self, message: Message) -> bool:
        # A reading with no accepted weight is never skipped for an accepted one: it is what
        # tells the till that the goods came off and the next weight is a new one.
        return isinstance(message, ScaleReading) and (
            self.accepted is not None or message.accepted is None)


class ScaleCommanded(Message):
    """What the scale answered to zero, tare or clear tare."""

    def __init__(self, command: Command, answer: Answer) -> None:
        super().__init__()
        self.command = command
        self.answer = answer


class SyncChanged(Message):
    """A sync run ended: ``problem`` is why it stopped (None: all sent); ``summary`` is what
    waits now (None: not known)."""

    def __init__(self, problem: str | None, summary: OutboxSummary | None,
                 clock_skew: timedelta | None = None) -> None:
        super().__init__()
        self.problem = problem
        self.summary = summary
        self.clock_skew = clock_skew  # this clock less the ledger's, when it answered


class TerminalGone(Message):
    """The till's terminal went away (its input says "end of file", with no hangup)."""


class Scanned(Message):
    """A code from the serial barcode scanner (from its thread)."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code


class ScannerChanged(Message):
    """The serial scanner's line came (``ready``) or went (``problem``: why)."""

    def __init__(self, ready: bool, problem: str | None) -> None:
        super().__init__()
        self.ready = ready
        self.problem = problem
