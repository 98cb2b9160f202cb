"""One entry in quarantine, to settle: the entry as received laid out as a sale, beside the
accepted sale with the same id, and the form that takes it in or leaves it out (once, with
who and why); or how it was settled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fairpos.i18n import _
from fairpos.ledger.lane_days import fair_time
from fairpos.ledger.links import lane_named, sale_link
from fairpos.ledger.pages import body_said, quarantine_kinds, readable_body, settled_said
from fairpos.ledger.reasons import said
from fairpos.ledger.render import WHO, Cell, money, render
from fairpos.ledger.sale_pages import sale_lines, sale_tenders
from fairpos.ledger.store.accounts import TOKEN_NAME
from fairpos.ledger.store.records import QuarantineEntry, SaleOpened


def _as_sale(entry: Mapping[str, Any], vouchers: Mapping[str, str]) -> dict[str, Any]:
    """An entry's fields as a sale's page shows them."""
    currency = str(entry.get("currency") or "")
    return {"said": " · ".join(part for part in (
        str(entry.get("volunteer") or ""), str(entry.get("confirmed_at") or "")[:16].replace(
            "T", " "), f"{money(entry.get('total'), currency)} {currency}" if currency
        else "") if part),
        "lines": sale_lines(entry), "tenders": sale_tenders(entry, vouchers)}


def entry_page(entry: QuarantineEntry, beside: SaleOpened | None,
               vouchers: Mapping[str, str]) -> str:
    try:
        body = json.loads(entry.payload or "")
    except (ValueError, RecursionError):
        body = None
    readable = isinstance(body, dict) and isinstance(body.get("lines"), list)
    facts = [(_("Received"), fair_time(entry.received_at, entry.fair)),
             (_("Lane"), lane_named(entry.lane or 0, entry.fair, entry.device_id)),
             (_("Sale"), entry.sale_id or ""),
             (_("Kind"), quarantine_kinds().get(entry.kind, entry.kind)),
             (_("Reason"), said(entry.reason))]
    if entry.note:
        facts.append((_("Review"), f"{entry.note} · {fair_time(entry.reviewed_at, entry.fair)}"))
    settled = settled_said(entry)
    if settled:
        facts.append((_("Settled"), Cell(settled, href=f"/sale/{entry.resolved_sale}")
                      if entry.resolved_sale else settled))
    return render(
        "quarantine_entry.html", title=_("Entry #{id} in quarantine").format(id=entry.id),
        signed_in=True, facts=facts, id=entry.id,
        held=_as_sale(body, vouchers) if readable and isinstance(body, dict) else None,
        beside=None if beside is None else {
            "link": sale_link(beside.id), **_as_sale(beside.entry, vouchers)},
        body_said=body_said(entry), body=readable_body(entry.payload or ""),
        settled=bool(settled), can_take=entry.kind == "conflict" and readable,
        ask_name=getattr(WHO.get(), "name", TOKEN_NAME) == TOKEN_NAME)
