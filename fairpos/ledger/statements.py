"""Pago móvil reconciliation: the fair's bank statements against the lanes' pago móvil tenders.

A statement is the CSV a bank lets its customer download: one line per payment received (a
credit) or sent (a debit, with a minus: change sent by pago móvil), with its date, reference,
amount (bolívares) and the other side's phone. Each bank names its columns and
writes its numbers its own way; :data:`BANKS` holds that small mapping per bank code. Lines are
kept once (an overlapping statement imported again adds only what is new).

A tender matches a statement line when the amounts are equal, the dates are within a window,
and the references agree — the same digits, or the tender's (at least four typed by the
volunteer) the end of the bank's longer one. A tender and a line whose amounts and dates agree
but whose references differ by one digit (one left out, one too many or one mistyped) are a
*possible* match for a person to confirm; what is left is a tender with no statement line
(a typo, or a payment that never arrived) and a statement line with no tender.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal

from fairpos.errors import FairposError
from fairpos.i18n import _, active


class StatementError(FairposError, ValueError):
    """A statement that cannot be read; the message says where and why."""


@dataclass(frozen=True)
class BankFormat:
    name: str
    date: str  # the date column
    reference: str
    amount: str
    phone: str
    day_first: bool = True  # 21/11/2026 (not 11/21/2026)
    decimal: str = ","  # 1.234,56


BANKS: dict[str, BankFormat] = {
    "0102": BankFormat("Banco de Venezuela", "Fecha", "Referencia", "Monto", "Teléfono"),
    "0105": BankFormat("Mercantil", "Fecha", "Nro. Referencia", "Monto Bs.", "Celular"),
    "0108": BankFormat("Provincial", "Fecha Operación", "Referencia", "Importe", "Teléfono"),
    "0134": BankFormat("Banesco", "Fecha", "Referencia", "Monto", "Teléfono Pagador"),
}
WINDOW_DAYS = 2  # a statement's date may be this many days from the sale's
MAX_LINES = 1_000_000  # lines of one statement file, at most
MAX_BYTES = 128 * 1024 * 1024  # bytes of one statement file, at most
CHUNK = 20_000  # statement lines kept per transaction, and read per query
PAUSE = 0.02  # seconds between two chunks of an import on SQLite: a lane's turn to write
LINES_SHOWN = 200  # statement lines with no tender a page lists (the CSV has them all)
# a cell that is a spreadsheet's formula (=HYPERLINK("…","00459911")), never reduced to its
# digits; a plain amount may begin with a sign
FORMULA = re.compile(r"^\s*(=|@|[+-]\s*[^\d\s.,])")
MIN_TYPED = 4  # digits of a reference a volunteer types, at least, to match by its end


@dataclass(frozen=True)
class StatementLine:
    number: int  # the line in the file (the header is line 1)
    day: date
    reference: str
    amount: int  # VES minor units
    phone: str


def _plain(text: str) -> str:
    """A column's name compared without case, accents or spaces at the ends."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _amount(text: str, decimal: str, number: int) -> int:
    """An amount in minor units: a credit, or a debit written with a minus before or after
    it (``-7.000,00``, ``7.000,00-``)."""
    raw = text.strip().replace("Bs.", "").replace("Bs", "").replace(" ", "")
    thousands = "." if decimal == "," else ","
    raw = raw.replace(thousands, "").replace(decimal, ".")
    debit = raw.startswith("-") or raw.endswith("-")
    raw = raw.removeprefix("-").removesuffix("-") if debit else raw
    if re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", raw) is None:
        raise StatementError(_("line {number}: “{text}” is not an amount").format(
            number=number, text=text.strip()[:40]))
    whole, _dot, cents = raw.partition(".")
    minor = int(whole) * 100 + int(cents.ljust(2, "0"))
    return -minor if debit else minor


def _day(text: str, day_first: bool, number: int) -> date:
    raw = text.strip()[:10]
    formats = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y") if day_first else \
        ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")
    for fmt in formats:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise StatementError(_("line {number}: “{text}” is not a date").format(
        number=number, text=text.strip()[:40]))


def read_statement(text: str, bank: BankFormat) -> list[StatementLine]:
    """Every line of a statement in ``bank``'s format; StatementError naming the line for
    anything that cannot be read (nothing is taken from a file that is wrong anywhere)."""
    return list(statement_lines(text, bank))


def statement_lines(text: str, bank: BankFormat) -> Iterator[StatementLine]:
    """The lines of a statement in ``bank``'s format, one by one as they are read (nothing
    kept: a statement of a million lines is read twice rather than held); StatementError
    naming the line for anything that cannot be read, or past :data:`MAX_LINES`."""
    sample = text.lstrip("\ufeff")
    delimiter = ";" if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(
        ",") else ","
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise StatementError(_("the statement is empty")) from None
    except csv.Error as err:
        raise StatementError(_("line 1 cannot be read ({error})").format(error=err)) from None
    named = {_plain(h): i for i, h in enumerate(header)}
    wanted = {"date": bank.date, "reference": bank.reference, "amount": bank.amount,
              "phone": bank.phone}
    missing = [column for column in wanted.values() if _plain(column) not in named]
    if missing:
        raise StatementError(_("the statement has no column {columns} (the columns of {bank} "
                               "are: {expected})").format(
            columns=", ".join(f"“{c}”" for c in missing), bank=bank.name,
            expected=", ".join(wanted.values())))
    at = {key: named[_plain(column)] for key, column in wanted.items()}
    taken = 0
    try:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            taken += 1
            if taken > MAX_LINES:
                raise StatementError(_("the statement has more than {most} lines: split it "
                                       "by date and import each part").format(
                    most=format_decimal(MAX_LINES, locale=active())))
            if len(row) <= max(at.values()):
                raise StatementError(_("line {number} has too few columns").format(
                    number=number))
            for cell in (row[at["reference"]], row[at["phone"]], row[at["amount"]]):
                if FORMULA.match(unicodedata.normalize("NFKC", cell)):
                    raise StatementError(_("line {number}: “{cell}” is a formula, not a "
                                           "value: export the statement with values").format(
                        number=number, cell=cell.strip()[:40]))
            reference = re.sub(r"\D", "", row[at["reference"]])
            if not reference:
                raise StatementError(_("line {number}: the reference is empty").format(
                    number=number))
            yield StatementLine(
                number, _day(row[at["date"]], bank.day_first, number), reference[-20:],
                _amount(row[at["amount"]], bank.decimal, number),
                re.sub(r"\D", "", row[at["phone"]])[-15:])
    except csv.Error as err:
        raise StatementError(_("line {number} cannot be read ({error})").format(
            number=reader.line_num, error=err)) from None


@dataclass(frozen=True)
class PagoMovil:
    """A pago móvil tender as a lane recorded it."""

    sale_id: str
    device_id: str
    fair: str
    lane: int
    day: date
    reference: str  # digits typed at the till
    amount: int  # VES minor units
    phone: str
    verified: bool  # False: the volunteer could not check it at the till
    change: bool = False  # change sent to the customer (a debit: the amount is negative)


def _one_off(typed: str, bank: str) -> bool:
    """Whether a typed reference is one digit off the bank's (or off its end, when the
    volunteer typed at least four of a longer one): one left out, one added, one mistyped."""
    if not typed or _agrees(typed, bank):
        return False
    for cut in (len(typed) - 1, len(typed), len(typed) + 1):
        if 1 <= cut <= len(bank) and (cut == len(bank) or len(typed) >= MIN_TYPED) and \
                _one_edit(typed, bank[-cut:]):
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(
        long[:i] + long[i + 1:] == short for i in range(len(long)))


def _agrees(typed: str, bank: str) -> bool:
    return typed == bank or (len(typed) >= MIN_TYPED and bank.endswith(typed))


def reconcile(tenders: Iterable[PagoMovil], lines: Iterable[StatementLine | Any],
              window: int = WINDOW_DAYS, confirmed: Collection[tuple[str, int, int]] = (),
              refused: Collection[tuple[str, int, int]] = ()) -> dict[str, list[Any]]:
    """Tenders against statement lines: ``matched`` and ``possible`` (tender, line) pairs,
    ``tenders`` with no line and ``lines`` with no tender. Each is used once; exact matches
    are taken first, the oldest first. A tender looks only at the lines of its amount, and of
    its fair's account or an account of no fair (a line's ``fair``, where it has one). A
    person's word on a possible match — (sale id, amount, line id) — makes it a match
    (``confirmed``) or keeps that pair apart (``refused``)."""
    said_yes, said_no = set(confirmed), set(refused)
    free_tenders = sorted(tenders, key=lambda t: (t.day, t.sale_id))
    ordered = sorted(lines, key=lambda line: (line.day, line.reference))
    by_amount: dict[int, list[Any]] = {}
    for line in ordered:
        by_amount.setdefault(line.amount, []).append(line)
    used: set[int] = set()  # (the lines taken, by identity)
    found: dict[str, list[Any]] = {"matched": [], "possible": []}
    for kind, test in (("matched", _agrees), ("possible", _one_off)):
        left = []
        for tender in free_tenders:
            pick = next((line for line in by_amount.get(tender.amount, ())
                         if id(line) not in used
                         and getattr(line, "fair", None) in (None, tender.fair)
                         and abs((line.day - tender.day).days) <= window
                         and _fits(kind, test, tender, line, said_yes, said_no)), None)
            if pick is None:
                left.append(tender)
                continue
            used.add(id(pick))
            found[kind].append((tender, pick))
        free_tenders = left
    found["tenders"] = free_tenders
    found["lines"] = [line for line in ordered if id(line) not in used]
    return found


def _fits(kind: str, test: Callable[[str, str], bool], tender: PagoMovil, line: Any,
          confirmed: set[tuple[str, int, int]], refused: set[tuple[str, int, int]]) -> bool:
    """Whether ``line`` is ``tender``'s match of this ``kind``: by its reference, or, for a
    match, because a person confirmed the pair; never a pair a person refused."""
    pair = (tender.sale_id, tender.amount, getattr(line, "id", -1))
    if pair in refused:
        return False
    return test(tender.reference, line.reference) or (kind == "matched" and pair in confirmed)


def too_large() -> StatementError:
    return StatementError(_("the statement is larger than {most} MiB: split it by date and "
                            "import each part").format(most=MAX_BYTES // (1024 * 1024)))


def bank_of(code: str) -> BankFormat:
    bank = BANKS.get(code.strip())
    if bank is None:
        raise StatementError(_("bank {code} has no statement format here (known: {known})")
                             .format(code=code, known=", ".join(
                                 f"{c} {b.name}" for c, b in sorted(BANKS.items()))))
    return bank


def statement_rows(bank: str, lines: Iterable[StatementLine]) -> Iterator[tuple[Any, ...]]:
    """(bank, day, reference, amount, phone, line number) rows to keep."""
    return ((bank, line.day.isoformat(), line.reference, line.amount, line.phone,
             line.number) for line in lines)
