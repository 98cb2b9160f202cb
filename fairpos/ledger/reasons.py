"""Why the ledger refused an entry, in the page's language.

A reason is kept as the schema wrote it (English, the same for every reader, and what the
stall was told). A page shows it in its reader's language: each of the schema's sentences is
listed here once as a template; a reason that reads as one of them is said again through the
translation of that template, with the same values (field names and codes stay as they are).
A reason no template reads is shown as it was kept.
"""

from __future__ import annotations

import re
from functools import cache

from fairpos.i18n import N_, _

# The most particular first: "{what} …" reads almost anything, so those come last.
TEMPLATES = (
    N_("another sale with this id is already on the ledger"),
    N_("another shift entry with this id is already on the ledger"),
    N_("the ledger could not read this entry ({error})"),
    N_("seq {seq} is too far past this device's last entry on the ledger (at most {most})"),
    N_("the lane's rate {pair} v{version} is {kept} in {sale}, not {value}"),
    N_("line {n} has both or neither of grams and count"),
    N_("line {n} has a quantity of the wrong sign"),
    N_("line {n}: {quantity} × {price} is {expected}, not {amount}"),
    N_("the lines add up to {sum}, not to the total {total}"),
    N_("a tender, the change or the IGTF has the wrong sign (a sale takes payments, a void "
       "or refund gives them back)"),
    N_("the IGTF is more than its base, or its base more than the total"),
    N_("change is sent by pago móvil only"),
    N_("change sent {n}: reference field {field} is not well-formed"),
    N_("change sent {n}: unknown payment method {method}"),
    N_("the tenders and the change are too large"),
    N_("the tenders less the change ({paid}) do not pay the total ({total})"),
    N_("a tender is in a currency the entry has no rate for"),
    N_("rate {n} names rates v{version}, which the ledger has not published"),
    N_("rate {n}: {pair} {value} from {effective} is not rates v{version}'s ({theirs})"),
    N_("the entry names catalog v{version}, which the ledger has not published"),
    N_("line {n}: {code} at {price} is not catalog v{version}'s price ({listed})"),
    N_("a sale refers to no other entry"),
    N_("a shift's close needs closed_at and its counts"),
    N_("a shift's opening has no close, counts or reason"),
    N_("a {kind} needs its reason"),
    N_("a {kind} refers to an entry of its own device"),
    N_("count {n} says round {round}"),
    N_("count {n}: {method} {currency} is counted twice"),
    N_("entry {id} says kind {kind}"),
    N_("entry {id} says seq {seq}"),
    N_("entry {id} says shift {shift}"),
    N_("line {n}: a tag is empty"),
    N_("line {n}: a tag is given twice"),
    N_("line {n}: code is empty"),
    N_("line {n}: unknown kind {kind}"),
    N_("line {n}: unknown price class {code}"),
    N_("rate {n} is either published by the ledger or set at the lane"),
    N_("rate {n} must be more than zero"),
    N_("tender {n}: reference field {field} is not well-formed"),
    N_("tender {n}: unknown payment method {method}"),
    N_("the float in {currency} is given twice"),
    N_("unknown catalog version {version}"),
    N_("unknown currency {code}"),
    N_("unknown payment method {method}"),
    N_("unknown entry kind {kind}"),
    N_("unknown wire version {version}"),
    N_("the entry is not JSON ({error})"),
    N_("the entry nests deeper than {levels} levels"),
    N_("the entry cannot be read ({error})"),
    N_("{value} is not an entry id (DEVICE-000123)"),
    N_("{value} is not a shift entry id (DEVICE-S000123-close)"),
    N_("{value} is not a device id"),
    N_("{id} is not device {device}'s"),
    N_("{what} holds a control or invalid character ({char})"),
    N_("{what} is not in canonical (NFC) form"),
    N_("{what} is longer than {limit} characters"),
    N_("{what} has more than {limit} items"),
    N_("{what} must have at least {limit} item(s)"),
    N_("{what} is out of range ({bound})"),
    N_("{what} must be a whole number"),
    N_("{what} must be true or false"),
    N_("{what} must be text"),
    N_("{what} must be a list"),
    N_("{what} must be a JSON object"),
    N_("{what} has unknown fields: '{fields}'"),
    N_("{what} lacks {field}"),
    N_("{what} is empty"),
    N_("{what} {value} is not a date"),
    N_("{what} {value} is not a moment"),
    N_("{what} {value} is not well-formed"),
)
_FIELD = re.compile(r"\{(\w+)\}")


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in TEMPLATES:
        parts = _FIELD.split(template)  # literal, name, literal, name, …
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                        for i, part in enumerate(parts))
        patterns.append((re.compile(regex, re.DOTALL), template))
    return patterns


def said(reason: str) -> str:
    """``reason`` in the page's language, when it is one of the schema's sentences."""
    for pattern, template in _patterns():
        found = pattern.fullmatch(reason)
        if found is not None:
            values = {name: _("the entry") if value == "the entry" else value
                      for name, value in found.groupdict().items()}
            return _(template).format(**values)
    return reason
