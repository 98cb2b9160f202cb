"""The ledger's pages from their templates (``fairpos/ledger/templates/``, Jinja2 with
autoescape on: whatever a lane, a bank statement or an admin put into the ledger is text on
the page, never markup).

A page's Python gathers its figures, in the page's language, into plain values; a table's
cell is text, or a :class:`Cell` when it is a link, a warning, or has a second line. Charts
(:class:`Chart`) and paging (:class:`Pager`) are laid out here and drawn by the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from html import escape as html_escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from fairpos.domain.money import Money
from fairpos.i18n import _, active, format_number

TEMPLATES = Path(__file__).parent / "templates"

# The signed-in session's token for its forms (set for the page being made): a form posted
# from anywhere else lacks it, and changes nothing
CSRF: ContextVar[str] = ContextVar("csrf", default="")
# Each fair's time zone (set for the page being made): the times a page shows are the fair's
ZONES: ContextVar[dict[str, ZoneInfo] | None] = ContextVar("zones", default=None)
# Who is signed in (set for the page being made): named on the page, offered what they may do
WHO: ContextVar[Any] = ContextVar("who", default=None)


def money(minor: int | None, currency: str) -> str:
    """An amount in the page's language: ``1.234,56`` in Spanish, ``1,234.56`` in English."""
    return format_number(Money(int(minor or 0), currency))


def kilos(grams: int | None) -> str:
    """Kilograms with three decimals, in the page's language (``327,049`` in Spanish)."""
    return str(format_decimal(Decimal(int(grams or 0)).scaleb(-3), format="#,##0.000",
                              locale=active()))


def count(value: int | None) -> str:
    """A whole number in the page's language (``1.234`` in Spanish)."""
    return str(format_decimal(int(value or 0), locale=active()))


@dataclass(frozen=True)
class Cell:
    """A table's cell that is more than text: a link (``href``), a warning (``warn``), with a
    second line in small type (``note``) or a second cell under it (``under``: a lane's
    link under its name)."""

    text: str
    href: str | None = None
    warn: bool = False
    note: str | None = None
    under: Cell | None = None

    def __html__(self) -> str:
        """The cell as the page shows it, every value escaped (what a template's ``{{ }}``
        writes of it)."""
        shown = html_escape(self.text)
        if self.href is not None:
            shown = f'<a href="{html_escape(self.href)}">{shown}</a>'
        if self.warn:
            shown = f'<span class="warn">{shown}</span>'
        if self.note is None and self.under is None:
            return str(shown)
        if self.note is not None:
            shown = f"{shown}<br><small>{html_escape(self.note)}</small>"
        if self.under is not None:
            shown = f"{shown}<br>{self.under.__html__()}"
        return f"<span>{shown}</span>"


@dataclass(frozen=True)
class FormCell:
    """A table's cell that is a small form posted from the page (with the session's token):
    hidden ``fields``, a ``text`` box (its name and label, if any) and one button per
    ``buttons`` entry (its field's name, value and label)."""

    action: str
    fields: tuple[tuple[str, str], ...]
    buttons: tuple[tuple[str, str, str], ...]
    text: tuple[str, str] | None = None
    said: str | None = None  # what a person said already, shown above the form

    def __html__(self) -> str:
        parts = [f'<form method="post" action="{html_escape(self.action)}">',
                 f'<input type="hidden" name="csrf" value="{html_escape(CSRF.get())}">']
        parts += [f'<input type="hidden" name="{html_escape(k)}" value="{html_escape(v)}">'
                  for k, v in self.fields]
        if self.text is not None:
            parts.append(f'<textarea name="{html_escape(self.text[0])}" rows="1" required '
                         f'maxlength="500" aria-label="{html_escape(self.text[1])}" '
                         f'placeholder="{html_escape(self.text[1])}"></textarea>')
        parts += [f'<button type="submit" name="{html_escape(n)}" value="{html_escape(v)}">'
                  f"{html_escape(label)}</button> " for n, v, label in self.buttons]
        said = f"<small>{html_escape(self.said)}</small><br>" if self.said else ""
        return f"<span>{said}{''.join(parts)}</form></span>"


@dataclass(frozen=True)
class Bar:
    label: str  # whole, in the bar's title
    cut: str  # as written beside the bar
    value_said: str
    y: int
    width: str  # (SVG user units, one decimal)
    said_at: str  # where its value is written, after the bar


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart as inline SVG."""

    caption: str
    bars: tuple[Bar, ...]
    gutter: int
    wide: int
    height: int


def chart(labels: Sequence[str], values: Sequence[int], caption: str,
          shown: Sequence[str] | None = None) -> Chart | None:
    """A bar chart of ``values`` (``shown``: how each is written); a long label (a product's
    name) is cut to fit, whole in the bar's title. None: nothing to chart."""
    if not values:
        return None
    shown = shown or [str(v) for v in values]
    top = max(max(values), 1)
    gutter = 70 if max(len(label) for label in labels) <= 8 else 180
    widths = [190 * max(value, 0) / top for value in values]
    bars = tuple(
        Bar(label, label if len(label) <= 22 else label[:21] + "…", text, 26 * i + 2,
            f"{width:.1f}", f"{gutter + 5 + width:.1f}")
        for i, (label, width, text) in enumerate(zip(labels, widths, shown, strict=True)))
    return Chart(caption, bars, gutter, gutter + 270, 26 * len(values) + 4)


@dataclass(frozen=True)
class Pager:
    """"Newer · 51–100 of 230 · Older" for a list shown a page at a time."""

    here: str
    newer: str | None  # the links, when there is a page that way
    older: str | None


def pager(href: str, offset: int, shown: int, total: int, size: int) -> Pager | None:
    """The paging of a list shown ``size`` at a time from ``offset``; ``href`` + a start is
    each link (None when the list is empty: the table says so)."""
    if not total:
        return None
    here = _("{first}–{last} of {total}").format(
        first=count(min(offset + 1, total)), last=count(min(offset + shown, total)),
        total=count(total))
    return Pager(here, href + str(max(offset - size, 0)) if offset > 0 else None,
                 href + str(offset + shown) if offset + shown < total else None)


@dataclass(frozen=True)
class Column:
    label: str
    kind: str  # "n": a number, aligned right; "t": free text, wrapped anywhere; "" neither


def columns(headers: Sequence[str], numeric: Sequence[int], free: Sequence[int]
            ) -> list[Column]:
    """A table's columns: each its label (its cells' on a phone's cards) and kind."""
    return [Column(h, "n" if i in numeric else "t" if i in free else "")
            for i, h in enumerate(headers)]


def table_rows(rows: Sequence[Sequence[Any]], cols: Sequence[Column]) -> Markup:
    """A table's rows, every cell escaped (a :class:`Cell` writes itself), each under its
    column's label: the one loop a page may run ten thousand times, kept out of the template
    for speed (the table around it is ``_macros.html``'s)."""
    opened = [Markup('<td class={} data-label="{}">').format(col.kind, col.label) if col.kind
              else Markup('<td data-label="{}">').format(col.label) for col in cols]
    out: list[str] = []
    for row in rows:
        out.append("<tr>")
        for cell, td in zip(row, opened, strict=True):
            out += (td, cell.__html__() if isinstance(cell, Cell | FormCell)
                    else html_escape(str(cell)),
                    "</td>")
        out.append("</tr>")
    return Markup("".join(out))


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=False)
    env.globals.update(_=_, columns=columns)
    env.filters.update(table_rows=table_rows)
    env.filters.update(money=money, kilos=kilos, count=count)
    return env


def render(template: str, **context: Any) -> str:
    """``template`` with ``context``, in the page's language, its forms carrying the
    session's token."""
    return environment().get_template(template).render(
        lang=active(), csrf=CSRF.get(), today=date.today().isoformat(), who=WHO.get(),
        **context)
