"""fairpos: an offline-first point of sale for family food fairs."""
