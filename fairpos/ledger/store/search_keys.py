"""What a sale is found by besides its id: the references and phones of its payments and of
change sent by pago móvil, and the volunteer who rang it — one rule for a sale taken in and
for the sales a ledger held before the search existed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

CHUNK = 5_000  # sales read at a time when the keys of those already held are made


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def search_keys(volunteer: str | None, references: Iterable[Mapping[str, Any] | None]
                ) -> list[tuple[str, str]]:
    """(key, value) a sale is found by: each payment's reference and phone as digits (a
    spreadsheet or a bank writes them with or without dots, dashes and spaces), and the
    volunteer's name case-folded."""
    found: set[tuple[str, str]] = set()
    for reference in references:
        for key in ("ref", "phone"):
            value = digits(str((reference or {}).get(key) or ""))
            if value:
                found.add((key, value))
    name = " ".join(str(volunteer or "").split()).casefold()
    if name:
        found.add(("volunteer", name))
    return sorted(found)


def searched(text: str) -> list[str]:
    """The values a search's text may be stored as: its digits, and its words case-folded."""
    values = {" ".join(text.split()).casefold()}
    if digits(text):
        values.add(digits(text))
    return sorted(values)


def payload_keys(payload: str) -> list[tuple[str, str]]:
    """:func:`search_keys` of an entry as stored (its JSON)."""
    entry = json.loads(payload)
    change = entry.get("change") or {}
    return search_keys(entry.get("volunteer"), [
        t.get("reference") for t in [*(entry.get("tenders") or []),
                                     *(change.get("sent") or [])]])


def fill_search_keys(conn: Any) -> None:
    """The keys of every sale already held, a chunk at a time (a migration's step)."""
    after = ""
    while True:
        rows = conn.execute("SELECT id, payload, business_date FROM sales WHERE id > ? "
                            "ORDER BY id LIMIT ?", [after, CHUNK]).fetchall()
        if not rows:
            return
        keyed = [(row[0], key, value, row[2]) for row in rows
                 for key, value in payload_keys(row[1])]
        if keyed:
            conn.executemany("INSERT INTO sale_search (sale_id, key, value, business_date) "
                             "VALUES (?,?,?,?)", keyed)
        after = rows[-1][0]
