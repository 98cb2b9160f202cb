"""Messages the till's workers and screens send each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message


class JournalReply(Message):
    """A journal job finished; ``done(result)`` updates the screen on the UI thread."""

    def __init__(self, result: Any, done: Callable[[Any], None]) -> None:
        super().__init__()
        self.result = result
        self.done = done


class Refused(Message):
    """The journal or the domain refused a request; ``text`` says why, for the volunteer."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class CartChanged(Message):
    """The sale in progress changed outside the ring-up screen (e.g. a recalled sale)."""
