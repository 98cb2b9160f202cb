"""This lane's clock against the ledger's: how far apart they may be before the volunteer is
told, and the words for it. (Against its own journal: ``ShiftBook.clock_behind``.)

The ledger's clock is read from the ``Date`` of its replies, to a second; a few minutes either
way is the network and clocks drifting, ten is a clock set wrong.
"""

from __future__ import annotations

from datetime import timedelta

from fairpos.i18n import _

LEDGER_SKEW = timedelta(minutes=10)  # a lane clock this far from the ledger's is pointed out


def far_from_ledger(skew: timedelta | None) -> bool:
    """``skew`` (this clock less the ledger's) is more than the network and drift explain."""
    return skew is not None and abs(skew) > LEDGER_SKEW


def skew_words(skew: timedelta) -> str:
    """"25 min ahead of the ledger's" / "3 h behind the ledger's", in the active language."""
    minutes = int(abs(skew).total_seconds() // 60)
    if minutes >= 120:
        span = _("{hours} h").format(hours=minutes // 60)
    else:
        span = _("{minutes} min").format(minutes=minutes)
    if skew > timedelta(0):
        return _("{span} ahead of the ledger's").format(span=span)
    return _("{span} behind the ledger's").format(span=span)
