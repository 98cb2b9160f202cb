"""Every text the till draws, on its background, as a terminal shows it: the high-contrast theme
at 4.5:1 or more (WCAG 2's floor for body text) in full colour, in a bare Linux console's 16
colours and in its 8 — the open shift, a sale with lines, a refused entry, the command palette,
the payment window (its list with and without the focus), the hardware check, the close with
its count and Z report, a warning and an error notice. Textual's default theme is measured in
full colour (3:1, the floor for large text and controls: its placeholders sit at 3.4:1), and
``auto`` picks the high-contrast theme on a terminal of 16 colours (TERM=linux), where the
default theme's greys fall to black."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from fairpos.journal import DB_NAME, Journal
from harness.contrast import MODES, Pair, pairs
from harness.lanes import make_lane
from tests.till_helpers import Clock, make_till, settle, type_in


async def tour(pilot: Pilot[Any], seen: list[Pair], modes: tuple[str, ...]) -> None:
    """The screens a shift goes through, each measured in ``modes``."""

    def take() -> None:
        for mode in modes:
            seen.extend(pairs(pilot.app, mode))

    await settle(pilot)
    take()  # the open shift: its fields, placeholder and training box
    await type_in(pilot, "Ana", "enter", *"20", "enter", *"100", "enter")
    await pilot.press("f2")
    await settle(pilot)
    for typed in ("101*1.25", "3*305", "120*850g"):
        await type_in(pilot, typed, "enter")
    take()  # a sale with lines, the side panel
    await type_in(pilot, "abc*x", "enter")
    take()  # a refused entry: the message, the entry's text selected
    pilot.app.notify("A warning for the volunteer", severity="warning")
    pilot.app.notify("An error for the volunteer", severity="error")
    await settle(pilot)
    take()
    await pilot.press("ctrl+p")
    await settle(pilot)
    take()  # the command palette
    await pilot.press("escape")
    await pilot.press("f2")
    await settle(pilot)
    take()  # the payment window, the methods' list focused
    await pilot.press("tab")
    await settle(pilot)
    take()  # the list without the focus
    await pilot.press("escape", "escape")
    await pilot.press("ctrl+p")
    await type_in(pilot, "Hardware", "enter")
    take()
    await pilot.press("escape")
    await pilot.press("ctrl+p")
    await type_in(pilot, "Close shift", "enter")
    await type_in(pilot, "19", "enter", *"100", "enter")  # short: the reason is asked
    take()
    await type_in(pilot, "counted twice", "enter")
    take()  # the Z report


def lane_for(tmp_path: Path) -> Path:
    lane = make_lane(tmp_path / "lane", device_id="CONTR1")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")  # old: a warning
    return lane.path


def worst(seen: list[Pair], mode_pairs: int = 3) -> list[str]:
    return [f"{p.ratio:.2f} {p.fg} on {p.bg} in {p.where}: {p.text!r}"
            for p in sorted(seen, key=lambda p: p.ratio)[:mode_pairs]]


@pytest.mark.slow
async def test_the_high_contrast_theme_keeps_every_text_at_4_5_to_1(tmp_path: Path) -> None:
    app = make_till(lane_for(tmp_path), clock=Clock(), FAIRPOS_UI__THEME="high-contrast")
    seen: list[Pair] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await tour(pilot, seen, MODES)
    assert app.theme == "fairpos-high-contrast"
    assert {p.where for p in seen} >= {"OpenShiftScreen", "RingUpScreen", "Commands",
                                       "PaymentScreen", "HardwareScreen", "CloseShiftScreen"}
    assert len({(p.fg, p.bg) for p in seen}) >= 6  # (the tour saw more than plain text)
    low = [p for p in seen if p.ratio < 4.5]
    assert low == [], worst(low)


async def test_the_default_theme_in_full_colour(tmp_path: Path) -> None:
    app = make_till(lane_for(tmp_path), clock=Clock(), FAIRPOS_UI__THEME="default")
    seen: list[Pair] = []
    async with app.run_test(size=(100, 32)) as pilot:
        await tour(pilot, seen, ("truecolor",))
    assert app.theme == "textual-dark"
    low = [p for p in seen if p.ratio < 3.0]
    assert low == [], worst(low)


@pytest.mark.parametrize(("term", "colorterm", "theme"), [
    ("linux", "", "fairpos-high-contrast"), ("xterm", "", "fairpos-high-contrast"),
    ("xterm-256color", "", "textual-dark"), ("xterm-256color", "truecolor", "textual-dark")])
async def test_auto_chooses_by_the_terminals_colours(tmp_path: Path, monkeypatch: Any,
                                                    term: str, colorterm: str,
                                                    theme: str) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.setenv("COLORTERM", colorterm)
    app = make_till(lane_for(tmp_path), FAIRPOS_UI__THEME="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == theme


def test_a_theme_that_is_not_there_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    lane = make_lane(tmp_path / "lane", device_id="CONTR2")
    monkeypatch.setenv("FAIRPOS_UI__THEME", "neon")
    assert lane.fail("report") == ("fairpos: [ui] theme must be one of: auto, default, "
                                   "high-contrast")


def test_the_till_at_80x24_on_a_linux_console(snap_compare: Any, tmp_path: Path,
                                              monkeypatch: Any) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.setenv("COLORTERM", "")
    lane = make_lane(tmp_path / "lane", device_id="SNAP03")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-11-19")
    store = Journal.open(lane.path / DB_NAME, clock=Clock())
    store.open_shift("Ana", {"USD": 2000, "VES": 1000000})
    store.close()
    app = make_till(lane.path, language="es", FAIRPOS_UI__THEME="auto")

    async def ring(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for typed in ("101*1.25", "3*305"):
            await type_in(pilot, typed, "enter")
        await type_in(pilot, "999", "enter")

    assert snap_compare(app, terminal_size=(80, 24), run_before=ring)
