"""Ctrl+P, the till's list of less frequent commands, in the volunteer's language.

Textual's command palette writes two strings of its own: the placeholder of its search line and
"No matches found". Both are said here in the lane's language.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from fairpos.i18n import _


class Commands(CommandPalette):
    def __init__(self) -> None:
        super().__init__(placeholder=_("Search for a command…"), id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """As Textual does it, with the words in the lane's language: a moment after a search
        found nothing, say so (an empty search lists everything, and says nothing)."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if not search_value:
                self._list_visible = False
                return
            self.query_one(CommandList).add_option(Option(
                Align.center(Text(_("No command matches that"), style="not bold")),
                disabled=True, id=self._NO_MATCHES))
            self._list_visible = True

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
