"""A lane's data folder driven through its command line, as a script would type it, made
quickly from a template; and the suite's wait for a condition."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from fairpos.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class LaneDir:
    """A lane's data folder and the commands a script would type against it."""

    path: Path

    def run(self, *args: str, lang: str = "en", ok: bool = True,
            input: str | None = None) -> Result:
        result = CliRunner().invoke(main, ["--data-dir", str(self.path), "--lang", lang, *args],
                                    catch_exceptions=False, input=input)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def fail(self, *args: str, lang: str = "en") -> str:
        """Run a command that must be refused; returns its one-line message."""
        result = self.run(*args, lang=lang, ok=False)
        assert result.exit_code != 0, result.output
        assert result.stdout == "", result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        return lines[0]

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def sell(self, *args: str) -> dict[str, Any]:
        data: dict[str, Any] = self.json("sell", *args)
        return data

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path / "fairpos.db")
        conn.row_factory = sqlite3.Row
        return conn

    def dump(self) -> list[str]:
        """Every row of every table: to prove a refused command changed nothing."""
        with self.db() as conn:
            return list(conn.iterdump())


_TEMPLATES: dict[tuple[str, str], Path] = {}  # (preset, catalog) → a lane made once


def make_lane(path: Path, preset: str = "feria", catalog: str = "feria-catalog.csv",
              device_id: str | None = None) -> LaneDir:
    """A lane on the example settings of ``preset`` with ``catalog`` imported: the first one
    of each kind is made with ``fairpos catalog import``, the next ones are copies of its
    files with a device id of their own (the same journal, without making it again)."""
    from fairpos.journal import Journal, mint_device_id

    template = _TEMPLATES.get((preset, catalog))
    if template is None:
        from fairpos.presets import example

        template = Path(tempfile.mkdtemp(prefix="fairpos-lane-")) / "lane"
        template.mkdir()
        (template / "fairpos.toml").write_text(example(preset), encoding="utf-8")
        Journal.create(template / "fairpos.db", device_id="TMPL00").close()
        LaneDir(template).run("catalog", "import", str(FIXTURES / catalog))
        with sqlite3.connect(template / "fairpos.db") as conn:  # one file, nothing in a WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _TEMPLATES[(preset, catalog)] = template
    path.mkdir(parents=True, exist_ok=True)
    for name in ("fairpos.toml", "fairpos.db"):
        shutil.copy2(template / name, path / name)
    conn = sqlite3.connect(path / "fairpos.db")
    try:
        with conn:
            conn.execute("UPDATE device SET id = ?", [device_id or mint_device_id()])
    finally:
        conn.close()
    return LaneDir(path)


def open_lane(path: Path, device_id: str | None = None) -> LaneDir:
    """A lane on the feria catalog with a VES rate and Ana's shift open (float USD 20)."""
    lane = make_lane(path, device_id=device_id)
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; a generous ``timeout`` only keeps a broken test from
    hanging (it is a guard, not a measure: nothing asserts how long it took)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: still not so after {timeout} s")
        time.sleep(0.02)
