"""Translations and locale-aware formatting.

Messages are written in English in the code and translated through a gettext catalog
(``fairpos/locale/<lang>/LC_MESSAGES/fairpos.po``), read with Babel. Spanish is the default
language; :func:`use` switches. Numbers and money are formatted with Babel for the active locale
(Spanish: ``1.234,56``).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Protocol

from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_decimal_symbol

from fairpos.errors import FairposError

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
_active = DEFAULT_LANGUAGE


class Amount(Protocol):
    """An amount of money as the formatters need it (a :class:`fairpos.domain.money.Money`)."""

    @property
    def currency(self) -> str: ...
    def as_decimal(self) -> Decimal: ...


class LanguageError(FairposError, ValueError):
    pass


def use(language: str) -> None:
    """Make ``language`` (``es`` or ``en``) the language of every message from now on."""
    global _active
    code = language.strip().lower().replace("-", "_").split("_")[0]
    if code not in LANGUAGES:
        raise LanguageError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _active = code


def active() -> str:
    return _active


@cache
def _catalog(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    po = resources.files("fairpos") / "locale" / language / "LC_MESSAGES" / "fairpos.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def _(message: str) -> str:
    """The translation of ``message`` in the active language (the message itself if none)."""
    return _catalog(_active).get(message, message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; translate it with ``_`` where shown."""
    return message


def format_money(amount: Amount, language: str | None = None) -> str:
    """``1.234,56 USD`` in Spanish, ``1,234.56 USD`` in English."""
    return str(format_currency(amount.as_decimal(), amount.currency, format="#,##0.00 ¤¤",
                               locale=language or _active))


def format_number(amount: Amount, language: str | None = None) -> str:
    """The amount without its currency code: ``1.234,56``."""
    return str(format_currency(amount.as_decimal(), amount.currency, format="#,##0.00",
                               locale=language or _active))


def typed_amount(amount: Amount, language: str | None = None) -> str:
    """The amount as a person types it in a field of the lane's language: ``62,00`` in
    Spanish (no thousands separators: what :func:`fairpos.domain.money.parse_amount` reads)."""
    plain = format(amount.as_decimal(), "f")
    return plain.replace(".", get_decimal_symbol(language or _active))


def format_rate(value: Decimal, language: str | None = None) -> str:
    """An exchange rate with every decimal it has: ``414,04``."""
    return str(format_decimal(value, locale=language or _active, decimal_quantization=False))


def format_grams(grams: int, language: str | None = None) -> str:
    """A weight in kilograms with three decimals: ``1,250 kg`` in Spanish."""
    kilos = Decimal(grams).scaleb(-3)
    return f"{format_decimal(kilos, format='#,##0.000', locale=language or _active)} kg"


def lines_text(count: int) -> str:
    """"1 line", "3 lines", in the active language."""
    return _("1 line") if count == 1 else _("{count} lines").format(count=count)


def entries_text(count: int) -> str:
    """"1 entry", "3 entries", in the active language."""
    return _("1 entry") if count == 1 else _("{count} entries").format(count=count)
