"""The till's sync, in a process of its own.

Building and gzipping payloads is Python work; in the till's process it would compete with the
screen for the interpreter. So the till starts a child ``fairpos sync-worker`` on the same data
folder: the two share nothing but the journal file (SQLite serialises them) and two pipes. A
line on the child's stdin wakes it (a sale was written); each run ends with one JSON line on
its stdout (:class:`~fairpos.sync.loop.SyncStatus`). When the till goes away its end of stdin
closes and the child exits at once, even with a request hanging on a dead link: the entries
simply stay in the outbox, and an outcome never read is sent again, unchanged, next time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from fairpos.journal import Journal
from fairpos.sync.loop import SyncStatus, keep_syncing
from fairpos.sync.relay import LedgerClient

SYNC_BATCH = 50  # entries per request from a till: short turns on the journal
NICENESS = 10  # the sync process yields the processor to the till


def serve(journal: Journal, client: LedgerClient, period: float, commands: IO[str],
          statuses: IO[str], keep_days: int | None = None) -> None:
    """The child's side: sync until ``commands`` closes; each line on it wakes a run now.
    It runs at a lower priority than the till: on a busy machine the keys come first."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    woken = threading.Event()

    def listen() -> None:
        for _line in commands:
            woken.set()
        # The till is gone. Leave now, whatever is in flight: SQLite is crash-safe, and an
        # entry whose reply was never read stays pending and goes again, unchanged.
        os._exit(0)

    threading.Thread(target=listen, name="sync-commands", daemon=True).start()

    def wait(seconds: float) -> bool:
        woken.wait(seconds)
        woken.clear()
        return True

    def tell(status: SyncStatus) -> None:
        statuses.write(json.dumps(status.to_json()) + "\n")
        statuses.flush()

    keep_syncing(journal, client, period=period, wait=wait, tell=tell, batch_size=SYNC_BATCH,
                 keep_days=keep_days)


class SyncProcess:
    """The till's side: start the child, wake it after each sale, hear how each run ended."""

    def __init__(self, data_dir: Path, url: str, token: str, period: float, language: str,
                 heard: Callable[[SyncStatus], object]) -> None:
        self.argv = [sys.executable, "-m", "fairpos", "--data-dir", str(data_dir), "--lang",
                     language, "sync-worker", "--period", str(period)]
        self.env = {**os.environ, "FAIRPOS_LEDGER__URL": url, "FAIRPOS_LEDGER__TOKEN": token}
        self.heard = heard
        self.process: subprocess.Popen[str] | None = None
        self.stopping = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.stopping or (self.process is not None and self.process.poll() is None):
                return
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=self.env, text=True, bufsize=1,
                start_new_session=True)  # Ctrl+C in the till's terminal is the till's
            threading.Thread(target=self._listen, args=(self.process,), name="sync-status",
                             daemon=True).start()

    def _listen(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                status = SyncStatus.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                continue
            self.heard(status)
        code = process.wait()
        if not self.stopping:
            self.heard(SyncStatus(f"the sync process stopped ({code})", None))

    def wake(self) -> None:
        """Sync now (a sale was written); starts the child again if it had stopped."""
        process = self.process
        if process is None or process.poll() is not None:
            self.start()
            return
        try:
            assert process.stdin is not None
            process.stdin.write("\n")
            process.stdin.flush()
        except (OSError, ValueError):  # it is exiting: the next wake starts it again
            pass

    def stop(self) -> None:
        """Let the child go (it exits when its stdin closes); never waits on the network."""
        with self._lock:
            self.stopping = True
            process = self.process
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
