"""Serial barcode scanners."""
