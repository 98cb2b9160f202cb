"""Every screen of the till, by name: screens open each other through
:meth:`TillApp.show(name, ...) <fairpos.tui.app.TillApp.show>`, never by importing each other."""

from __future__ import annotations

from typing import Any

from fairpos.tui.screens.dialogs import ReasonScreen, RecallScreen, ReceiptScreen
from fairpos.tui.screens.hardware import HardwareScreen
from fairpos.tui.screens.open_shift import OpenShiftScreen
from fairpos.tui.screens.payment import PaymentScreen
from fairpos.tui.screens.reports import CloseShiftScreen, XReportScreen
from fairpos.tui.screens.ringup import RingUpScreen
from fairpos.tui.screens.sales import SalesScreen

SCREENS: dict[str, type[Any]] = {
    "open_shift": OpenShiftScreen,
    "ring_up": RingUpScreen,
    "payment": PaymentScreen,
    "recall": RecallScreen,
    "reason": ReasonScreen,
    "receipt": ReceiptScreen,
    "sales": SalesScreen,
    "x_report": XReportScreen,
    "close_shift": CloseShiftScreen,
    "hardware": HardwareScreen,
}
