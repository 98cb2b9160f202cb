"""Hardware check: printer, scale, ledger, free disk and sync, before the market opens."""

from __future__ import annotations

import shutil

from fairpos.i18n import _
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

    def on_mount(self) -> None:
        settings = self.till.settings
        data_dir = self.till.data_dir

        def check(store: Store) -> list[str]:
            free = shutil.disk_usage(data_dir).free
            pending = store.outbox_pending()
            not_configured = _("not configured")
            return [
                _("Printer: {state}").format(state=f"{settings.printer.url} · "
                                             f"{self.till.printer_status}"
                                             if self.till.printer.configured
                                             else self.till.printer_status),
                _("Scale: {state}").format(state=settings.scale.url
                                           if settings.scale.url != "none" else not_configured),
                _("Ledger: {state}").format(state=settings.ledger.url or not_configured),
                _("Free disk: {mb} MB").format(mb=free // 1_000_000),
                _("Waiting to sync: {count} entries").format(count=pending),
                _("Last sync: never"),
            ]

        def show(lines: list[str]) -> None:
            from textual.widgets import Static

            self.lines = lines
            self.query_one("#text", Static).update("\n".join(lines))

        self.till.journal(check, show)
