"""Hardware check: printer, scale, ledger, free disk and sync, before the market opens."""

from __future__ import annotations

import shutil

from textual import on

from fairpos.i18n import _, active, entries_text, format_grams
from fairpos.lane import Lane
from fairpos.printer.layout import Receipt, test_page
from fairpos.tui.base import TextScreen
from fairpos.tui.messages import HardwareChecked


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
        weighing = till.weighing
        if not weighing.configured:
            return _("Scale: {state}").format(state=weighing.status())
        reading = weighing.reading
        weight = (format_grams(reading.grams, active())
                  if reading is not None and reading.grams is not None else "—")
        return _("Scale: {state}").format(state=" · ".join((
            f"{till.settings.scale.url} ({till.settings.scale.protocol})", weighing.status(),
            weight, weighing.state())))

    def scale_changed(self) -> None:
        """The live reading, on the scale's line."""
        if len(self.lines) > 1:
            self.lines[1] = self.scale_line()
            self.show_lines(self.lines)

    def on_mount(self) -> None:
        till = self.till
        settings = till.settings
        printer = (f"{settings.printer.url} · {till.printer_status}" if till.can_print
                   else till.printer_status)
        ledger = (f"{settings.ledger.url} · {till.sync_status}" if till.lane.connected
                  else _("not configured"))
        scanner = (f"{settings.scanner.url} · {till.scanner_status}"
                   if settings.scanner.url != "none" else _("not configured"))

        def check(lane: Lane) -> HardwareChecked:
            free = shutil.disk_usage(lane.data_dir).free
            summary = lane.outbox_summary()
            return HardwareChecked([
                _("Printer: {state}").format(state=printer),
                _("Ledger: {state}").format(state=ledger),
                _("Barcode scanner: {state}").format(state=scanner),
                _("Free disk: {mb} MB").format(mb=free // 1_000_000),
                _("Waiting to sync: {entries}").format(entries=entries_text(summary.pending)),
                _("Quarantined at the ledger: {count}").format(count=summary.quarantined),
                _("Last sync: {at}").format(at=summary.last_sync[:19] if summary.last_sync
                                            else _("never")),
            ])

        self.till.run_job(check, self)

    @on(HardwareChecked)
    def _checked(self, message: HardwareChecked) -> None:
        lines = message.lines
        self.show_lines([lines[0], self.scale_line(), *lines[1:]])
