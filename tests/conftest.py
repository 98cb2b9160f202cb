"""Shared fixtures: a real lane in a temporary folder, driven through the real ``fairpos`` CLI."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fairpos import i18n
from harness.lanes import LaneDir, make_lane

# The tests start hundreds of Python processes (test workers, ledgers, sync processes, tills,
# crash workers). Where Python is told not to write bytecode (PYTHONDONTWRITEBYTECODE, common in
# containers), each of them would compile every module it imports, every time, and pytest
# would rewrite every test module's assertions again in each worker: here they write it once.
sys.dont_write_bytecode = False
os.environ["PYTHONDONTWRITEBYTECODE"] = ""
# The till's colours follow the terminal it runs in ([ui] theme = auto): the tests draw it in
# one theme whatever terminal runs them; the contrast tests choose theirs.
os.environ["FAIRPOS_UI__THEME"] = "default"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: handed out last, one of them would finish alone at the end of
    the run while the other test processes sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def quick_pilot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot sleeps 20 ms twice after every key to see whether the app went idle; a till
    answers a key in a few milliseconds, so look every 2 ms instead (the screen is still
    waited for after every key, and ``settle`` waits for the workers)."""
    import textual._wait

    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", 0.002)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", 0.0001)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Domain messages in English unless a test switches; restored after each test."""
    i18n.use("en")
    yield
    i18n.use("en")


# With several test processes (xdist), the first one started gets a PostgreSQL server that
# all of them share, each test on a database of its own: one server to start, not one each.
_SHARED_POSTGRES: Any = None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(In the process that hands out the tests) tell each test process where the shared
    server is, starting it for the first."""
    global _SHARED_POSTGRES
    if _SHARED_POSTGRES is None:
        from harness.postgres import Postgres

        _SHARED_POSTGRES = Postgres(connections=800)
    node.workerinput["fairpos_postgres"] = f"{_SHARED_POSTGRES.port} {_SHARED_POSTGRES.root}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SHARED_POSTGRES is not None:
        _SHARED_POSTGRES.remove()


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A PostgreSQL server for this test process — the test run's shared one, if any — each
    test on a database of its own (``ledger_db``)."""
    from harness.postgres import Postgres

    shared = getattr(request.config, "workerinput", {}).get("fairpos_postgres")
    if shared:
        port, root = shared.split(" ", 1)
        yield Postgres(Path(root), int(port), running=True)
        return
    running = Postgres()
    yield running
    running.remove()


@pytest.fixture
def golden_journal(tmp_path: Path) -> Iterator[Any]:
    """The journal the golden receipts are printed from: lane GOLD01, the feria catalog, a
    clock that starts at a fixed moment, 414.04 VES to the dollar since 2026-01-01."""
    from datetime import date
    from decimal import Decimal

    from fairpos.journal import DB_NAME, Journal
    from tests.till_helpers import Clock

    lane = make_lane(tmp_path / "golden", device_id="GOLD01")
    store = Journal.open(lane.path / DB_NAME, clock=Clock())
    store.set_rate("USD", "VES", Decimal("414.04"), date(2026, 1, 1))
    yield store
    store.close()


STORES = ["sqlite", "postgresql"]


def ledger_db(store: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """Where a ledger keeps its tables for a test: a SQLite file in ``folder``, or a new
    database on the test process's PostgreSQL server."""
    if store == "sqlite":
        return str(folder / "ledger.db")
    return str(request.getfixturevalue("postgres").create())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """A real ledger (``fairpos ledger serve``) on 127.0.0.1, catalog and rates published."""
    from harness.sync_helpers import LedgerServer

    running = LedgerServer(tmp_path / "ledger.db")
    yield running
    running.stop()


@pytest.fixture
def feria(tmp_path: Path) -> LaneDir:
    """A Venezuelan fair lane: USD prices, USD and VES tenders, rate 414.04, shift open."""
    lane = make_lane(tmp_path / "feria")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20", "--float", "VES:10000")
    return lane


@pytest.fixture
def market(tmp_path: Path) -> LaneDir:
    """A US farmers-market stall with SNAP tokens, market tokens and FMNP checks."""
    lane = make_lane(tmp_path / "market", "farmers-market", "farmers-market-catalog.csv")
    lane.run("shift", "open", "--volunteer", "Sam", "--float", "USD:50")
    return lane


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download: Playwright is pointed at
    the system's binary), one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()
