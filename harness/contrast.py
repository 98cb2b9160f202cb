"""What a screen of the till shows, cell by cell, and how each text stands out from its
background: WCAG 2's contrast ratio of the two colours as a terminal shows them — in full
colour, or on a bare Linux console (``TERM=linux``): its 16 colours for text and 8 for
backgrounds, bold text shown in the bright half.

Only text is measured (letters, digits, punctuation, symbols); the block and box characters
that draw borders and bars are not text. On a modal screen only the dialog's own cells are
measured: what lies behind it is dimmed on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich._palettes import STANDARD_PALETTE
from rich.color import Color, ColorSystem
from rich.style import Style
from textual.errors import NoWidget
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets._toggle_button import ToggleButton

MODES = ("truecolor", "16", "8")
LINUX_CONSOLE = [tuple(STANDARD_PALETTE[i]) for i in range(16)]  # (the VGA colours)


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb[:3]
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def ratio(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def is_text(char: str) -> bool:
    return not char.isspace() and char.isprintable() and not 0x2500 <= ord(char) <= 0x259F \
        and ord(char) < 0x1F000


def shown(color: Color | None, mode: str, background: bool, bold: bool) -> tuple[int, ...]:
    """``color`` as the terminal shows it (no colour: the terminal's own, white on black)."""
    if color is None:
        return (0, 0, 0) if background else (255, 255, 255)
    if mode == "truecolor":
        return tuple(color.get_truecolor())
    number = color.downgrade(ColorSystem.STANDARD).number or 0
    if background:
        number &= 7
    elif mode == "8":
        number = (number & 7) | (8 if bold else 0)  # (the console shows bold as bright)
    return LINUX_CONSOLE[number]


def unchecked_box(screen: Any, x: int, y: int, char: str) -> bool:
    """The X of a check box that is not ticked: drawn in its box's own colour, to be unseen."""
    if char != "X":
        return False
    try:
        widget, _region = screen.get_widget_at(x, y)
    except NoWidget:
        return False
    return isinstance(widget, ToggleButton) and not widget.value


@dataclass(frozen=True)
class Pair:
    fg: tuple[int, ...]
    bg: tuple[int, ...]
    text: str  # an example of the text drawn so
    where: str  # the screen's name

    @property
    def ratio(self) -> float:
        return ratio(self.fg, self.bg)


def pairs(app: Any, mode: str) -> list[Pair]:
    """Every (text colour, background) the active screen draws, with an example of each."""
    screen = app.screen
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    dialog = [widget.region for widget in screen._compositor.visible_widgets
              if widget is not screen] if isinstance(screen, ModalScreen) \
        else [Region(0, 0, *app.size)]
    found: dict[tuple[tuple[int, ...], tuple[int, ...]], Pair] = {}
    for y, line in enumerate(update.strips):
        x = 0
        for segment in (segment for strip in line for segment in strip):
            style: Style = segment.style or Style()
            for char in segment.text:
                inside = any(region.contains(x, y) for region in dialog)
                x += 1
                if not inside or not is_text(char) or unchecked_box(screen, x - 1, y, char):
                    continue
                bold = bool(style.bold)
                fg = shown(style.color, mode, False, bold)
                bg = shown(style.bgcolor, mode, True, bold)
                if style.reverse:
                    fg, bg = bg, fg
                if (fg, bg) not in found:
                    found[(fg, bg)] = Pair(fg, bg, segment.text.strip()[:30],
                                           type(screen).__name__)
    return list(found.values())
