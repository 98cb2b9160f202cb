"""A sale's page and the search that finds it: its lines, payments, change, rates and IGTF,
the voids and refunds that name it with their reasons, who rang it and when (at the fair's
time), and its receipt as the lane printed it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fairpos.domain.tenders import method_label
from fairpos.i18n import _, active
from fairpos.ledger.lane_days import at_fair
from fairpos.ledger.links import day_link, lane_named, sale_link
from fairpos.ledger.render import Cell, count, kilos, money, render
from fairpos.ledger.store.records import SaleFound, SaleOpened
from fairpos.printer.layout import sale_receipt
from fairpos.sync.sale_entries import read_sale_entry
from fairpos.sync.wire import canonical


def kind_words() -> dict[str, str]:
    return {"sale": _("sale"), "void": _("void"), "refund": _("refund")}


def _reference(reference: Mapping[str, Any] | None) -> str:
    """A payment's reference as written on the slip: "ref 778812 · 0414-5550123"."""
    said = []
    if (reference or {}).get("ref"):
        said.append(_("ref {ref}").format(ref=reference["ref"]))  # type: ignore[index]
    if (reference or {}).get("phone"):
        said.append(str(reference["phone"]))  # type: ignore[index]
    return " · ".join(said)


def sale_lines(entry: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    name_key = "name_en" if active() == "en" else "name_es"
    currency = str(entry["currency"])
    rows = []
    for line in entry.get("lines") or []:
        notes = [_("voided")] if line.get("voided") else []
        if line.get("tare"):
            notes.append(_("tare {kilos} kg").format(kilos=kilos(line["tare"])))
        if line.get("label"):
            notes.append(_("label {code}").format(code=line["label"]))
        rows.append((line.get("code", ""), line.get(name_key) or line.get("name_es", ""),
                     kilos(line["grams"]) if line.get("grams") else "",
                     count(line["count"]) if line.get("count") else "",
                     money(line.get("unit_price"), currency),
                     Cell(money(line.get("amount"), currency), warn=bool(line.get("voided"))),
                     " · ".join(notes)))
    return rows


def sale_tenders(entry: Mapping[str, Any], vouchers: Mapping[str, str]) -> list[tuple[Any, ...]]:
    rows = [(method_label(t["method"], vouchers), t["currency"],
             money(t["amount"], t["currency"]), _reference(t.get("reference")))
            for t in entry.get("tenders") or []]
    change = entry.get("change") or {}
    if change.get("amount"):
        rows.append((_("Change in cash"), change["currency"],
                     money(-int(change["amount"]), change["currency"]), ""))
    rows += [(_("Change by {method}").format(method=method_label(t["method"], vouchers)),
              t["currency"], money(-int(t["amount"]), t["currency"]),
              _reference(t.get("reference"))) for t in change.get("sent") or []]
    return rows


def receipt_text(opened: SaleOpened, vouchers: Mapping[str, str]) -> str:
    """The sale's receipt as the lane printed it (in the page's language), or "" when the
    entry cannot be read back as a sale."""
    read = read_sale_entry(canonical(opened.entry))
    if read.sale is None:
        return ""
    return "\n".join(sale_receipt(read.sale, fair=opened.fair or "", lane=opened.lane or 0,
                                  language=active(), names=vouchers).text())


def family_rows(family: Sequence[SaleFound], zones: Mapping[str, ZoneInfo]
                ) -> dict[str, Any]:
    """A sale and its voids and refunds, each with its reason."""
    listed = found_rows(family, zones)
    return {"headers": [*listed["headers"], _("Reason")],
            "rows": [(*row, f.reason or "") for row, f in zip(listed["rows"], family,
                                                                  strict=True)]}


def found_rows(found: Sequence[SaleFound], zones: Mapping[str, ZoneInfo]
               ) -> dict[str, Any]:
    kinds = kind_words()
    return {"headers": [_("Sale"), _("Kind"), _("Lane"), _("Business date"), _("Confirmed"),
                        _("Total")],
            "rows": [(sale_link(f.id), kinds.get(f.kind, f.kind),
                      lane_named(f.lane or 0, f.fair, f.device_id),
                      day_link(f.business_date, f.fair),
                      at_fair(f.confirmed_at, zones.get(f.fair or "")),
                      f"{money(f.total, f.currency)} {f.currency}"
                      + (" · " + _("training") if f.training else ""))
                     for f in found]}


def sale_page(opened: SaleOpened, vouchers: Mapping[str, str],
              zones: Mapping[str, ZoneInfo]) -> str:
    entry = opened.entry
    zone = zones.get(opened.fair or "")
    kinds = kind_words()
    currency = str(entry["currency"])
    facts = [(_("Kind"), kinds.get(opened.kind, opened.kind)),
             (_("Lane"), lane_named(opened.lane or 0, opened.fair, opened.device_id)),
             (_("Business date"), day_link(opened.business_date, opened.fair)),
             (_("Confirmed"), at_fair(opened.confirmed_at, zone)),
             (_("Received"), at_fair(opened.received_at, zone)),
             (_("Volunteer"), str(entry.get("volunteer") or "")),
             (_("Total"), f"{money(entry.get('total'), currency)} {currency}")]
    if opened.ref_id:
        facts.append((_("Of the sale"), sale_link(opened.ref_id)))
    if entry.get("reason"):
        facts.append((_("Reason"), str(entry["reason"])))
    if entry.get("training"):
        facts.append((_("Training"), _("yes: not counted in the figures")))
    igtf = entry.get("igtf") or {}
    if igtf.get("amount"):
        facts.append((_("IGTF"), _("{amount} on {base}").format(
            amount=money(igtf["amount"], currency), base=money(igtf["base"], currency))))
    rates = [(f'{r["base"]} → {r["quote"]}', r["value"], r["effective"])
             for r in entry.get("rates") or []]
    title = _("{kind} {id}").format(kind=kinds.get(opened.kind, opened.kind).capitalize(),
                                    id=opened.id)
    return render("sale.html", title=title, signed_in=True, facts=facts,
                  lines=sale_lines(entry), tenders=sale_tenders(entry, vouchers), rates=rates,
                  related=family_rows([f for f in opened.related if f.id != opened.id], zones),
                  receipt=receipt_text(opened, vouchers))


def search_page(asked: Mapping[str, str], found: Sequence[SaleFound] | None,
                fairs: Sequence[str], zones: Mapping[str, ZoneInfo], most: int) -> str:
    """The search form, and what it found (None: nothing asked yet)."""
    return render("search.html", title=_("Find a sale"), signed_in=True, asked=asked,
                  fairs=fairs, found=None if found is None else found_rows(found, zones),
                  more=found is not None and len(found) >= most,
                  again=urlencode({k: v for k, v in asked.items() if v}))


def no_such_sale() -> str:
    from fairpos.ledger.pages import message_page

    return message_page(_("No such sale"), back=True)
