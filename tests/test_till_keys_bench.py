"""The till's key-to-screen benchmark runs, at a tiny size: so that it cannot rot."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.lanes import ROOT


@pytest.mark.slow
def test_the_till_keys_benchmark_runs_and_says_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.till_keys", "--keys", "2", "--payments", "2",
         "--products", "300", "--starts", "1", "--compare-draft", "--pin", "0", "--term",
         "linux"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    said = done.stdout
    for figure in ("ratio till / bare", "ratio draft / no draft",
                   "payment to screen, 2 payments", "start-up to the first useful screen",
                   "peak resident memory after the keys (both on core 0)"):
        assert figure in said, said
