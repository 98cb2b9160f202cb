"""Every benchmark runs here at a tiny size, as a person runs it (``python -m benchmarks.…``
from the project's folder), so that none can rot: each must end well and print its figure
against its baseline. (The fair day, the ingest wave, the statement and the till's keys have
tests of their own, which read their figures; the kit's install runs in tests/test_kit.py, on
the kit built there.)"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from harness.lanes import ROOT

TINY = {
    "benchmarks.confirm_sale": (["--sales", "4"], "ratio fairpos / baseline"),
    "benchmarks.season_report": (["--sales", "700", "--repeat", "1"],
                                 "Z report (closed shift)"),
    "benchmarks.receipts": (["--runs", "3", "--queued", "3"], "ratio queue / raw"),
    "benchmarks.station_labels": (["--samples", "2"], "the station, a new steady weight"),
    "benchmarks.scale_weight": (["--samples", "2"], "ratio"),
    "benchmarks.scan_to_line": (["--samples", "2"], "scanner-scale (Magellan)"),
    "benchmarks.sync": (["--sales", "40", "--stalls", "2", "--per-stall", "10", "--day", "3",
                         "--latency", "0.05"], "fairpos sync"),
    "benchmarks.hub": (["--lanes", "2", "--sales", "3", "--latency", "0.05"],
                       "ratio (hub / straight)"),
    "benchmarks.ledger_season": (["--sales", "300", "--weeks", "1"], "search by amount on a day"),
    "benchmarks.failover": (["--failovers", "1", "--lanes", "1", "--lossy", "0", "--hubs", "0",
                             "--backlog", "20"],
                            "kill to first batch on the new primary"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY))
def test_a_benchmark_runs_at_a_tiny_size(name: str) -> None:
    args, said = TINY[name]
    done = subprocess.run([sys.executable, "-m", name, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert said in done.stdout, done.stdout
    assert re.search(r"\d\.\d+ ?[x×]|ratio[^\n]*\d\.\d", done.stdout), done.stdout  # a ratio
    assert "Traceback" not in done.stderr, done.stderr
