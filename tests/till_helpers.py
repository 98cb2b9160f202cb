"""Driving the till as a volunteer would: a real lane folder, the real app, Pilot key presses."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed

from fairpos import i18n
from fairpos.journal import DB_NAME, Journal
from fairpos.lane import Lane
from fairpos.settings import parse_settings
from fairpos.tui.app import TillApp
from fairpos.tui.app import make_till as till_for

FIXED_START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone(timedelta(hours=-4)))


class Clock:
    """A clock that advances one second per reading: stable and still ordered."""

    def __init__(self) -> None:
        self.now = FIXED_START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def make_till(data_dir: Path, language: str = "en", clock: Callable[[], datetime] | None = None,
              **env: str) -> TillApp:
    """The till on a lane folder, as ``fairpos till`` makes it, with a clock that starts at a
    fixed time (or ``clock``) and a steady cursor (what the screen shows never depends on the
    moment)."""
    i18n.use(language)
    text = (data_dir / "fairpos.toml").read_text()
    settings = parse_settings(text, {**os.environ, **env})
    lane = Lane(data_dir, settings, Journal.open(data_dir / DB_NAME, clock=clock or Clock()))
    app = till_for(lane, cursor_blink=False)
    shown: list[str] = []
    notify = app.notify

    def recorded(message: Any, *args: Any, **kwargs: Any) -> None:
        shown.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = recorded  # type: ignore[method-assign]
    _NOTICES[app] = shown
    return app


_NOTICES: weakref.WeakKeyDictionary[TillApp, list[str]] = weakref.WeakKeyDictionary()


def notices(app: TillApp) -> list[str]:
    """Every notification the till has shown since :func:`make_till` made it, as its text
    (recorded through ``App.notify``, which every screen's and widget's ``notify`` calls)."""
    return _NOTICES[app]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every journal and print job has replied and the screen has caught up (a
    sync run is not waited for: the till does not wait for it either)."""
    app = pilot.app
    for _ in range(3):
        waiting = [w for w in app.workers if w.group != "sync"]
        if waiting:  # (an empty list would mean every worker)
            # a failure is the app's to show (tests look there); a cancelled worker was let go
            # because the app quit
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await app.workers.wait_for_complete(waiting)
        await pilot.pause()


async def type_in(pilot: Pilot[Any], text: str, *then: str) -> None:
    await pilot.press(*text, *then)
    await settle(pilot)


async def close_shift(pilot: Pilot[Any], *counted: str) -> None:
    """The close screen from the palette, each count typed (the rest left empty) and the
    count confirmed: the comparison and the Z report come next."""
    await pilot.press("ctrl+p")
    await type_in(pilot, "Close shift", "enter")
    for count in counted:
        await type_in(pilot, count, "enter")
    await type_in(pilot, "", "enter")


def message(pilot: Pilot[Any], selector: str = "#message") -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def side_panel(pilot: Pilot[Any]) -> str:
    """The totals and the printer, scale and sync slots."""
    return message(pilot, "#totals") + "\n" + message(pilot, "#devices")


async def until(pilot: Pilot[Any], check: Callable[[], bool], seconds: float = 60.0) -> None:
    """Wait until ``check()`` holds, for what the till's own threads bring (the scale's
    readings, the printer's replies, sync runs) on their own clock. ``seconds`` is a guard
    against a broken test, generous for a loaded machine, never a measure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"not seen in {seconds} s; side panel:\n{side_panel(pilot)}")


def is_error(pilot: Pilot[Any], selector: str = "#message") -> bool:
    return pilot.app.screen.query_one(selector, Static).has_class("error")


def focused_id(pilot: Pilot[Any]) -> str | None:
    focused = pilot.app.focused
    return focused.id if focused is not None else None


def entry_value(pilot: Pilot[Any]) -> str:
    return pilot.app.screen.query_one("#entry", Input).value


def rows(data_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(data_dir / "fairpos.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
