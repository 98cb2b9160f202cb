"""Bank statements kept once (chunked, so lanes' batches go in between), and pago móvil
tenders matched with their lines by amount, date and reference — every list paged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fairpos.i18n import _
from fairpos.ledger import statements
from fairpos.ledger.statements import (
    LINES_SHOWN,
    WINDOW_DAYS,
    PagoMovil,
    StatementError,
    bank_of,
    reconcile,
    statement_lines,
    statement_rows,
)
from fairpos.ledger.store.core import (
    IDS_PER_QUERY,
    LedgerError,
    persons_words,
)
from fairpos.ledger.store.reports import Reports


@dataclass(frozen=True)
class _StatementRow:
    """A statement line as kept, to be matched (``fair``: the account's, None for an account
    of no fair)."""

    day: date
    reference: str
    amount: int
    phone: str
    bank: str
    id: int
    fair: str | None = None


_LINE = "day, reference, amount, phone, bank, id, fair"


def _row(r: Any) -> _StatementRow:
    return _StatementRow(date.fromisoformat(r[0]), r[1], int(r[2]), r[3], r[4], int(r[5]),
                         r[6])


def _tender_of(found: Any) -> PagoMovil:
    """The tender of a reconciliation's pair (tender, line), or the tender itself."""
    return found[0] if isinstance(found, tuple) else found  # type: ignore[no-any-return]


class PagoMovilBook(Reports):
    """Bank statements and their reconciliation with the pago móvil tenders."""

    def import_statement(self, bank: str, name: str, text: str, fair: str | None = None,
                         chunk: int = statements.CHUNK,
                         between: Callable[[], None] | None = None) -> tuple[int, int]:
        """Keep a bank statement's lines (``bank``: its code; ``fair``: the fair whose
        account it is, None for every fair): (lines read, lines new). A line already kept
        — the same bank, day, reference and amount — is not kept again. The whole file is
        read first (a line that cannot be read refuses it all), then kept ``chunk`` lines
        to a transaction, so that the lanes' batches go in between (``between``: what is
        done between two chunks; on SQLite, a short pause for the file's other writers). An
        import cut short is imported again: only what is new is added."""
        try:
            if len(text) > statements.MAX_BYTES:
                raise statements.too_large()
            bank_format = bank_of(bank)
            read = sum(1 for _line in statement_lines(text, bank_format))
        except StatementError as err:
            raise LedgerError(f"{name}: {err}") from None
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self.transaction() as conn:
            statement = conn.execute(
                "INSERT INTO statements (bank, fair, name, sha256, lines, imported_at) "
                "VALUES (?,?,?,?,?,?) RETURNING id",
                [bank, fair, name, digest, read, self.clock()]).fetchone()[0]
        rows = statement_rows(bank, statement_lines(text, bank_format))
        while part := [(statement, row[0], fair, *row[1:])
                       for row in itertools.islice(rows, chunk)]:
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT INTO statement_lines (statement_id, bank, fair, day, reference, "
                    "amount, phone, line_no) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    part)
            if between is not None:
                between()
            elif self.backend.dialect == "sqlite":
                time.sleep(statements.PAUSE)  # (the file's one writer: a lane's turn)
        new = self._all("SELECT COUNT(*) FROM statement_lines WHERE statement_id = ?",
                        [statement])[0][0]
        return read, int(new)

    def pago_movil(self, first: date, last: date, fair: str | None = None,
                   window: int = WINDOW_DAYS, lines_at: int = 0,
                   lines_shown: int = LINES_SHOWN) -> dict[str, Any]:
        """The pago móvil of business dates ``first`` to ``last`` (training left out) — the
        payments customers made and the change sent to them (a debit) — against the
        statement lines of those days (and ``window`` days around them, to match): matched,
        possible (a reference one digit off), tenders with no line and lines with no tender
        (of those days: ``lines_shown`` of them from the ``lines_at``-th, their count and
        amount, and ``every_line()`` to walk them all). Voids and refunds are left out.

        Every fair's tenders are matched, each against its fair's account and accounts of no
        fair, so that a line of no fair goes to the fair whose tender it is; ``fair`` then
        keeps that fair's tenders and its own account's lines, and counts apart the lines of
        no fair that no tender claimed (``unowned``). Only the lines of the tenders' amounts
        are read to match (an index finds them)."""
        tenders = self._pago_movil_tenders(first, last)
        span = [(first - timedelta(days=window)).isoformat(),
                (last + timedelta(days=window)).isoformat()]
        amounts = sorted({t.amount for t in tenders})
        candidates = []
        for start in range(0, len(amounts), IDS_PER_QUERY):
            part = amounts[start:start + IDS_PER_QUERY]
            candidates += [_row(r) for r in self._all(
                f"SELECT {_LINE} FROM statement_lines "
                f"WHERE amount IN ({','.join('?' * len(part))}) AND day BETWEEN ? AND ?",
                [*part, *span])]
        decided = {(r[0], int(r[1]), int(r[2])): (r[3], r[4], r[5]) for r in self._all(
            "SELECT sale_id, amount, line_id, decision, by_name, at FROM pago_movil_decisions")}
        found = reconcile(tenders, candidates, window,
                          confirmed=[k for k, v in decided.items() if v[0] == "confirmed"],
                          refused=[k for k, v in decided.items() if v[0] == "refused"])
        free = {line.id for line in found.pop("lines")}
        used = {line.id: line for line in candidates if line.id not in free}
        if fair is not None:
            found = {kind: [pair for pair in pairs if _tender_of(pair).fair == fair]
                     for kind, pairs in found.items()}
        in_span = [line for line in used.values() if first <= line.day <= last]
        view = [first.isoformat(), last.isoformat(), fair, fair]
        lines, amount = self._all(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM statement_lines WHERE day BETWEEN "
            "? AND ? AND (CAST(? AS TEXT) IS NULL OR fair = ?)", view)[0]
        mine = [line for line in in_span if fair is None or line.fair == fair]
        unowned = None
        if fair is not None:
            alone, alone_amount = self._all(
                "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM statement_lines WHERE day "
                "BETWEEN ? AND ? AND fair IS NULL", view[:2])[0]
            claimed = [line for line in in_span if line.fair is None]
            unowned = {"count": int(alone) - len(claimed),
                       "amount": int(alone_amount) - sum(line.amount for line in claimed)}

        def every_line() -> Iterator[_StatementRow]:
            return self._lines_with_no_tender(first, last, fair, set(used))

        imported = self._all("SELECT COUNT(*), MAX(imported_at) FROM statements")[0]
        shown = list(itertools.islice(every_line(), max(lines_at, 0),
                                      max(lines_at, 0) + lines_shown))
        return {"first": first.isoformat(), "last": last.isoformat(), "fair": fair,
                "window": window, **found, "lines": shown,
                "decided": {k: v for k, v in decided.items() if v[0] == "confirmed"},
                "line_notes": self._line_notes([line.id for line in shown]),
                "lines_at": max(lines_at, 0), "lines_count": int(lines) - len(mine),
                "lines_amount": int(amount) - sum(line.amount for line in mine),
                "unowned": unowned, "every_line": every_line,
                "statements": int(imported[0]), "last_import": imported[1]}

    def _pago_movil_tenders(self, first: date, last: date) -> list[PagoMovil]:
        """Every fair's pago móvil in bolívares of those business dates: what customers
        paid, and the change sent to them (negative)."""
        tenders = []
        for sale_id, device_id, fair_name, lane, day, payload in self._all(
                "SELECT s.id, s.device_id, d.fair, d.lane, s.business_date, s.payload "
                "FROM sales s JOIN devices d ON d.device_id = s.device_id WHERE "
                "s.business_date BETWEEN ? AND ? AND s.training = 0 AND s.kind = 'sale' AND "
                "EXISTS (SELECT 1 FROM sale_tenders t WHERE t.sale_id = s.id AND "
                "t.method = 'pago_movil') ORDER BY s.business_date, s.id",
                [first.isoformat(), last.isoformat()]):
            entry = json.loads(payload)
            sent = (entry.get("change") or {}).get("sent") or []
            for tender, sign in [*((t, 1) for t in entry["tenders"]),
                                 *((t, -1) for t in sent)]:
                if tender["method"] == "pago_movil" and tender["currency"] == "VES":
                    reference = tender.get("reference") or {}
                    tenders.append(PagoMovil(
                        sale_id, device_id, fair_name, int(lane), date.fromisoformat(day),
                        re.sub(r"\D", "", str(reference.get("ref", ""))),
                        sign * int(tender["amount"]), str(reference.get("phone", "")),
                        bool(tender.get("verified", True)), change=sign < 0))
        return tenders

    def decide_possible(self, sale_id: str, amount: int, line_id: int, decision: str,
                        by: str, reason: str) -> None:
        """A person's word on a possible match (a reference one digit off): ``confirmed``
        (it is the payment: matched from now on) or ``refused`` (not this line) — once, with
        who and why."""
        if decision not in ("confirmed", "refused"):
            raise LedgerError(_("“{decision}” is not a decision on a possible match").format(
                decision=decision[:40]))
        who, why = persons_words(by, "name", 80), persons_words(reason, "reason", 500)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM statement_lines WHERE id = ?",
                            [line_id]).fetchone() is None or conn.execute(
                    "SELECT 1 FROM sale_tenders WHERE sale_id = ? AND amount = ? AND "
                    "method = 'pago_movil'", [sale_id, amount]).fetchone() is None:
                raise LedgerError(_("there is no such tender and statement line"))
            if conn.execute("SELECT 1 FROM pago_movil_decisions WHERE sale_id = ? AND "
                            "amount = ? AND line_id = ?",
                            [sale_id, amount, line_id]).fetchone() is not None:
                raise LedgerError(_("that possible match was decided already"))
            conn.execute("INSERT INTO pago_movil_decisions (sale_id, amount, line_id, "
                         "decision, by_name, reason, at) VALUES (?,?,?,?,?,?,?)",
                         [sale_id, amount, line_id, decision, who, why, self.clock()])

    def note_statement_line(self, line_id: int, note: str, by: str) -> None:
        """A person's note on a statement line (whose payment it was, what was done); a later
        note is added, never written over."""
        text, who = persons_words(note, "note", 500), persons_words(by, "name", 80)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM statement_lines WHERE id = ?",
                            [line_id]).fetchone() is None:
                raise LedgerError(_("there is no statement line #{id}").format(id=line_id))
            conn.execute("INSERT INTO statement_line_notes (line_id, note, by_name, at) "
                         "VALUES (?,?,?,?)", [line_id, text, who, self.clock()])

    def _line_notes(self, line_ids: list[int]) -> dict[int, tuple[str, str, str]]:
        """The newest note on each of these statement lines: (note, by, at)."""
        found: dict[int, tuple[str, str, str]] = {}
        for start in range(0, len(line_ids), IDS_PER_QUERY):
            part = line_ids[start:start + IDS_PER_QUERY]
            for line_id, note, by, at in self._all(
                    "SELECT line_id, note, by_name, at FROM statement_line_notes WHERE line_id "
                    f"IN ({','.join('?' * len(part))}) ORDER BY id", part):
                found[int(line_id)] = (note, by, at)
        return found

    def _lines_with_no_tender(self, first: date, last: date, fair: str | None,
                              used: set[int]) -> Iterator[_StatementRow]:
        """The statement lines of those days (of ``fair``'s account, or every account), in
        their order (by day, as imported), but ``used``: read a chunk at a time from where the
        last chunk ended."""
        after = (first.isoformat(), 0)
        while True:
            rows = self._all(
                f"SELECT {_LINE} FROM statement_lines WHERE (day, id) > (?, ?) AND day <= ? "
                "AND (CAST(? AS TEXT) IS NULL OR fair = ?) ORDER BY day, id LIMIT ?",
                [*after, last.isoformat(), fair, fair, statements.CHUNK])
            for r in rows:
                if int(r[5]) not in used:
                    yield _row(r)
            if len(rows) < statements.CHUNK:
                return
            after = (rows[-1][0], int(rows[-1][5]))
