"""The ledger's tables as CSV for a spreadsheet: UTF-8 with a byte-order mark, headers in the
page's language, the delimiter and decimal mark its spreadsheets expect, amounts exact in the
currency's major unit, weights in kilograms — and text from the data that a spreadsheet shows
as it is, never runs."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from fairpos.domain.money import Money
from fairpos.domain.tenders import method_label
from fairpos.i18n import _, active
from fairpos.ledger.pages import class_name, path_words, quarantine_kinds, resolution_words
from fairpos.ledger.reasons import said
from fairpos.ledger.store.records import DayReport, LaneSync, QuarantineEntry

INERT = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def csv_dialect() -> tuple[str, str]:
    """(delimiter, decimal mark) a spreadsheet in the page's language reads: Spanish ones
    take ``;`` and ``1234,56``, English ones ``,`` and ``1234.56``."""
    return (";", ",") if active() == "es" else (",", ".")


def csv_number(value: Decimal | int) -> str:
    """A number as a spreadsheet reads it: no grouping, the page's decimal mark."""
    return f"{Decimal(value):f}".replace(".", csv_dialect()[1])


def csv_amount(minor: int | None, currency: str) -> str:
    """An amount in the currency's major unit (``1234,56``), exact."""
    return csv_number(Money(int(minor or 0), currency).as_decimal())


def csv_kilos(grams: int | None) -> str:
    return csv_number(Decimal(int(grams or 0)).scaleb(-3))


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: after what it strips first
    (spaces, a no-break space, other blanks), a formula's first character — as typed, or its
    full-width form (＝ ＋ － ＠), which some spreadsheets take for it."""
    head = unicodedata.normalize("NFKC", text.lstrip(" \t\r\n\u00a0\u2007\u202f\u3000"))
    return head.startswith(INERT) or text.startswith(INERT)


def csv_text(value: Any) -> str:
    """Text from the data (a name, a reason) that a spreadsheet shows as it is, never runs:
    one that begins like a formula is written with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def csv_file(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """UTF-8 with a byte-order mark (so that a spreadsheet reads "Champiñón" right),
    headers in the page's language, the delimiter its spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect()[0])
    writer.writerow(headers)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


def csv_parts(headers: Sequence[str], rows: Iterable[Sequence[str]], size: int = 1000
              ) -> Iterator[str]:
    """A CSV as :func:`csv_file` writes it, ``size`` rows at a time (to stream a long one)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect()[0])
    out.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % size == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_name(day: str, fair: str | None, name: str) -> str:
    """The file name: the fair and the day in it (``feria-del-centro-2026-11-21-lanes.csv``),
    in plain ASCII."""
    plain = unicodedata.normalize("NFKD", fair or _("All fairs")).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.decode().lower()).strip("-") or "fair"
    return "-".join(part for part in (slug, day, name) if part) + ".csv"


def csv_rows(report: DayReport, name: str, devices: Sequence[LaneSync]
             ) -> str | None:
    """One of the day page's tables as CSV, for the page's fair (or all), with the page's
    headers; amounts in the currency's major unit, weights in kilograms."""
    fair = report.fair
    currency = report.pricing
    priced = _("Amount ({currency})").format(currency=currency)
    paths = path_words()
    tables: dict[str, tuple[list[str], list[list[str]]]] = {
        "tenders": ([_("Method"), _("Code"), _("Currency"), _("Amount")], [
            [csv_text(method_label(t.method, report.vouchers)), t.method, t.currency,
             csv_amount(t.amount, t.currency)] for t in report.tenders]),
        "lanes": ([_("Fair"), _("Lane"), _("Device"), _("Sales"), _("Currency"), _("Total")], [
            [csv_text(lane.fair), str(lane.lane), lane.device_id, str(lane.sales_count),
             lane.currency, csv_amount(lane.total, lane.currency)] for lane in report.lanes]),
        "hours": ([_("Hour"), _("Sales"), priced], [
            [f"{h.hour}:00", str(h.sales_count), csv_amount(h.total, currency)]
            for h in report.hours]),
        "price_classes": ([_("Class"), _("Code"), _("Kilos"), priced], [
            [csv_text(class_name(c.names)), csv_text(c.price_class), csv_kilos(c.grams),
             csv_amount(c.amount, currency)] for c in report.price_classes]),
        "products": ([_("PLU"), _("Product"), _("Kilos"), _("Pieces"), priced], [
            [csv_text(p.code), csv_text(p.name), csv_kilos(p.grams) if p.grams else "",
             str(p.count) if p.count else "", csv_amount(p.amount, currency)]
            for p in report.products]),
        "sync": ([_("Fair"), _("Lane"), _("Device"), _("Synced up to"), _("Missing"),
                  _("Last sync"), _("Path")], [
            [csv_text(d.fair), str(d.lane), d.device_id or "", str(d.max_contiguous_seq),
             " ".join(map(str, d.missing)), d.last_sync_at or "", paths.get(d.last_path or "", "")]
            for d in devices if not fair or d.fair == fair]),
    }
    chosen = tables.get(name)
    return None if chosen is None else csv_file(*chosen)


def quarantine_csv(quarantined: Sequence[QuarantineEntry]) -> str:
    """The quarantine's history: every entry, its latest review note, and how a person
    settled it (by whom, when, why, the id it was taken in under)."""
    kinds, settled = quarantine_kinds(), resolution_words()
    return csv_file([_("Device"), _("Fair"), _("Lane"), _("Sale"), _("Kind"), _("Reason"),
                     _("Received"), _("Review note"), _("Reviewed"), _("Settled"), _("By"),
                     _("Why"), _("Settled at"), _("Taken in as")], [
        [q.device_id, csv_text(q.fair), str(q.lane or ""), csv_text(q.sale_id),
         kinds.get(q.kind, q.kind), csv_text(said(q.reason)), q.received_at,
         csv_text(q.note or ""), q.reviewed_at or "",
         settled.get(q.resolution or "", q.resolution or ""), csv_text(q.resolved_by or ""),
         csv_text(q.resolved_reason or ""), q.resolved_at or "", q.resolved_sale or ""]
        for q in quarantined])
