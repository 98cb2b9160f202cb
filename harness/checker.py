"""A checker in the manner of Jepsen's, for lanes that sync through failures of the centre.

Lanes ring up and sync again and again (:class:`SyncingLane`, a thread each); each sync run is
kept in a history — when it ended, how, what the lane then held as acknowledged, and the
ledger's resume point for the lane. After the faults are healed, :func:`verdict` compares what
the lanes hold with what the centre holds:

* **lost**: an entry a lane holds as acknowledged that the centre does not have;
* **duplicated**: an entry the centre has more than once;
* **changed**: an entry whose body at the centre is not the one the lane sent (its hash);
* **unacknowledged twice**: an entry not yet acknowledged counted twice at the centre;
* **unhealed mismatch**: a day a lane was told did not match that its next sync did not mend;
* **backwards**: a lane's set of acknowledged entries, or the centre's resume point for it,
  that ever shrank;
* **failed**: sync runs the ledger failed or refused (an answer of 5xx or 4xx).

A run that the link between a lane and its ledger cut (no connection, a reset, an answer that
never came: what the fault proxy does) is not a failure of the centre: it is counted apart,
and the lane's next run sends what it did not settle.

The history is written as JSON lines and the verdict as JSON beside it.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fairpos.sync.wire import payload_hash
from harness.fault_proxy import FaultProxy
from harness.lanes import ROOT, LaneDir, wait_until
from harness.sync_helpers import LedgerServer, _Opened, payloads, ring, stall


@dataclass
class Run:
    lane: str
    ended: float  # time.monotonic()
    exit: int
    acked: int  # entries the lane held as acknowledged after it
    mark: int | None  # the centre's resume point for the lane, as the run left it
    said: str

    @property
    def outcome(self) -> str:
        """``ok``; ``ledger`` (it failed or refused); ``link`` (the link cut the run);
        ``mismatch``; ``pending`` (entries held, or sent with no answer: they go again)."""
        if self.exit == 0:
            return "ok"
        if any(said in self.said for said in LEDGER_FAILED):
            return "ledger"
        if self.exit == 3:
            return "mismatch"
        if any(cut in self.said for cut in LINK_CUT):
            return "link"
        return "pending" if self.exit == 2 else "ledger"


# what ``fairpos sync`` says (in English) when the ledger failed or refused a run, and when the
# link, not the ledger, ended it
LEDGER_FAILED = ("the ledger failed (", "the ledger refused", "the ledger cannot reach its "
                 "database (")
LINK_CUT = ("no connection (", "the link broke (", "no answer came back")


def lane_device(lane: LaneDir) -> str:
    import sqlite3

    with sqlite3.connect(lane.path / "fairpos.db") as conn:
        return str(conn.execute("SELECT id FROM device").fetchone()[0])


def acked_ids(lane: LaneDir) -> list[str]:
    import sqlite3

    with sqlite3.connect(lane.path / "fairpos.db") as conn:
        return [row[0] for row in conn.execute(
            "SELECT entry_id FROM outbox WHERE acked_at IS NOT NULL")]


class SyncingLane(threading.Thread):
    """A lane that rings up a sale and runs ``fairpos sync`` until told to stop."""

    def __init__(self, lane: LaneDir, history: list[Run], db: str, tries: int = 1,
                 pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.lane, self.history, self.db, self.tries = lane, history, db, tries
        self.pause = pause  # between runs (a lane whose ledger answers at once need not spin)
        self.stop = threading.Event()
        self.device = lane_device(lane)

    def mark(self) -> int | None:
        """The centre's resume point for the lane (None: the centre could not be asked)."""
        return resume_point(self.db, self.device)

    def run(self) -> None:
        seed = 0
        while not self.stop.is_set():
            seed += 1
            ring(self.lane, 1, seed=seed)
            done = subprocess.run(
                [sys.executable, "-m", "fairpos", "--data-dir", str(self.lane.path), "--lang",
                 "en", "sync", "--tries", str(self.tries)], cwd=ROOT, capture_output=True,
                text=True, timeout=600)
            self.history.append(Run(self.lane.path.name, time.monotonic(), done.returncode,
                                    len(acked_ids(self.lane)), self.mark(),
                                    (done.stdout + done.stderr)[-2000:]))
            self.stop.wait(self.pause)


# a link that loses requests and answers, each way (harness/fault_proxy.py)
LOSSY = {"reset_before": 0.1, "drop_response": 0.1, "truncate_response": 0.05}


class Hub:
    """A fair site's hub (its own ledger on SQLite) relaying to the centre over a lossy
    uplink, its lanes on a lossy site link."""

    def __init__(self, folder: Path, centre: LedgerServer, seed: int = 1) -> None:
        self.centre = centre
        with centre.store() as ledger:
            token = ledger.enrol_hub("Feria Centro")[1]
        self.uplink = FaultProxy(centre.port, faults=LOSSY, seed=seed)
        folder.mkdir(parents=True, exist_ok=True)
        self.hub = LedgerServer(folder / "hub.db", publish=False, options=[
            "--upstream", self.uplink.url, "--upstream-token", token,
            "--upstream-period", "0.2"])
        self.site_link = FaultProxy(self.hub.port, faults=LOSSY, seed=seed + 1)

    def lane(self, folder: Path, device: str, number: int) -> LaneDir:
        token = self.centre.enrol("Feria Centro", number)
        lane = stall(folder, device, sales=2)

        def knows() -> bool:
            with self.hub.store() as ledger:
                return ledger.device_for_token(token) is not None and (
                    ledger.catalog() is not None)

        wait_until(knows, "the hub learnt the lane from the centre", timeout=120)
        lane.run("connect", self.hub.url, "--token", token)
        lane.run("connect", self.site_link.url, "--token", token, "--offline")
        return lane

    def mend(self) -> None:
        self.uplink.mend()
        self.site_link.mend()

    def waiting(self) -> int:
        with self.hub.store() as ledger:
            return int(ledger.upstream_summary()["pending"])

    def stop(self) -> None:
        self.site_link.close()
        self.hub.stop()
        self.uplink.close()


def resume_point(db: str, device: str) -> int | None:
    """The highest number up to which the centre holds every entry of ``device``."""
    sql = "SELECT max_contiguous_seq FROM devices WHERE device_id = {}"
    try:
        if db.startswith("postgresql://"):
            import psycopg

            with psycopg.connect(db, connect_timeout=3) as conn:
                row = conn.execute(sql.format("%s").encode(), [device]).fetchone()
        else:
            import sqlite3

            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                row = conn.execute(sql.format("?"), [device]).fetchone()
    except Exception:  # (the centre unreachable at that moment: nothing to say)
        return None
    return int(row[0] or 0) if row else 0


@dataclass
class Verdict:
    acknowledged: int = 0
    at_centre: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unacknowledged_twice: list[str] = field(default_factory=list)
    unhealed_mismatch: list[str] = field(default_factory=list)
    backwards: list[str] = field(default_factory=list)
    failed: int = 0
    cut_by_link: int = 0  # (not a fault of the centre: see the module)

    @property
    def valid(self) -> bool:
        return not (self.lost or self.duplicated or self.changed or self.unacknowledged_twice
                    or self.unhealed_mismatch or self.backwards or self.failed)


MISMATCH = re.compile(r"Day (\d{4}-\d\d-\d\d): MISMATCH")


def verdict(lanes: list[LaneDir], db: str, history: list[Run]) -> Verdict:
    found = Verdict(failed=sum(1 for run in history if run.outcome == "ledger"),
                    cut_by_link=sum(1 for run in history if run.outcome == "link"))
    for lane in lanes:
        device = lane_device(lane)
        sent = {entry["id"]: payload_hash(entry) for entry in payloads(lane)}
        acked = set(acked_ids(lane))
        with _Opened(db) as ledger:
            rows = ledger.all("SELECT id, payload_hash FROM sales WHERE device_id = ?", [device])
        counted = Counter(str(row[0]) for row in rows)
        hashes = {str(row[0]): str(row[1]) for row in rows}
        found.acknowledged += len(acked)
        found.at_centre += len(rows)
        found.lost += sorted(acked - set(counted))
        found.duplicated += sorted(i for i, n in counted.items() if n > 1 and i in acked)
        found.unacknowledged_twice += sorted(i for i, n in counted.items()
                                             if n > 1 and i not in acked)
        found.changed += sorted(i for i in acked & set(hashes) if hashes[i] != sent.get(i))
        runs = [run for run in history if run.lane == lane.path.name]
        for before, after in itertools.pairwise(runs):
            if after.acked < before.acked:
                found.backwards.append(f"{lane.path.name}: acknowledged {before.acked} → "
                                       f"{after.acked}")
            if before.mark is not None and after.mark is not None and after.mark < before.mark:
                found.backwards.append(f"{lane.path.name}: resume point {before.mark} → "
                                       f"{after.mark}")
            for day in MISMATCH.findall(before.said):
                if day in MISMATCH.findall(after.said):
                    found.unhealed_mismatch.append(f"{lane.path.name} {day}")
    return found


def write(folder: Path, history: list[Run], said: Verdict) -> Path:
    """The history as JSON lines and the verdict beside it; the verdict's path."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "history.jsonl").open("w") as out:
        for run in history:
            out.write(json.dumps({**asdict(run), "outcome": run.outcome}) + "\n")
    path = folder / "verdict.json"
    path.write_text(json.dumps({**asdict(said), "valid": said.valid}, indent=2))
    return path


def summary(said: Verdict) -> dict[str, Any]:
    return {"acknowledged": said.acknowledged, "lost": len(said.lost),
            "duplicated": len(said.duplicated), "changed": len(said.changed),
            "failed": said.failed, "backwards": len(said.backwards),
            "cut_by_link": said.cut_by_link, "valid": said.valid}
