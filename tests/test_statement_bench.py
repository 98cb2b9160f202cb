"""The statement benchmark runs, at a tiny size, as it does at a million lines: a real import
beside a lane's syncs, and the reconciliation pages before and after."""

from __future__ import annotations

from pathlib import Path

from benchmarks.statement import run


def test_the_statement_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    figures = run(300, 2, tmp_path)
    assert figures["syncs"] >= 1 and figures["day_bytes"] > 0
    assert figures["lines"] == 300
