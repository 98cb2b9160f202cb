"""The pages a treasurer reconciles with others by: pago móvil — the lanes' tenders against the
bank's statement lines, for a span of business dates and a fair: matched, possible (a reference
one digit off), tenders with no statement line and statement lines with no tender — and the
vouchers and tokens redeemed, for the funders' reimbursement. Each list as CSV."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fairpos.i18n import N_, _
from fairpos.ledger.links import lane_named, sale_link
from fairpos.ledger.opendocument import ods_file
from fairpos.ledger.render import Cell, FormCell, count, money, pager, render
from fairpos.ledger.spreadsheets import (
    csv_amount,
    csv_file,
    csv_name,
    csv_number,
    csv_parts,
    csv_text,
)

LISTS = ("matched", "possible", "tenders", "lines")
LIST_SHOWN = 200  # rows of each list a page shows (the CSV has them all)


def _checked(tender: Any) -> str:
    return _("yes") if tender.verified else _("no")


def _ves(minor: int) -> str:
    return f"{money(minor, 'VES')} VES"


def _counted(n: int, one: str, many: str, amount: int | None = None) -> str:
    """A count in words, singular or plural, with its amount in bolívares if given."""
    words = _(one) if n == 1 else _(many)
    return words.format(count=count(n), amount=_ves(amount or 0))


def _sale(tender: Any) -> Cell | str:
    """A tender's sale, linked; change sent by pago móvil said under it."""
    link = sale_link(tender.sale_id)
    if tender.change and isinstance(link, Cell):
        return Cell(link.text, href=link.href, note=_("change sent"))
    return link


def span_of(found: dict[str, Any], fairs: Sequence[str]) -> dict[str, Any]:
    """A page of a span of business dates for a fair: its query (for its links), and what the
    form that picks another span or fair shows."""
    first, last, fair = found["first"], found["last"], found["fair"]
    return {"first": first, "last": last, "fair": fair, "fairs": fairs,
            "query": urlencode({"from": first, "to": last, **({"fair": fair} if fair else {})})}


def pago_movil_page(found: dict[str, Any], fairs: Sequence[str],
                    at: dict[str, int] | None = None) -> str:
    """The reconciliation of a span's pago móvil: its figures, then each list a page of
    :data:`LIST_SHOWN` at a time (``at``: where each list's page starts)."""
    first, last, fair = found["first"], found["last"], found["fair"]
    span = span_of(found, fairs)
    query = {"from": first, "to": last, **({"fair": fair} if fair else {})}
    at = {name: max(at.get(name, 0), 0) for name in LISTS} if at else dict.fromkeys(LISTS, 0)

    def paged(name: str, rows: Sequence[Any], total: int) -> tuple[Sequence[Any], Any]:
        """A list's rows on this page (the statement lines come paged already), and the
        links to the others."""
        shown = rows if name == "lines" else rows[at[name]:at[name] + LIST_SHOWN]
        href = "/pago-movil?" + urlencode({**query, **{k: v for k, v in at.items()
                                                      if k != name and v}}) + f"&{name}="
        return shown, pager(href, at[name], len(shown), total, LIST_SHOWN) \
            if total > LIST_SHOWN else None

    matched, possible = found["matched"], found["possible"]
    tenders, lines = found["tenders"], found["lines"]
    unverified = [t for t, _line in matched if not t.verified]
    still = [t for t in tenders if not t.verified]
    said = [
        _counted(len(matched), N_("1 matched ({amount})"), N_("{count} matched ({amount})"),
                 sum(t.amount for t, _line in matched)),
        _counted(len(possible), N_("1 possible"), N_("{count} possible")),
        _counted(len(tenders), N_("1 tender with no statement line ({amount})"),
                 N_("{count} tenders with no statement line ({amount})"),
                 sum(t.amount for t in tenders)),
        _counted(found["lines_count"], N_("1 statement line with no tender ({amount})"),
                 N_("{count} statement lines with no tender ({amount})"),
                 found["lines_amount"])]
    unowned = found.get("unowned")
    heads = [_("Date"), _("Lane"), _("Sale"), _("Reference"), _("Bank's reference"),
             _("Amount"), _("Phone"), _("Verified at the till")]
    matched_shown, matched_pages = paged("matched", matched, len(matched))
    possible_shown, possible_pages = paged("possible", possible, len(possible))
    tenders_shown, tenders_pages = paged("tenders", tenders, len(tenders))
    _lines, lines_pages = paged("lines", lines, found["lines_count"])

    here = "/pago-movil?" + urlencode({**query, **{k: v for k, v in at.items() if v}})
    decided = found.get("decided", {})

    def pair(t: Any, line: Any) -> tuple[Any, ...]:
        word = decided.get((t.sale_id, t.amount, getattr(line, "id", -1)))
        bank = Cell(line.reference, note=_("confirmed by {name}").format(name=word[1])) \
            if word else line.reference
        return (t.day.isoformat(), lane_named(t.lane, t.fair, t.device_id), _sale(t),
                t.reference, bank, _ves(t.amount), t.phone, _checked(t))

    def decide(t: Any, line: Any) -> FormCell:
        return FormCell("/pago-movil/decide", (
            ("sale", t.sale_id), ("amount", str(t.amount)), ("line", str(line.id)),
            ("back", here)), (("decision", "confirmed", _("It is this payment")),
                              ("decision", "refused", _("Not this one"))),
            text=("reason", _("Why")))

    notes = found.get("line_notes", {})

    def noted(line: Any) -> FormCell:
        said = notes.get(line.id)
        return FormCell("/pago-movil/note", (("line", str(line.id)), ("back", here)),
                        (("save", "1", _("Add the note")),), text=("note", _("Whose is it")),
                        said=f"{said[0]} · {said[1]}" if said else None)

    title = " · ".join((_("Pago móvil"), fair or _("All fairs"), f"{first} – {last}"))
    return render(
        "pago_movil.html", title=title, signed_in=True, span=span, action="/pago-movil",
        no_statement=not found["statements"], said=" · ".join(said),
        unowned=_counted(unowned["count"], N_(
            "1 statement line of an account of no fair has no tender of any fair ({amount})"),
            N_("{count} statement lines of an account of no fair have no tender of any fair "
               "({amount})"), unowned["amount"]) if unowned and unowned["count"] else "",
        all_fairs="/pago-movil?" + urlencode({"from": first, "to": last}),
        checked=_("Unverified at the till: {matched} now matched, {still} still "
                  "without a statement line.").format(matched=count(len(unverified)),
                                                      still=count(len(still))),
        window=_("A statement line matches a tender of the same amount, within {days} "
                 "days, with the same reference (or ending with the one typed at the "
                 "till).").format(days=found["window"]),
        alone={"headers": [h for h in heads if h != _("Bank's reference")], "rows": [
            (t.day.isoformat(), lane_named(t.lane, t.fair, t.device_id), _sale(t),
             t.reference, _ves(t.amount), t.phone, _checked(t)) for t in tenders_shown],
            "pages": tenders_pages},
        maybe={"headers": [*heads, _("Decide")], "rows": [
            (*pair(t, line), decide(t, line)) for t, line in possible_shown],
            "pages": possible_pages},
        unclaimed={"headers": [_("Date"), _("Reference"), _("Amount"), _("Phone"), _("Bank"),
                               _("Note")],
                   "rows": [(line.day.isoformat(), line.reference, _ves(line.amount),
                             line.phone, line.bank, noted(line)) for line in lines],
                   "pages": lines_pages},
        pairs={"headers": heads, "rows": [pair(t, line) for t, line in matched_shown],
               "pages": matched_pages})


def pago_movil_rows(found: dict[str, Any], which: str
                    ) -> tuple[list[str], Iterator[list[str | Decimal]]]:
    """One of the page's lists as a table: its headers, and its rows as they are read (the
    statement lines with no tender may be a million) — text as text, amounts as bolívares."""
    heads = [_("Date"), _("Fair"), _("Lane"), _("Device"), _("Sale"), _("Reference")]
    tail = [_("Amount (VES)"), _("Phone"), _("Verified at the till")]

    def tender(t: Any) -> list[str | Decimal]:
        return [t.day.isoformat(), t.fair, str(t.lane), t.device_id, t.sale_id, t.reference]

    def rest(t: Any) -> list[str | Decimal]:
        return [Decimal(t.amount).scaleb(-2), t.phone, _checked(t)]

    if which in ("matched", "possible"):
        return [*heads, _("Bank's reference"), *tail], (
            [*tender(t), line.reference, *rest(t)] for t, line in found[which])
    if which == "tenders":
        return [*heads, *tail], ([*tender(t), *rest(t)] for t in found["tenders"])
    return [_("Date"), _("Reference"), _("Amount (VES)"), _("Phone"), _("Bank")], (
        [line.day.isoformat(), line.reference, Decimal(line.amount).scaleb(-2), line.phone,
         line.bank] for line in found["every_line"]())


def pago_movil_csv(found: dict[str, Any], which: str) -> Iterator[str]:
    """One of the page's lists as CSV, a part at a time; text that begins like a formula
    written inert, amounts as the page's spreadsheets read them."""
    headers, rows = pago_movil_rows(found, which)
    return csv_parts(headers, ([csv_number(v) if isinstance(v, Decimal) else csv_text(v)
                                for v in row] for row in rows))


def pago_movil_ods(found: dict[str, Any], which: str) -> bytes:
    """One of the page's lists as an OpenDocument spreadsheet: references and phones stay
    text (their leading zeros kept), amounts numbers."""
    headers, rows = pago_movil_rows(found, which)
    return ods_file(which, headers, rows)


def pago_movil_csv_name(found: dict[str, Any], which: str) -> str:
    return csv_name(f"{found['first']}-{found['last']}", found["fair"], f"pago-movil-{which}")


def redemptions_csv(found: dict[str, Any]) -> str:
    """Every program's redemptions by day and lane: one row each, with the program's name
    and code, the count and the value."""
    return csv_file([_("Program"), _("Code"), _("Date"), _("Fair"), _("Lane"), _("Device"),
                     _("Redeemed"), _("Currency"), _("Value")], [
        [csv_text(p["name"]), p["code"], r["day"], csv_text(r["fair"]), str(r["lane"]),
         r["device_id"], str(r["count"]), p["currency"], csv_amount(r["value"], p["currency"])]
        for p in found["programs"] for r in p["day_lanes"]])



def redemptions_page(found: dict[str, Any], fairs: Sequence[str]) -> str:
    """Vouchers and market tokens redeemed, for reimbursement: each program in all, by week,
    by day and by lane (count and value), with a CSV in the same shape."""
    first, last, fair = found["first"], found["last"], found["fair"]
    programs = []
    for p in found["programs"]:
        currency = p["currency"]

        def valued(value: int, currency: str = currency) -> str:
            return f"{money(value, currency)} {currency}"

        programs.append({
            "title": f'{p["name"]} ({p["code"]})',
            "total": _("{count} redeemed, {amount} {currency}").format(
                count=count(p["count"]), amount=money(p["value"], currency), currency=currency),
            "weeks": [(w["monday"], count(w["count"]), valued(w["value"])) for w in p["weeks"]],
            "days": [(d["day"], count(d["count"]), valued(d["value"])) for d in p["days"]],
            "lanes": [(lane_named(r["lane"], r["fair"], r["device_id"]), count(r["count"]),
                       valued(r["value"])) for r in p["lanes"]]})
    title = " · ".join((_("Vouchers and tokens"), fair or _("All fairs"), f"{first} – {last}"))
    return render("vouchers.html", title=title, signed_in=True, span=span_of(found, fairs),
                  action="/vouchers", programs=programs)
