"""How each lane's day stands, in the page's words: a fair's day summed up for the home page
("3 matched · 1 not closed · 1 not heard from"), and each lane named on the day page with
what is wrong, at the fair's time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fairpos.i18n import N_, _
from fairpos.ledger.links import lane_link
from fairpos.ledger.render import ZONES, Cell, count, money
from fairpos.ledger.store.records import TROUBLE, FairDay, LaneDayStatus

# each state's count on the home page: (one lane, several)
_SUMMED = {
    "quarantined": (N_("1 with entries in quarantine"), N_("{count} with entries in quarantine")),
    "missing": (N_("1 with sales missing"), N_("{count} with sales missing")),
    "not_closed": (N_("1 not closed"), N_("{count} not closed")),
    "mismatch": (N_("1 mismatch"), N_("{count} mismatch")),
    "silent": (N_("1 not heard from"), N_("{count} not heard from")),
    "matched": (N_("1 matched"), N_("{count} matched")),
    "idle": (N_("1 did not sell"), N_("{count} did not sell")),
}


def _summed(state: str, n: int) -> str:
    one, many = _SUMMED[state]
    return _(one) if n == 1 else _(many).format(count=count(n))


def day_said(day: FairDay) -> Cell:
    """A fair's day at a glance, every lane counted in the state it is in, worst first;
    a warning unless every lane that sold matched."""
    text = " · ".join(_summed(state, n) for state, n in day.states.items())
    return Cell(text or _("no lanes"), warn=day.troubled)


def at_fair(moment: str | None, zone: ZoneInfo | None, day: str | None = None) -> str:
    """A moment the ledger wrote (UTC, ISO) at the fair's time: "14:05" on ``day``, else
    "2026-11-20 18:05"; as written when it cannot be read."""
    if not moment:
        return ""
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if zone is not None and at.tzinfo is not None:
        at = at.astimezone(zone)
    shown = at.strftime("%H:%M")
    return shown if at.date().isoformat() == day else f"{at.date().isoformat()} {shown}"


def fair_time(moment: str | None, fair: str | None, day: str | None = None) -> str:
    """A moment the ledger wrote, at ``fair``'s time (:func:`at_fair`, the page's zones)."""
    return at_fair(moment, (ZONES.get() or {}).get(fair or ""), day)


def lane_said(status: LaneDayStatus, zone: ZoneInfo | None) -> Cell:
    """What is wrong with a lane's day, in a few words (or that it matched)."""
    state = status.state
    if state == "matched":
        return Cell(_("matched"))
    if state == "idle":
        return Cell(_("did not sell"))
    if state == "quarantined":
        text = _("1 entry in quarantine") if status.quarantined == 1 else _(
            "{count} entries in quarantine").format(count=count(status.quarantined))
    elif state == "missing":
        text = _("1 sale missing") if status.missing == 1 else _(
            "{count} sales missing").format(count=count(status.missing))
    elif state == "mismatch":
        text = _("mismatch: the lane's Z differs from the ledger")
    elif state == "silent":
        text = _("no news since {at}").format(
            at=at_fair(status.last_heard, zone, status.business_date)) \
            if status.last_heard else _("never heard from")
    elif status.shift_open:
        text = _("not closed: a shift is open")
    elif status.closed_at is None:
        text = _("not closed: no day close received")
    else:
        text = _("not closed: entries came after its day close")
    return Cell(text, warn=state in TROUBLE)


def totals_said(totals: Mapping[str, int]) -> str:
    return " · ".join(f"{money(v, c)} {c}" for c, v in sorted(totals.items()))


def lane_days_view(days: Sequence[FairDay], zones: Mapping[str, ZoneInfo]
                   ) -> dict[str, Any]:
    """Each lane of a business date, fair by fair: its state, entries, totals, and when its
    newest day close came (at the fair's time)."""
    rows = []
    for day in days:
        zone = zones.get(day.fair)
        rows += [(status.fair, status.lane, lane_link(status.device_id),
                  lane_said(status, zone), count(status.entries) if status.entries else "",
                  totals_said(status.totals),
                  at_fair(status.closed_at, zone, status.business_date))
                 for status in day.lanes]
    return {"headers": [_("Fair"), _("Lane"), _("Device"), _("State"), _("Entries"),
                        _("Totals"), _("Day close")], "rows": rows}
