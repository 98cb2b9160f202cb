"""What the journal answers with and refuses with: its records (a shift, a count, a held sale,
the draft, the outbox at a glance, a print job, a labelled product) and its refusals. The
front ends import these, and nothing else of the journal: they reach it through the lane
service (an import contract keeps it so)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fairpos.domain.cart import Cart
from fairpos.domain.shift import CountLine
from fairpos.domain.tenders import Tender
from fairpos.errors import FairposError
from fairpos.i18n import _


class JournalError(FairposError, ValueError):
    """A request the journal refuses; the message is for a person."""


class DiskError(FairposError, OSError):
    """The file could not be written (a full disk, a read-only one, a failing one): nothing of
    the transaction was kept. The message says what to do, in one line."""


class ClockBehind(JournalError):
    """The clock says a day earlier than the lane's last shift: the volunteer confirms it."""


@dataclass(frozen=True)
class ShiftInfo:
    id: int
    volunteer: str
    opened_at: str
    business_date: str
    training: bool
    closed_at: str | None
    close_reason: str | None = None


@dataclass(frozen=True)
class CountRound:
    """One blind count of a shift, as it was submitted (``number`` 1, then recounts)."""

    number: int
    counted_at: str
    lines: list[CountLine]


@dataclass(frozen=True)
class ClosedShift:
    shift: ShiftInfo
    counts: list[CountLine]


@dataclass(frozen=True)
class Draft:
    """The sale that was on screen: its cart, the held sales it came from, and the payments
    entered for it (and change already sent by pago móvil: that money has left)."""

    version: int
    shift_id: int | None
    cart: Cart | None  # None: nothing was on screen
    holding: tuple[int, ...]
    saved_at: str
    payments: tuple[Tender, ...] = ()
    sent: tuple[Tender, ...] = ()


@dataclass(frozen=True)
class HeldSale:
    id: int
    held_at: str
    cart: Cart
    at_quit: bool


@dataclass(frozen=True)
class OutboxSummary:
    """What the sync slot shows: entries waiting, the oldest one's time, quarantined ones."""

    pending: int
    oldest: str | None  # created_at of the oldest entry not yet on the ledger
    quarantined: int
    last_sync: str | None
    # through a fair's hub: this lane's entries at the hub not yet at the centre, and when
    # the hub last reached the centre (None, None: the lane syncs with the centre itself)
    at_hub: int | None = None
    hub_contact: str | None = None
    shifts_pending: int = 0  # shift openings and closes not yet on the ledger


@dataclass(frozen=True)
class PrintJob:
    id: int
    sale_id: str | None
    kind: str
    created_at: str
    payload: bytes
    state: str
    attempts: int
    last_error: str | None


class ClaimLost(RuntimeError):
    """This drainer's claim on a job was taken over (it had expired): it must not send it."""


@dataclass(frozen=True)
class Labelled:
    """One product's labels over a day (or more): how many, their grams and amount."""

    plu: str
    name_es: str
    name_en: str
    labels: int
    grams: int
    amount: int
    currency: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es


class BackupError(JournalError):
    """A backup that cannot be made, read or put back; the message is for a person."""


@dataclass(frozen=True)
class Contents:
    """What a journal (or a copy of it) holds, as far as a backup or a restore must know."""

    device_id: str
    sales: int  # sales, voids and refunds
    last_seq: int
    shifts: int
    closed_shifts: int
    open_shift: bool
    labels: int
    counts: int
    audit: int

    def ahead_of(self, other: Contents) -> list[str]:
        """What this journal holds that ``other`` does not, in words (empty: nothing)."""
        said = []
        if self.last_seq > other.last_seq:
            said.append(_("sales after no. {seq}").format(seq=other.last_seq))
        if self.shifts > other.shifts or self.closed_shifts > other.closed_shifts:
            said.append(_("later shifts or closes"))
        if self.labels > other.labels:
            said.append(_("later labels"))
        if self.counts > other.counts or self.audit > other.audit:
            said.append(_("later counts or audit lines"))
        return said

    @property
    def empty(self) -> bool:
        return not (self.sales or self.shifts or self.labels or self.counts)


@dataclass(frozen=True)
class Backup:
    path: Path
    contents: Contents
    removed: tuple[Path, ...]
