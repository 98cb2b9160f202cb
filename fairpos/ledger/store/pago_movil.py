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
)
from fairpos.ledger.store.reports import Reports


@dataclass(frozen=True)
class _StatementRow:
    """A statement line as kept, to be matched."""

    day: date
    reference: str
    amount: int
    phone: str
    bank: str
    id: int


# the statement lines a query reads, of a fair (or every fair's: a statement of no fair)
_STATEMENT_FAIR = "(CAST(? AS TEXT) IS NULL OR fair IS NULL OR fair = ?)"


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
        """The pago móvil tenders of business dates ``first`` to ``last`` (training left
        out) against the statement lines of those days (and ``window`` days around them, to
        match): matched, possible (a reference one digit off), tenders with no line and
        lines with no tender (of those days: ``lines_shown`` of them from the ``lines_at``-th,
        their count and amount, and ``every_line()`` to walk them all). Voids and refunds
        are left out: what is reconciled is what the customers paid. Only the lines of the
        tenders' amounts are read to match (an index finds them): a statement of a million
        lines costs what its few candidates cost."""
        tenders = []
        for sale_id, device_id, fair_name, lane, day, payload in self._all(
                "SELECT s.id, s.device_id, d.fair, d.lane, s.business_date, s.payload "
                "FROM sales s JOIN devices d ON d.device_id = s.device_id WHERE "
                "s.business_date BETWEEN ? AND ? AND s.training = 0 AND s.kind = 'sale' AND "
                "(CAST(? AS TEXT) IS NULL OR d.fair = ?) AND EXISTS (SELECT 1 FROM "
                "sale_tenders t WHERE t.sale_id = s.id AND t.method = 'pago_movil') "
                "ORDER BY s.business_date, s.id",
                [first.isoformat(), last.isoformat(), fair, fair]):
            for tender in json.loads(payload)["tenders"]:
                if tender["method"] == "pago_movil" and tender["currency"] == "VES":
                    reference = tender.get("reference") or {}
                    tenders.append(PagoMovil(
                        sale_id, device_id, fair_name, int(lane), date.fromisoformat(day),
                        re.sub(r"\D", "", str(reference.get("ref", ""))), int(tender["amount"]),
                        str(reference.get("phone", "")), bool(tender.get("verified", True))))
        span = [(first - timedelta(days=window)).isoformat(),
                (last + timedelta(days=window)).isoformat(), fair, fair]
        amounts = sorted({t.amount for t in tenders})
        candidates = []
        for start in range(0, len(amounts), IDS_PER_QUERY):
            part = amounts[start:start + IDS_PER_QUERY]
            candidates += [_StatementRow(date.fromisoformat(r[0]), r[1], int(r[2]), r[3], r[4],
                                         int(r[5])) for r in self._all(
                "SELECT day, reference, amount, phone, bank, id FROM statement_lines "
                f"WHERE amount IN ({','.join('?' * len(part))}) AND day BETWEEN ? AND ? "
                f"AND {_STATEMENT_FAIR}", [*part, *span])]
        found = reconcile(tenders, candidates, window)
        free = {line.id for line in found.pop("lines")}
        used = {line.id: line for line in candidates if line.id not in free}
        in_span = [line for line in used.values() if first <= line.day <= last]
        lines, amount = self._all(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM statement_lines WHERE day BETWEEN "
            f"? AND ? AND {_STATEMENT_FAIR}", [first.isoformat(), last.isoformat(), fair,
                                              fair])[0]

        def every_line() -> Iterator[_StatementRow]:
            return self._lines_with_no_tender(first, last, fair, set(used))

        imported = self._all("SELECT COUNT(*), MAX(imported_at) FROM statements")[0]
        return {"first": first.isoformat(), "last": last.isoformat(), "fair": fair,
                "window": window, **found,
                "lines": list(itertools.islice(every_line(), max(lines_at, 0),
                                               max(lines_at, 0) + lines_shown)),
                "lines_at": max(lines_at, 0), "lines_count": int(lines) - len(in_span),
                "lines_amount": int(amount) - sum(line.amount for line in in_span),
                "every_line": every_line, "statements": int(imported[0]),
                "last_import": imported[1]}

    def _lines_with_no_tender(self, first: date, last: date, fair: str | None,
                              used: set[int]) -> Iterator[_StatementRow]:
        """The statement lines of those days, in their order (by day, as imported), but
        ``used``: read a chunk at a time from where the last chunk ended."""
        after = (first.isoformat(), 0)
        while True:
            rows = self._all(
                "SELECT day, reference, amount, phone, bank, id FROM statement_lines WHERE "
                f"(day, id) > (?, ?) AND day <= ? AND {_STATEMENT_FAIR} ORDER BY day, id "
                f"LIMIT {statements.CHUNK}", [*after, last.isoformat(), fair, fair])
            for r in rows:
                if int(r[5]) not in used:
                    yield _StatementRow(date.fromisoformat(r[0]), r[1], int(r[2]), r[3], r[4],
                                        int(r[5]))
            if len(rows) < statements.CHUNK:
                return
            after = (rows[-1][0], int(rows[-1][5]))
