"""Reports from the journal with SQL: X (an open shift), Z (a closed one), and a business day."""

from __future__ import annotations

from typing import Any

from fairpos.domain.reports import ItemFigure, Report, ReportKind, TenderFigure
from fairpos.domain.shift import CountLine
from fairpos.domain.tenders import CASH
from fairpos.i18n import _
from fairpos.journal.records import JournalError, ShiftInfo
from fairpos.journal.shifts import ShiftBook
from fairpos.settings import Settings


class Reports(ShiftBook):
    def report(self, settings: Settings, *, shift_id: int | None = None,
               day: str | None = None, training: bool | None = None) -> Report:
        """X report (open shift), Z report (closed shift) or a business-date report."""
        kind: ReportKind
        params: list[Any]
        shift: ShiftInfo | None = None
        if shift_id is not None:
            shift = self.shift(shift_id)
            where, params = "s.shift_id = ?", [shift_id]
            kind = "X" if shift.closed_at is None else "Z"
            training = shift.training
        elif day is not None:
            where, params = "s.business_date = ? AND s.training = ?", [day, int(bool(training))]
            kind = "day"
        else:
            raise JournalError(_("say which shift or which date"))
        totals = self.db.one(
            f"SELECT COUNT(*) FILTER (WHERE kind = 'sale') AS sales, "
            f"COALESCE(SUM(total) FILTER (WHERE kind = 'sale'), 0) AS gross, "
            f"COUNT(*) FILTER (WHERE kind = 'void') AS voids, "
            f"COALESCE(-SUM(total) FILTER (WHERE kind = 'void'), 0) AS voided, "
            f"COUNT(*) FILTER (WHERE kind = 'refund') AS refunds, "
            f"COALESCE(-SUM(total) FILTER (WHERE kind = 'refund'), 0) AS refunded "
            f"FROM sales s WHERE {where}", params)
        assert totals is not None
        line_voids = self.db.value(
            f"SELECT COUNT(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            f"WHERE {where} AND s.kind = 'sale' AND l.voided = 1", params)
        tenders = tuple(
            TenderFigure(r["method"], r["currency"], r["amount"], r["n"], r["unverified"])
            for r in self.db.all(
                f"SELECT t.method, t.currency, SUM(t.amount) AS amount, "
                f"COUNT(*) FILTER (WHERE s.kind = 'sale') AS n, "
                f"COUNT(*) FILTER (WHERE t.verified = 0 AND s.kind = 'sale') AS unverified "
                f"FROM tenders t JOIN sales s ON s.id = t.sale_id WHERE {where} "
                f"AND t.is_change = 0 "
                f"GROUP BY t.method, t.currency ORDER BY t.method <> 'cash', t.method, "
                f"t.currency", params))
        igtf = self.db.one(f"SELECT COALESCE(SUM(igtf), 0) AS amount, "
                           f"COALESCE(SUM(igtf_base), 0) AS base FROM sales s WHERE {where}",
                           params)
        assert igtf is not None
        change_sent = {r["currency"]: r["amount"] for r in self.db.all(
            f"SELECT t.currency, SUM(t.amount) AS amount FROM tenders t "
            f"JOIN sales s ON s.id = t.sale_id WHERE {where} AND t.is_change = 1 "
            f"AND t.method <> 'cash' GROUP BY t.currency HAVING SUM(t.amount) <> 0", params)}
        change: dict[str, int] = {}  # cash given back, in each currency it was given in
        for r in self.db.all(
                f"SELECT change_currency AS currency, SUM(change) AS amount FROM sales s "
                f"WHERE {where} GROUP BY change_currency UNION ALL "
                f"SELECT t.currency, SUM(t.amount) FROM tenders t JOIN sales s "
                f"ON s.id = t.sale_id WHERE {where} AND t.is_change = 1 AND t.method = 'cash' "
                f"GROUP BY t.currency", [*params, *params]):
            change[r["currency"]] = change.get(r["currency"], 0) + r["amount"]
        change = {currency: amount for currency, amount in change.items() if amount}
        items = f"""
            SELECT {{key}} AS code, {{names}},
                   COALESCE(SUM(l.grams), 0) AS grams, COALESCE(SUM(l.count), 0) AS count,
                   SUM(l.amount) AS amount
            FROM sale_lines l JOIN sales s ON s.id = l.sale_id
            WHERE {where} AND l.voided = 0 AND {{filter}}
            GROUP BY {{key}} ORDER BY {{order}}"""
        products = tuple(ItemFigure(**dict(r)) for r in self.db.all(items.format(
            key="l.code", names="MAX(l.name_es) AS name_es, MAX(l.name_en) AS name_en",
            filter="l.kind = 'product'", order="CAST(l.code AS INTEGER)"), params))
        class_name = ("(SELECT {0} FROM price_classes c WHERE c.code = l.price_class "
                      "ORDER BY c.version DESC LIMIT 1) AS {0}")
        classes = tuple(ItemFigure(**dict(r)) for r in self.db.all(items.format(
            key="l.price_class", names=f"{class_name.format('name_es')}, "
                                       f"{class_name.format('name_en')}",
            filter="l.price_class IS NOT NULL", order="l.price_class"), params))
        counts: tuple[CountLine, ...] = ()
        count_pieces: dict[str, dict[int, int]] = {}
        close_reason = None
        earlier: tuple[tuple[CountLine, ...], ...] = ()
        drawer: dict[str, int] = {}
        if shift is not None and shift.closed_at is not None:
            counts = tuple(CountLine(r["method"], r["currency"], r["expected"], r["amount"])
                           for r in self.db.all(
                "SELECT * FROM shift_counts WHERE shift_id = ? AND stage = 'close' "
                "ORDER BY method <> 'cash', method, currency", [shift.id]))
            row = self.db.one("SELECT close_reason FROM shifts WHERE id = ?", [shift.id])
            close_reason = row["close_reason"] if row else None
            rounds = self.count_rounds(shift.id)
            earlier = tuple(tuple(r.lines) for r in rounds[:-1])
            if rounds:
                count_pieces = self.count_pieces(shift.id, rounds[-1].number)
        elif shift is not None:  # X: what a volunteer taking over should find in the drawer
            drawer = {currency: amount for (method, currency), amount
                      in self.expected_counts(shift.id).items() if method == CASH}
        return Report(
            kind=kind, currency=settings.money.currency, fair=settings.fair.name,
            lane=settings.fair.lane, business_date=shift.business_date if shift else day,
            shift_id=shift.id if shift else None, volunteer=shift.volunteer if shift else None,
            opened_at=shift.opened_at if shift else None,
            closed_at=shift.closed_at if shift else None, training=bool(training),
            sales_count=totals["sales"], gross=totals["gross"], voids_count=totals["voids"],
            voids_amount=totals["voided"], refunds_count=totals["refunds"],
            refunds_amount=totals["refunded"], line_voids=int(line_voids), tenders=tenders,
            change=change, change_sent=change_sent, igtf=igtf["amount"],
            igtf_base=igtf["base"],
            floats=self.floats(shift.id) if shift else {},
            products=products, price_classes=classes, counts=counts, close_reason=close_reason,
            earlier_counts=earlier, drawer=drawer, method_names=settings.method_names,
            float_pieces=self.count_pieces(shift.id, 0) if shift else {},
            count_pieces=count_pieces)
