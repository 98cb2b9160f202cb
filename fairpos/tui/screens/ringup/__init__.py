"""The ring-up screen, built by job: see ``view``."""

from __future__ import annotations

from fairpos.tui.screens.ringup.screen import RingUpScreen

__all__ = ["RingUpScreen"]
