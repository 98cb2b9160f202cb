"""Kill a process confirming sales with SIGKILL at random moments: nothing confirmed is lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.lanes import LaneDir

KILLS = 60
WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = WORKER.parent.parent


def _check_journal(path: Path, reported: set[str]) -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {r[0] for r in conn.execute("SELECT id FROM sales")}
        assert reported <= ids, sorted(reported - ids)
        seqs = [r[0] for r in conn.execute("SELECT seq FROM sales ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))  # gapless
        assert conn.execute("SELECT last_seq FROM device").fetchone()[0] == len(seqs)
        partial = conn.execute(
            """SELECT s.id FROM sales s
               WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)
                  OR NOT EXISTS (SELECT 1 FROM tenders t WHERE t.sale_id = s.id)
                  OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entry_id = s.id)
                  OR s.total <> (SELECT SUM(amount) FROM sale_lines l
                                 WHERE l.sale_id = s.id AND l.voided = 0)""").fetchall()
        assert partial == []
        orphans = conn.execute(
            "SELECT COUNT(*) FROM sale_lines WHERE sale_id NOT IN (SELECT id FROM sales)"
        ).fetchone()[0] + conn.execute(
            "SELECT COUNT(*) FROM tenders WHERE sale_id NOT IN (SELECT id FROM sales)"
        ).fetchone()[0]
        assert orphans == 0
        return len(ids)
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_confirmed_sale(feria: LaneDir) -> None:
    rng = random.Random(20261123)
    reported: set[str] = set()
    killed_mid_stream = 0
    server = subprocess.Popen([sys.executable, str(WORKER), str(feria.path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdin is not None and server.stdout is not None
    for attempt in range(KILLS):
        server.stdin.write(f"{attempt}\n")
        server.stdin.flush()
        ready = server.stdout.readline().split()
        assert ready[:1] == ["ready"], (ready, server.stderr.read() if server.stderr else "")
        # after 0 to 3 sales reported (waited for: a busy machine sells slower), at a random
        # moment of the ones that follow
        lines = [server.stdout.readline().rstrip("\n") for _ in range(rng.randint(0, 3))]
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(int(ready[1]), signal.SIGKILL)
        while (raw := server.stdout.readline()) and raw != f"done {ready[1]}\n":
            lines.append(raw.rstrip("\n"))
        assert raw, server.stderr.read() if server.stderr else "the server stopped"
        # the server ends whatever the seller wrote last with a newline of its own: an empty
        # line after a whole one, or the end of a line the kill cut short — dropped either way
        complete = lines[:-1]
        reported.update(complete)
        killed_mid_stream += bool(complete)
        count = _check_journal(feria.path / "fairpos.db", reported)
    server.stdin.close()
    assert server.wait(timeout=10) == 0
    assert killed_mid_stream >= KILLS // 2  # most kills landed while sales were streaming
    assert count >= len(reported) > KILLS
