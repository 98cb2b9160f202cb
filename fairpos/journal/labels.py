"""A weighing station's labels: each written with its print job in one transaction, never
changed; added up per product for the station's report."""

from __future__ import annotations

from fairpos.domain.station import WeighedLabel
from fairpos.journal.print_queue import PrintQueue
from fairpos.journal.records import Labelled


class LabelBook(PrintQueue):
    def record_label(self, label: WeighedLabel, payload: bytes) -> tuple[int, int]:
        """Journal ``label`` and queue its printing (``payload``: its bytes) in one
        transaction; the label's id and the print job's."""
        now = self.clock()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO labels (code, plu, name_es, name_en, grams, unit_price, amount, "
                "currency, catalog_version, scale_frame, weighed_at, business_date) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [label.code, label.plu, label.name_es, label.name_en, label.grams,
                 label.unit_price, label.amount, label.currency, label.catalog_version,
                 label.scale_frame, now.isoformat(), now.date().isoformat()])
            label_id = int(cursor.lastrowid or 0)
            job = self._queue_print("label", payload, None)
        return label_id, job

    def labels_of(self, day: str) -> list[dict[str, object]]:
        """The labels of ``day`` (YYYY-MM-DD), in the order they were printed."""
        return [dict(row) for row in self.db.all(
            "SELECT id, code, plu, name_es, name_en, grams, amount, currency, scale_frame, "
            "weighed_at FROM labels WHERE business_date = ? ORDER BY id", [day])]

    def labelled(self, first: str, last: str) -> list[Labelled]:
        """Per product, the labels printed from ``first`` to ``last`` (days, inclusive)."""
        return [Labelled(row["plu"], row["name_es"], row["name_en"], row["labels"],
                         row["grams"], row["amount"], row["currency"]) for row in self.db.all(
            "SELECT plu, MAX(name_es) AS name_es, MAX(name_en) AS name_en, COUNT(*) AS labels, "
            "SUM(grams) AS grams, SUM(amount) AS amount, currency FROM labels "
            "WHERE business_date BETWEEN ? AND ? GROUP BY plu, currency "
            "ORDER BY SUM(grams) DESC, plu", [first, last])]

    def sold_by_label(self, first: str, last: str) -> dict[str, tuple[int, int]]:
        """Per PLU, the lines rung up from a label from ``first`` to ``last`` (business days,
        inclusive; voids and refunds taken off, training left out): lines and grams."""
        return {row["code"]: (row["lines"], row["grams"]) for row in self.db.all(
            "SELECT l.code, SUM(CASE WHEN l.grams < 0 THEN -1 ELSE 1 END) AS lines, "
            "SUM(l.grams) AS grams FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            "WHERE l.label IS NOT NULL AND l.voided = 0 AND l.grams IS NOT NULL "
            "AND s.training = 0 AND s.business_date BETWEEN ? AND ? GROUP BY l.code",
            [first, last])}
