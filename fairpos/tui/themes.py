"""The till's colours. ``default`` is Textual's dark theme, chosen by ``auto`` on a terminal of
256 colours or more. ``high-contrast`` puts every text
on its background at 4.5:1 or more (WCAG's floor for body text), and keeps it so when a bare
Linux console shows it in its 16 colours (8 for backgrounds): white, yellow and cyan on black,
black on yellow for what is selected — no greys, no blends that would fall between two of the
console's colours."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="fairpos-high-contrast",
    primary="#FFFF00", secondary="#00FFFF", accent="#00FFFF", warning="#FFFF00",
    error="#FF5555", success="#55FF55", foreground="#FFFFFF", background="#000000",
    surface="#000000", panel="#000000", boost="#000000", dark=True, luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "text-muted": "#FFFFFF", "text-disabled": "#FFFFFF",
        "text-primary": "#FFFF00", "text-secondary": "#00FFFF", "text-accent": "#00FFFF",
        "text-warning": "#FFFF00", "text-error": "#FF5555", "text-success": "#55FF55",
        "border": "#FFFFFF", "border-blurred": "#FFFFFF",
        "input-cursor-background": "#FFFFFF", "input-cursor-foreground": "#000000",
        "input-selection-background": "#0000AA",
        "block-cursor-background": "#00FFFF", "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": "#0000AA",
        "block-cursor-blurred-foreground": "#FFFFFF",
        "block-hover-background": "#000000",
        "footer-background": "#000000", "footer-foreground": "#FFFFFF",
        "footer-key-background": "#000000", "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF", "footer-item-background": "#000000",
        "scrollbar": "#FFFFFF", "scrollbar-hover": "#FFFF00", "scrollbar-active": "#FFFF00",
        "scrollbar-background": "#000000", "scrollbar-corner-color": "#000000",
        "scrollbar-background-hover": "#000000", "scrollbar-background-active": "#000000",
        "link-color": "#00FFFF", "link-background": "#000000",
        "link-color-hover": "#000000", "link-background-hover": "#00FFFF",
        "button-foreground": "#000000", "button-color-foreground": "#000000",
        "markdown-h1-color": "#FFFF00",
    },
)

THEMES = {"high-contrast": HIGH_CONTRAST}


def use_theme(app: App[Any], name: str) -> None:
    """Show ``app`` in the lane's ``[ui] theme`` (``default``: Textual's own; ``auto``:
    high-contrast where the terminal has 16 colours or fewer, as the Linux console)."""
    if name == "auto":
        few = app.console.color_system in ("standard", "windows")
        name = "high-contrast" if few else "default"
    theme = THEMES.get(name)
    if theme is not None:
        app.register_theme(theme)
        app.theme = theme.name
