"""The rules for taking a weight at the till, apart from any screen or serial line.

The scale's thread reports each new reading and, once the stable-weight rule accepts it, that
same reading as *accepted*. A weight is taken for a line only when it is accepted and not
already on the sale: the next one must come after the goods came off (a reading with nothing
accepted). Every refusal says why, and what to do, in the volunteer's words.
"""

from __future__ import annotations

from fairpos.entry import EntryError
from fairpos.i18n import N_, _
from fairpos.scale.frames import Reading

# What each reading's state is called on screen and by ``fairpos scale read``.
STATE_WORDS = {"stable": N_("steady"), "unstable": N_("moving"),
               "overload": N_("over capacity"), "under_zero": N_("below zero"),
               "error": N_("unreadable"), "disconnected": N_("disconnected")}

class Weighing:
    """What the scale shows now, and whether its weight can go on the sale.

    ``configured``: a scale is set up and watched; ``problem``: why a scale setting cannot
    work (the till sells without it).
    """

    def __init__(self, configured: bool, problem: str | None = None) -> None:
        self.configured = configured
        self.problem = problem
        self.reading: Reading | None = None  # the newest reading
        self.accepted: Reading | None = None  # that reading, once accepted for pricing
        self.used = False  # the accepted weight is already on the sale

    def read(self, reading: Reading, accepted: Reading | None) -> None:
        """A new reading from the scale's thread."""
        if accepted is None:
            self.used = False  # the goods came off, or are moving: the next weight is new
        self.reading, self.accepted = reading, accepted

    @property
    def ready(self) -> bool:
        """A steady weight that is not on the sale yet (a class key takes it in one press)."""
        return self.accepted is not None and not self.used

    def weight(self) -> Reading:
        """The accepted weight, for a line (:meth:`put_on_sale` once the line is added).
        Otherwise an :class:`EntryError` that says why not and what to do."""
        if not self.configured:
            raise EntryError(self.problem or _("no scale is configured: type the weight"))
        accepted = self.accepted
        if accepted is None:
            reading = self.reading
            state = reading.state if reading else "disconnected"
            if state == "stable":
                raise EntryError(_("nothing on the scale") if not reading or not reading.grams
                                 else _("the weight is settling: press again in a moment"))
            raise EntryError({
                "unstable": _("the weight is still moving: wait until it settles"),
                "overload": _("the scale is over capacity: take some off"),
                "under_zero": _("the scale is below zero: zero it (Ctrl+Z) with nothing on it"),
                "error": _("the scale sent something unreadable: try again or type the weight"),
                "disconnected": _("the scale is disconnected: type the weight"),
            }[state])
        if self.used:
            raise EntryError(_("that weight is already on the sale: put the next goods on the "
                               "scale"))
        return accepted

    def put_on_sale(self) -> None:
        """The accepted weight is on a line now: the next line needs the next goods."""
        self.used = True

    def status(self) -> str:
        """The scale's slot in the side panel and the hardware check."""
        if not self.configured:
            return self.problem or _("not configured")
        if self.reading is None:
            return _("connecting…")
        if self.reading.state == "disconnected":
            return _("disconnected")
        return _("connected")

    def state(self) -> str:
        """What the scale shows, in words: the weight and whether it can be priced."""
        reading = self.reading
        if reading is None:
            return _("connecting…")
        words = _(STATE_WORDS[reading.state])
        if reading.state == "stable" and self.accepted is None and reading.grams:
            words = _("settling")
        if self.accepted is not None and self.used:
            words = _("already on the sale")
        return words

    @property
    def moving(self) -> bool:
        """Shown greyed: moving, or steady but not accepted yet."""
        state = self.reading.state if self.reading is not None else "disconnected"
        return state == "unstable" or (state == "stable" and self.accepted is None)

    @property
    def trouble(self) -> bool:
        """Shown in red: over capacity, below zero, unreadable, disconnected."""
        state = self.reading.state if self.reading is not None else "disconnected"
        return state not in ("stable", "unstable")
