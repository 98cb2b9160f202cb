"""The lane service: one lane's settings, journal and printer, and the one path for a sale.

The till and the command line both ring up a :class:`~fairpos.domain.cart.Cart` their own way (keys,
or arguments) and then call the same methods here: :meth:`Lane.sell` confirms it (with its
receipt queued in the same transaction, and the held sales it came from released in it too),
:meth:`Lane.hold` puts it aside, :meth:`Lane.recall` brings a held sale back without letting go
of it, :meth:`Lane.receipt` renders a receipt, :meth:`Lane.ledger_client` reaches the ledger.

Every method may be called from any thread: the journal serialises its own writes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from fairpos import i18n
from fairpos.domain.cart import Cart
from fairpos.domain.catalog import Catalog, CatalogDraft, Product
from fairpos.domain.money import Money, Rate, Rates
from fairpos.domain.reports import Report
from fairpos.domain.sale import Sale
from fairpos.domain.settlement import settlement
from fairpos.domain.shift import CountKey, CountLine, Pieces
from fairpos.domain.station import WeighedLabel, weigh
from fairpos.domain.tenders import Settlement, Tender, default_change_currency
from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.journal import DB_NAME, HeldSale, Journal, ShiftInfo
from fairpos.journal.backups import check, restore
from fairpos.journal.records import (
    Backup,
    Contents,
    CountRound,
    Draft,
    Labelled,
    OutboxSummary,
    PrintJob,
)
from fairpos.printer.connection import PrinterError, Target, parse_url, send
from fairpos.printer.labels import RENDERERS, LabelStock
from fairpos.printer.layout import Receipt, sale_receipt, text_receipt, weighed_label
from fairpos.printer.render import render
from fairpos.printer.spool import SpoolResult, print_pending
from fairpos.settings import Settings, parse_settings
from fairpos.sticks import mounted

BACKUPS_ON_A_STICK = "fairpos-backups"

if TYPE_CHECKING:  # httpx is loaded only by the lanes that sync
    import httpx

    from fairpos.sync.relay import LedgerClient

SETTINGS_NAME = "fairpos.toml"


class LaneError(FairposError, ValueError):
    """A lane that is not set up, or a request it refuses."""


@dataclass(frozen=True)
class CloseResult:
    shift: ShiftInfo
    counts: list[CountLine]
    report: Report


@dataclass(frozen=True)
class Recalled:
    """A held sale brought back into the till: the cart on screen now, and the held sales it
    holds (they stay held until the cart is sold or held again)."""

    cart: Cart
    held: tuple[int, ...]


def recalled_into(held: HeldSale, cart: Cart | None = None, holding: Sequence[int] = ()
                  ) -> Recalled:
    """A held sale brought back: its lines first, then those of ``cart`` (the sale already
    on screen, itself holding ``holding``)."""
    if held.id in holding:
        raise LaneError(_("held sale #{id} is already on screen").format(id=held.id))
    lines = [*held.cart.lines, *(cart.lines if cart is not None else ())]
    return Recalled(Cart(held.cart.currency, lines), (*holding, held.id))


class Lane:
    """One lane's data folder. Settings and journal are read when first needed."""

    def __init__(self, data_dir: Path, settings: Settings | None = None,
                 journal: Journal | None = None) -> None:
        self.data_dir = data_dir
        self._settings = settings
        self._journal = journal

    # -- what the lane is made of ----------------------------------------------------------

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_NAME

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if not self.settings_path.exists():
                raise LaneError(_("no {name} in {dir}; run “fairpos init” first").format(
                    name=SETTINGS_NAME, dir=self.data_dir))
            text = self.settings_path.read_text(encoding="utf-8")
            self._settings = parse_settings(text, os.environ)
            if "token" in text and self._settings.ledger.token:
                _readable_by_owner_alone(self.settings_path)
        return self._settings

    def write_settings(self, text: str) -> None:
        """Replace fairpos.toml with ``text`` whole (a crash leaves the old file or the new),
        readable by this user alone once it holds the ledger's token."""
        holds_token = bool(parse_settings(text, {}).ledger.token)
        mode = 0o600 if holds_token else 0o644
        tmp = self.settings_path.with_name(SETTINGS_NAME + ".new")
        tmp.unlink(missing_ok=True)
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)  # (whatever the umask left)
        tmp.replace(self.settings_path)
        self._settings = None

    def reload_settings(self) -> None:
        """Read fairpos.toml again (after a command changed it)."""
        self._settings = None

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            self.settings  # noqa: B018 - a lane without settings has no journal to open
            self._journal = Journal.open(self.data_dir / DB_NAME)
        return self._journal

    def open(self) -> None:
        """Open the journal now: a lane without one is refused here, in one line, before a
        screen starts."""
        self.journal  # noqa: B018

    def create_journal(self) -> Journal:
        """Create the journal (minting the device id) and keep it open."""
        self._journal = Journal.create(self.data_dir / DB_NAME)
        return self._journal

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # -- copies of the journal ----------------------------------------------------------------

    def backup(self, to: Path | None = None, keep: int | None = None) -> Backup:
        """A checked copy of the journal in ``to`` (else ``[backup] folder``), this lane's
        oldest copies there beyond ``keep`` (else ``[backup] keep``) removed."""
        settings = self.settings.backup
        folder = to if to is not None else self.data_dir / settings.folder
        return self.journal.backup(folder, keep or settings.keep, self.now().astimezone())

    def restore(self, backup: Path) -> tuple[Contents, Path | None]:
        """Put ``backup`` in place of this lane's journal (refused over one that holds anything
        the backup does not); what it holds, and where the journal it replaced was kept."""
        self.close()
        return restore(backup, self.data_dir / DB_NAME, datetime.now().astimezone())

    def backup_to_stick(self, stick: Path) -> Backup:
        """A checked copy of the journal in ``fairpos-backups`` on the drive at ``stick``."""
        return self.backup(stick / BACKUPS_ON_A_STICK)

    def check(self) -> Contents:
        """The settings read, the journal opened (brought up to date) and found whole and
        consistent: what it holds."""
        self.open()
        return check(self.data_dir / DB_NAME)

    def sticks(self) -> list[Path]:
        """Removable drives mounted where ``[backup] sticks`` says, that can be written."""
        return mounted(self.settings.backup.sticks)

    @cached_property
    def printer(self) -> Target:
        """Where receipts go (``none``: nowhere), in the language the printer speaks; a setting
        that cannot work is refused."""
        return replace(parse_url(self.settings.printer.url),
                       language=self.settings.station.label_language)

    @property
    def printing(self) -> bool:
        return self.printer.configured

    # -- the sale ----------------------------------------------------------------------------

    def sell(self, cart: Cart, tenders: Sequence[Tender], change_currency: str,
             held: Sequence[int] = (), print_receipt: bool = True,
             change_ok: Money | None = None, draft: int | None = None,
             sent: Sequence[Tender] = ()) -> Sale:
        """Confirm a sale: it is in the journal, with its receipt queued (when there is a
        printer), the held sales it came from no longer held and the till's draft (up to
        version ``draft``) cleared, before this returns. Change above the limit needs
        ``change_ok``: the amount the volunteer confirmed; ``sent``: change sent by pago
        móvil (the rest is given in cash)."""
        printing = print_receipt and self.printing
        return self.journal.confirm_sale(cart, tenders, change_currency, self.settings,
                                         held=held, receipt=self.receipt if printing else None,
                                         change_ok=change_ok, draft=draft, sent=sent)

    def settlement(self, cart: Cart, tenders: Sequence[Tender], rates: Rates,
                   change_currency: str, sent: Sequence[Tender] = ()) -> Settlement:
        """How ``tenders`` settle ``cart`` at ``rates`` under this lane's settings: the
        reckoning the sale is written with (:func:`~fairpos.domain.settlement.settlement`)."""
        return settlement(cart, tenders, rates, change_currency, self.settings, sent)

    def change_currency(self, tenders: Sequence[Tender]) -> str:
        """The currency change is given in unless the volunteer chooses another."""
        return default_change_currency(tenders, self.settings.money.change_currency,
                                       self.settings.money.currency)

    def hold(self, cart: Cart, at_quit: bool = False, replacing: Sequence[int] = (),
             draft: int | None = None) -> int:
        """Put a sale in progress aside (in place of the held sales it was recalled from, and
        of the till's draft up to version ``draft``)."""
        return self.journal.hold(cart, at_quit=at_quit, replacing=replacing, draft=draft)

    def void(self, sale_id: str, reason: str) -> Sale:
        """A new entry that reverses sale ``sale_id`` whole (with a reason)."""
        return self.journal.void_sale(sale_id, reason)

    def refund(self, sale_id: str, line_numbers: Sequence[int], reason: str,
               currency: str) -> Sale:
        """A new entry that gives back some lines of a sale (all if none) in cash."""
        return self.journal.refund(sale_id, line_numbers, reason, currency, self.settings)

    def drop_held(self, held_id: int, reason: str) -> None:
        """Give up held sale ``held_id`` (the customer left); its lines and the reason are
        kept in the audit log."""
        self.journal.drop_held(held_id, reason)

    def recall(self, held_id: int, cart: Cart | None = None,
               holding: Sequence[int] = ()) -> Recalled:
        """Bring held sale ``held_id`` back (see :func:`recalled_into`); it stays held until
        the cart is sold or held again."""
        return recalled_into(self.journal.held_sale(held_id), cart, holding)

    def receipt_of(self, sale: Sale, reprint: bool = False) -> Receipt:
        """The receipt of ``sale`` as this lane prints it, in the language in use."""
        settings = self.settings
        return sale_receipt(sale, fair=settings.fair.name, lane=settings.fair.lane,
                            language=i18n.active(), width=settings.printer.columns,
                            footer=settings.printer.footer, reprint=reprint,
                            names=settings.method_names)

    def receipt(self, sale: Sale, reprint: bool = False) -> bytes:
        """The receipt of ``sale`` as the configured printer's bytes."""
        return self.render(self.receipt_of(sale, reprint))

    def render(self, receipt: Receipt) -> bytes:
        """What the lane's printer is sent for ``receipt``: ESC/POS, or a label printer's own
        language (``[station] label_language``)."""
        printer, station = self.settings.printer, self.settings.station
        if station.label_language in RENDERERS:
            return RENDERERS[station.label_language](receipt, LabelStock(
                station.label_width_mm, station.label_height_mm, station.dpi, station.media,
                station.darkness, station.speed))
        return render(receipt, profile=printer.profile, codepage=printer.codepage)

    # -- the shift and what it sells from -------------------------------------------------

    @property
    def device_id(self) -> str:
        return self.journal.device_id

    @property
    def read_only(self) -> bool:
        """The journal could only be opened for reading: reports and reprints work, every
        write is refused with one line."""
        return self.journal.read_only

    def current_shift(self) -> ShiftInfo | None:
        return self.journal.current_shift()

    def latest_shift(self) -> ShiftInfo | None:
        """The open shift, or else the last one closed."""
        return self.journal.latest_shift()

    def expected_counts(self, shift_id: int) -> dict[CountKey, int]:
        """What should be in the drawer and on the slips at the shift's close."""
        return self.journal.expected_counts(shift_id)

    def catalog(self, version: int | None = None) -> Catalog:
        """A catalog version the lane sells from (the newest by default)."""
        return self.journal.catalog(version)

    def rates(self, currency: str, currencies: Sequence[str], on: date | None = None) -> Rates:
        """The newest rate in force on ``on`` (today) for each other currency that has one."""
        return self.journal.rates(currency, currencies, on)

    def held(self, shift_id: int | None = None) -> list[HeldSale]:
        """Sales on hold, oldest first."""
        return self.journal.held(shift_id)

    def outbox_summary(self) -> OutboxSummary:
        """What waits to go to the ledger, at a glance."""
        return self.journal.outbox_summary()

    def held_sale(self, held_id: int) -> HeldSale:
        return self.journal.held_sale(held_id)

    def draft(self) -> Draft | None:
        """The sale on screen as the till last kept it (None: no sale under way)."""
        return self.journal.draft()

    def save_draft(self, cart: Cart, holding: Sequence[int], version: int,
                   payments: Sequence[Tender] = (), sent: Sequence[Tender] = ()) -> bool:
        """Keep the sale on screen (version ``version``) so a power cut loses none of it."""
        return self.journal.save_draft(cart, holding, version, payments, sent)

    def sale(self, sale_id: str) -> Sale:
        return self.journal.sale(sale_id)

    def sales(self, shift_id: int) -> list[Sale]:
        """A shift's sales, voids and refunds, in the order they were written."""
        return self.journal.sales(shift_id)

    def last_entry(self) -> Sale | None:
        return self.journal.last_entry()

    def count_rounds(self, shift_id: int) -> list[CountRound]:
        """The shift's blind counts as submitted, oldest first."""
        return self.journal.count_rounds(shift_id)

    def clock_behind(self) -> timedelta | None:
        """How far the clock is behind the journal's last entry (None: it is not)."""
        return self.journal.clock_behind()

    def day_report(self, day: str, training: bool = False) -> Report:
        """The report of every shift of a business date (training shifts apart)."""
        return self.journal.report(self.settings, day=day, training=training)

    @property
    def outbox(self) -> Journal:
        """The journal as the sync layer sees it: what goes to the ledger and what came
        back (``fairpos.sync`` pushes, pulls and closes days on it)."""
        return self.journal


    def open_shift(self, volunteer: str, floats: Mapping[str, int], training: bool = False,
                   *, earlier_date_ok: bool = False,
                   pieces: Mapping[str, Pieces] | None = None) -> ShiftInfo:
        """Open a shift with its floats (a date earlier than the last shift's only once the
        volunteer confirmed it: ClockBehind)."""
        return self.journal.open_shift(volunteer, floats, training,
                                       earlier_date_ok=earlier_date_ok, pieces=pieces)

    def submit_count(self, counted: Mapping[CountKey, int],
                     pieces: Mapping[str, Pieces] | None = None) -> CountRound:
        """A blind count of the open shift, kept as it was submitted (a recount beside it)."""
        return self.journal.submit_count(counted, pieces)

    def set_rate(self, base: str, quote: str, value: Decimal, effective: date,
                 reason: str = "") -> Rate:
        """A new exchange rate, in force from ``effective``."""
        return self.journal.set_rate(base, quote, value, effective, reason)

    def import_catalog(self, draft: CatalogDraft, currency: str, source: str, sha256: str
                       ) -> int:
        """A checked catalog, kept as a new version; its number."""
        return self.journal.import_catalog(draft, currency, source, sha256)

    def close_shift(self, counted: Mapping[CountKey, int] | None, reason: str | None = None,
                    pieces: Mapping[str, Pieces] | None = None) -> CloseResult:
        """Close the open shift on its newest blind count (``counted``: count now, with the
        cash of ``pieces``' currencies by bills and coins); the Z report comes with it."""
        closed = self.journal.close_shift(counted, self.settings, reason, pieces)
        return CloseResult(closed.shift, closed.counts,
                           self.journal.report(self.settings, shift_id=closed.shift.id))

    def report(self, shift_id: int) -> Report:
        return self.journal.report(self.settings, shift_id=shift_id)

    # -- a weighing station's labels ----------------------------------------------------------

    def label(self, product: Product, grams: int, scale_frame: str | None = None
              ) -> tuple[WeighedLabel, int]:
        """Weigh ``grams`` of ``product`` into a label at the catalog's price and the rates
        in force, journaled with its print job in one transaction (printed with the rest of
        the queue); the label and its job."""
        settings = self.settings
        layouts = settings.barcode_layouts
        if not layouts:
            raise FairposError(_("no label layout is set: add one to [barcodes] layouts, "
                                 "e.g. \"2 1 PPPP C WWWWW C\""))
        journal = self.journal
        catalog = journal.catalog()
        label = weigh(catalog, product, grams, layouts[0], scale_frame)
        rates = journal.rates(settings.money.currency, settings.accepted_currencies)
        when = f"{self.now():%Y-%m-%d %H:%M}"
        receipt = weighed_label(label, label.amounts(rates), fair=settings.fair.name,
                                weighed_at=when, language=i18n.active(),
                                width=settings.printer.columns)
        # (rendered before anything is written: a printer that cannot draw it writes nothing)
        _label_id, job = journal.record_label(label, self.render(receipt))
        return label, job

    # -- paper -------------------------------------------------------------------------------

    def queue_page(self, kind: str, receipt: Receipt) -> int | None:
        """Queue a report or a test page; printed with the rest of the queue. On a journal
        that cannot be written (a read-only disk) there is no queue: the page is sent now, not
        recorded, and None returned (PrinterError: it did not print)."""
        payload = self.render(receipt)
        if self.journal.read_only:
            send(self.printer, payload)
            return None
        return self.journal.queue_print(kind, payload, None)

    def queue_reprint(self, sale: Sale) -> int | None:
        """A receipt marked REPRINT; the sale's receipts that may have printed are settled by
        it. On a read-only journal it is sent now, like a page (None)."""
        payload = self.receipt(sale, reprint=True)
        if self.journal.read_only:
            send(self.printer, payload)
            return None
        with self.journal.transaction():  # both, or neither
            job = self.journal.queue_print("reprint", payload, sale.id)
            self.journal.settle_uncertain(sale.id)
        return job

    def report_receipt(self, report: Report, title: str | None = None) -> Receipt:
        """A report as the printer's page, at the paper's width."""
        width = self.settings.printer.columns
        return text_receipt(title or report.kind, report.render(i18n.active(), width), width)

    def print_now(self, job_id: int) -> None:
        """Print one queued job now (unless another drainer is printing it); a PrinterError
        says why it stays queued."""
        result = print_pending(self.journal, self.printer, job_id=job_id)
        if result.failed is not None:
            raise PrinterError(result.failed)

    def print_page(self, kind: str, receipt: Receipt) -> None:
        """Queue a page and print it now; a PrinterError says why it stays queued."""
        job = self.queue_page(kind, receipt)
        if job is not None:
            self.print_now(job)

    def print_receipts(self, sale_id: str) -> None:
        """Print the waiting jobs of one sale now (PrinterError: they stay queued)."""
        result = print_pending(self.journal, self.printer, sale_id=sale_id)
        if result.failed is not None:
            raise PrinterError(result.failed)

    def print_pending(self) -> SpoolResult:
        """Print everything waiting, oldest first, until the printer fails."""
        return print_pending(self.journal, self.printer)

    def print_jobs(self) -> list[PrintJob]:
        """Receipts and pages waiting to print, oldest first."""
        return self.journal.print_jobs()

    def uncertain_prints(self) -> list[PrintJob]:
        """Jobs that may have printed when the printer failed: the paper says whether."""
        return self.journal.uncertain_prints()

    def settle_dead_drainers(self) -> int:
        """Jobs a killed print run held: to check (bytes went out) or free again."""
        return 0 if self.read_only else self.journal.settle_dead_drainers()

    def skip_prints(self, before: datetime) -> int:
        """Receipts queued before ``before`` are not printed (the queue after a long cut);
        each can still be reprinted by its sale's id."""
        return self.journal.skip_prints(before.isoformat())

    def labelled(self, first: str, last: str) -> list[Labelled]:
        """Per product, what a weighing station labelled from ``first`` to ``last`` (days,
        inclusive)."""
        return self.journal.labelled(first, last)

    def labels_of(self, day: str) -> list[dict[str, object]]:
        """A station's labels of one business date, oldest first."""
        return self.journal.labels_of(day)

    # -- the ledger --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return bool(self.settings.ledger.url and self.settings.ledger.token)

    def ledger_client(self, timeout: httpx.Timeout | None = None) -> LedgerClient:
        """A client of the lane's ledger (refused when the lane is not connected)."""
        from fairpos.sync.relay import TIMEOUT, LedgerClient

        ledger = self.settings.ledger
        if not self.connected:
            raise LaneError(_("this lane is not connected to a ledger "
                              "(fairpos connect URL --token TOKEN)"))
        return LedgerClient(ledger.url, ledger.token,
                            timeout=timeout or TIMEOUT)

    def now(self) -> datetime:
        return self.journal.clock()

    def closing_date(self) -> str:
        """The business date a day close is for: the open shift's, else the last shift's,
        else today's."""
        shift = self.journal.current_shift()
        if shift is not None:
            return shift.business_date
        return self.journal.latest_business_date() or self.now().date().isoformat()


def sold_from_labels(folder: Path, first: str, until: str) -> dict[str, tuple[int, int]] | None:
    """What the lane whose folder is ``folder`` sold from station labels between two business
    dates: per PLU, its lines and grams (None: the folder holds no lane's journal)."""
    if not (folder / DB_NAME).exists():
        return None
    other = Journal.open(folder / DB_NAME)
    try:
        return other.sold_by_label(first, until)
    finally:
        other.close()


def _readable_by_owner_alone(path: Path) -> None:
    """A settings file that holds the ledger's token, written before the lane kept it so (or
    copied in by hand), is made readable by its owner alone."""
    with suppress(OSError):  # not ours to change: the lane still works
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
