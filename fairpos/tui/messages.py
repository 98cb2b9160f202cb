"""Messages the till's workers and screens send each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message

from fairpos.scale.frames import Reading
from fairpos.store import OutboxSummary


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
    """The sale in progress, or what the side panel shows, changed outside the ring-up screen
    (a recalled sale; ``quiet``: only the printer's state)."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__()
        self.quiet = quiet


class PrinterChanged(Message):
    """A print run ended: ``problem`` is why it stopped (None when all printed); ``pending``
    is how many jobs wait (-1: not known)."""

    def __init__(self, problem: str | None, pending: int) -> None:
        super().__init__()
        self.problem = problem
        self.pending = pending


class ScaleReading(Message):
    """What the scale shows now (from the scale's thread); a newer one replaces it unread.
    ``accepted`` is the same reading once the stable-weight rule accepts it for pricing."""

    def __init__(self, reading: Reading, accepted: Reading | None) -> None:
        super().__init__()
        self.reading = reading
        self.accepted = accepted

    def can_replace(self, message: Message) -> bool:
        # A reading with no accepted weight is never skipped for an accepted one: it is what
        # tells the till that the goods came off and the next weight is a new one.
        return isinstance(message, ScaleReading) and (
            self.accepted is not None or message.accepted is None)


class ScaleCommanded(Message):
    """Zero (0), tare (1) or clear tare (2) went out to the scale (``ok``) or could not."""

    def __init__(self, which: int, ok: bool) -> None:
        super().__init__()
        self.which = which
        self.ok = ok


class SyncChanged(Message):
    """A sync run ended: ``problem`` is why it stopped (None: all sent); ``summary`` is what
    waits now (None: not known)."""

    def __init__(self, problem: str | None, summary: OutboxSummary | None) -> None:
        super().__init__()
        self.problem = problem
        self.summary = summary
