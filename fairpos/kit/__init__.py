"""The install kit: a folder for a USB stick that installs, updates and rolls back fairpos on a
lane with no network (``fairpos kit build``; ``DIR/install`` on the lane). The installer
itself (:mod:`fairpos.kit.installer`) needs nothing but Python's standard library and openssl,
for it runs before fairpos is there."""
