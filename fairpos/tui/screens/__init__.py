"""Every screen of the till, by name: screens open each other through
:meth:`TillApp.show(name, ...) <fairpos.tui.app.TillApp.show>`, never by importing each other.

A screen's module is loaded the first time it is shown, so the till starts with only the one
it opens on.
"""

from __future__ import annotations

import importlib
from typing import Any

SCREENS = {
    "open_shift": "open_shift:OpenShiftScreen",
    "ring_up": "ringup:RingUpScreen",
    "payment": "payment:PaymentScreen",
    "confirm_change": "dialogs:ConfirmChangeScreen",
    "recall": "dialogs:RecallScreen",
    "keys": "dialogs:KeysScreen",
    "reason": "dialogs:ReasonScreen",
    "pieces": "dialogs:PiecesScreen",
    "receipt": "dialogs:ReceiptScreen",
    "sales": "sales:SalesScreen",
    "x_report": "reports:XReportScreen",
    "close_shift": "reports:CloseShiftScreen",
    "hardware": "hardware:HardwareScreen",
}


def screen_class(name: str) -> type[Any]:
    """The class of the screen called ``name``."""
    module, _, cls = SCREENS[name].partition(":")
    found: type[Any] = getattr(importlib.import_module(f"fairpos.tui.screens.{module}"), cls)
    return found
