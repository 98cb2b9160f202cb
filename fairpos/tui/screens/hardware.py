"""Hardware check: printer, scale, ledger, free disk and sync, before the market opens."""

from __future__ import annotations

import shutil

from textual.widgets import Static

from fairpos.i18n import _, active, format_grams
from fairpos.printer.layout import Receipt, test_page
from fairpos.store import Store
from fairpos.tui.screens.dialogs import TextScreen


class HardwareScreen(TextScreen):
    """F2 prints the test page with the market's accented words."""

    def page(self) -> Receipt:
        printer = self.till.settings.printer
        return test_page(self.till.settings.fair.name, printer.codepage, printer.profile,
                         printer.columns)

    def __init__(self) -> None:
        super().__init__(_("Hardware check"), [_("Checking…")])

    def scale_line(self) -> str:
        till = self.till
        if till.scale_watch is None:
            return _("Scale: {state}").format(state=till.scale_status())
        reading = till.scale_reading
        weight = (format_grams(reading.grams, active())
                  if reading is not None and reading.grams is not None else "—")
        return _("Scale: {state}").format(state=" · ".join((
            f"{till.settings.scale.url} ({till.settings.scale.protocol})", till.scale_status(),
            weight, till.scale_state())))

    def scale_changed(self) -> None:
        """The live reading, on the scale's line."""
        if len(self.lines) > 1:
            self.lines[1] = self.scale_line()
            self.query_one("#text", Static).update("\n".join(self.lines))

    def on_mount(self) -> None:
        settings = self.till.settings
        data_dir = self.till.data_dir

        def check(store: Store) -> list[str]:
            free = shutil.disk_usage(data_dir).free
            summary = store.outbox_summary()
            not_configured = _("not configured")
            return [
                _("Printer: {state}").format(state=f"{settings.printer.url} · "
                                             f"{self.till.printer_status}"
                                             if self.till.printer.configured
                                             else self.till.printer_status),
                _("Ledger: {state}").format(state=f"{settings.ledger.url} · "
                                            f"{self.till.sync_status}"
                                            if self.till.sync_configured else not_configured),
                _("Free disk: {mb} MB").format(mb=free // 1_000_000),
                _("Waiting to sync: {count} entries").format(count=summary.pending),
                _("Quarantined at the ledger: {count}").format(count=summary.quarantined),
                _("Last sync: {at}").format(at=summary.last_sync[:19] if summary.last_sync
                                            else _("never")),
            ]

        def show(lines: list[str]) -> None:
            self.lines = [lines[0], self.scale_line(), *lines[1:]]
            self.query_one("#text", Static).update("\n".join(self.lines))

        self.till.journal(check, show)
