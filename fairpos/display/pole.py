"""What a 2 × 20 pole display shows, and its bytes in the common command sets (pure).

During a sale the upper line is the last line rung up (its name and amount) and the lower the
total in the pricing currency and the next accepted one; after payment, thanks and the change;
between customers, the fair's name. Text is transliterated to the display's character table
(``printable``), so an accent the table lacks never comes out as garbage.

Command sets: ``epson`` — ESC/POS customer displays (Epson DM-D and compatibles): ESC @ once,
FF clears and homes, US $ x y moves the cursor; ``cd5220`` — ESC Q A / ESC Q B write the upper
and lower line, ended by CR.
"""

from __future__ import annotations

from fairpos.domain.cart import Cart
from fairpos.domain.money import Money, Rates
from fairpos.i18n import _, format_money
from fairpos.printer.render import printable

WIDTH = 20
INIT = b"\x1b@"
CLEAR = b"\x0c"
Lines = tuple[str, str]


def number_part(text: str) -> str:
    """``1,50 USD`` → ``1,50``."""
    return text.rsplit(" ", 1)[0]


def _fit(left: str, right: str) -> str:
    """``left`` cut to leave room for ``right``, right-aligned on one line."""
    room = WIDTH - len(right) - 1
    return f"{left[:max(room, 0)]:<{max(room, 0)}} {right}"[-WIDTH:]


def totals_line(total: Money, rates: Rates, currencies: list[str], language: str) -> str:
    """The total in the pricing currency and the next accepted one with a rate, as fits."""
    shown = format_money(total, language)
    others = [c for c in currencies if c != total.currency and c in rates]
    if not others:
        return shown.rjust(WIDTH)[-WIDTH:]
    other = format_money(rates.express(total.minor, others[0]), language)
    for text in (f"{shown} {other}", f"{number_part(shown)} | {other}",
                 f"{number_part(shown)} | {number_part(other)}", shown):
        if len(text) <= WIDTH:
            return text.rjust(WIDTH)
    return shown[-WIDTH:]


def sale_lines(cart: Cart, rates: Rates, currencies: list[str], language: str) -> Lines:
    """The last line rung up, and the total."""
    lines = cart.active
    if not lines:
        return "", totals_line(cart.total, rates, currencies, language)
    last = lines[-1]
    amount = number_part(format_money(Money(last.amount, cart.currency), language))
    return (_fit(last.name(language), amount),
            totals_line(cart.total, rates, currencies, language))


def thanks_lines(change: Money | None, language: str) -> Lines:
    """After payment: thanks, and the change when there is some."""
    lower = ""
    if change is not None and change.minor:
        lower = _fit(_("Change"), format_money(change, language))
    return _("Thank you!").center(WIDTH)[:WIDTH], lower


def idle_lines(fair: str) -> Lines:
    return fair[:WIDTH].center(WIDTH), ""


def frame(lines: Lines, protocol: str, codepage: str) -> bytes:
    """The bytes that show ``lines``, each padded to the width, in ``protocol``."""
    upper, lower = (printable(text, codepage)[:WIDTH].ljust(WIDTH).encode(codepage.lower(),
                                                                          "replace")
                    for text in lines)
    if protocol == "cd5220":
        return b"\x1bQA" + upper + b"\r" + b"\x1bQB" + lower + b"\r"
    return CLEAR + upper + b"\x1f\x24\x01\x02" + lower
