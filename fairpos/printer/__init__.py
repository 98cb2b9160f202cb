"""Receipts: layout, ESC/POS rendering, printer connections and the print queue."""
