"""The rules for taking a weight at the till, apart from any screen or serial line.

The scale's thread reports each new reading and, once the stable-weight rule accepts it, that
same reading as *accepted*. A weight is taken for a line only when it is accepted and not
already on the sale: the next one must come after the goods came off (a reading with nothing
accepted). Every refusal says why, and what to do, in the volunteer's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.domain.typed import TypedError
from fairpos.i18n import N_, _, format_grams
from fairpos.scale.frames import Answer, Command, Reading, Why

# What each reading's state is called on screen and by ``fairpos scale read``.
STATE_WORDS = {"stable": N_("steady"), "unstable": N_("moving"),
               "overload": N_("over capacity"), "under_zero": N_("below zero"),
               "error": N_("unreadable"), "disconnected": N_("disconnected")}

# What a scale that did not zero or tare said, in the volunteer's words
WHY_WORDS: dict[Why | str, str] = {
    "moving": N_("the weight was moving"),
    "over_capacity": N_("it is over capacity"),
    "under_zero": N_("it is below zero"),
    "out_of_range": N_("the weight is outside what it can zero or tare"),
    "busy": N_("it was busy, or the weight did not settle"),
    "not_allowed": N_("its settings do not allow it"),
    "not_understood": N_("it does not know that command"),
    "not_done": N_("it did not do it"),
    "silent": N_("it did not answer"),
    "unsupported": N_("it takes no such command from the till"),
    "disconnected": N_("it is not connected"),
}
COMMAND_WORDS: dict[Command, str] = {"zero": N_("Zero"), "tare": N_("Tare"),
                                     "clear_tare": N_("Clear tare")}


@dataclass(frozen=True)
class Tare:
    """The tare in force: ``grams`` of container. ``by_scale``: the scale took it, so its
    readings are net already; otherwise the lane takes it off each weight."""

    grams: int
    by_scale: bool


def why_not(answer: Answer) -> str:
    """Why a command was not done, in words."""
    key = answer.why if answer.outcome == "refused" and answer.why else answer.outcome
    return _(WHY_WORDS[key])


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
        self.tare: Tare | None = None  # the tare in force, until it is cleared
        self.asked_tare: int | None = None  # the steady gross weight the scale was asked to tare

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
        Otherwise an :class:`TypedError` that says why not and what to do."""
        if not self.configured:
            raise TypedError(self.problem or _("no scale is configured: type the weight"))
        accepted = self.accepted
        if accepted is None:
            reading = self.reading
            state = reading.state if reading else "disconnected"
            if state == "stable":
                raise TypedError(_("nothing on the scale") if not reading or not reading.grams
                                 else _("the weight is settling: press again in a moment"))
            raise TypedError({
                "unstable": _("the weight is still moving: wait until it settles"),
                "overload": _("the scale is over capacity: take some off"),
                "under_zero": _("the scale is below zero: zero it (Ctrl+Z) with nothing on it"),
                "error": _("the scale sent something unreadable: try again or type the weight"),
                "disconnected": _("the scale is disconnected: type the weight"),
            }[state])
        if self.used:
            raise TypedError(_("that weight is already on the sale: put the next goods on the "
                               "scale"))
        return accepted

    def net(self, grams: int, from_scale: bool) -> tuple[int, int | None]:
        """A weight for a line: (net grams, the tare it keeps). A weight from the scale is
        gross unless the scale took the tare; a typed one is what the scale's display shows —
        gross under a tare the lane took. A tare as heavy as the weight is refused."""
        tare = self.tare
        if tare is None:
            return grams, None
        if tare.by_scale:
            return grams, (tare.grams if from_scale else None)
        if grams <= tare.grams:
            raise TypedError(_("the tare ({tare}) is as much as the weight ({gross}): put the "
                               "goods in the container, or clear the tare (Ctrl+T with nothing "
                               "on the scale)").format(tare=format_grams(tare.grams),
                                                       gross=format_grams(grams)))
        return grams - tare.grams, tare.grams

    @property
    def goods_on(self) -> bool:
        """More than the tare is on the scale, steady."""
        accepted = self.accepted
        if accepted is None or accepted.grams is None:
            return False
        tare = self.tare
        return accepted.grams > (tare.grams if tare is not None and not tare.by_scale else 0)

    def tare_typed(self, grams: int) -> str:
        """A tare typed by the volunteer (0 clears the lane's); what to say."""
        if self.tare is not None and self.tare.by_scale:
            raise TypedError(_("the scale holds a tare of {tare}: clear it first (Ctrl+T with "
                               "nothing on the scale)").format(tare=format_grams(self.tare.grams)))
        if grams < 0:
            raise TypedError(_("a tare cannot be less than nothing"))
        if grams == 0:
            self.tare = None
            return _("Tare cleared.")
        self.tare = Tare(grams, by_scale=False)
        return _("Tare {tare}: taken off each weight from now on.").format(
            tare=format_grams(grams))

    def answered(self, command: Command, answer: Answer) -> tuple[str, bool]:
        """What the scale answered to a command from the till: the tare in force follows it,
        and the words to show (with whether they are a problem). A tare the scale did not
        take is taken by the lane, at the steady weight it was asked to tare."""
        what = _(COMMAND_WORDS[command])
        asked, self.asked_tare = self.asked_tare, None
        if command == "tare" and answer.done and (answer.tare is not None or asked is not None):
            grams = answer.tare if answer.tare is not None else (asked or 0)
            if self.tare is not None and self.tare.by_scale and answer.tare is None:
                grams += self.tare.grams  # (the scale tared its net weight: the tare grew)
            self.tare = Tare(grams, by_scale=True)
            return _("Tare {tare}: done by the scale.").format(tare=format_grams(grams)), False
        if command == "clear_tare" and answer.done:
            self.tare = None
            return _("Tare cleared by the scale."), False
        if answer.done:
            return _("{what}: done by the scale.").format(what=what), False
        why = why_not(answer)
        if command == "tare" and asked is not None and answer.outcome != "disconnected" and \
                (self.tare is None or not self.tare.by_scale):
            self.tare = Tare(asked, by_scale=False)
            return _("The scale did not take the tare ({why}): the till takes {tare} off each "
                     "weight from now on.").format(why=why, tare=format_grams(asked)), True
        if command == "zero" and answer.outcome == "unsupported":
            return _("This scale is zeroed with its own key."), True
        return _("{what}: the scale did not do it ({why}).").format(what=what, why=why), True

    def put_on_sale(self) -> None:
        """The accepted weight is on a line now: the next line needs the next goods."""
        self.used = True

    def tare_text(self) -> str | None:
        """The tare in force, for the side panel (None: no tare)."""
        if self.tare is None:
            return None
        return _("Tare {tare}").format(tare=format_grams(self.tare.grams))

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
