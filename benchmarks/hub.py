"""One fair site's day through its hub, against the same lanes each syncing straight to the
centre, over the same slow uplink.

15 lanes × 400 sales are rung up on real journals (copied, so both ways start from the same
day). The site's uplink is one link of 800 ± 400 ms latency and 16 KB/s that every connection
through it shares (the test proxy, ``shared=True``). Straight: every lane pushes to the centre
through the uplink at once, with its own relay. Through the hub: every lane pushes to the hub
over the site's network (loopback here), and the hub relays to the centre through the uplink.
Each way: the time until the centre has every sale (from the moment the lanes start), the
bytes sent up the uplink, and the connections opened through it to the centre (for the hub,
from its start: learning its lanes, catalog and rates included).

    python -m benchmarks.hub [--lanes 15] [--sales 400] [--latency 0.8]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from fairpos.journal import DB_NAME, Journal
from fairpos.sync.relay import LedgerClient, push
from harness.fault_proxy import FaultProxy
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, stall

FAIR = "Feria Centro"


def centre_count(centre: LedgerServer) -> int:
    with centre.store() as ledger:
        return int(ledger.all("SELECT COUNT(*) FROM sales")[0][0])


def push_lane(lane: LaneDir, url: str, token: str) -> None:
    """One lane's relay, until everything is acknowledged (the outcome of a cut reply is
    unknown: it sends again)."""
    journal = Journal.open(lane.path / DB_NAME)
    try:
        with LedgerClient(url, token) as client:
            while push(journal, client).error is not None:
                time.sleep(0.5)
    finally:
        journal.close()


def all_at_once(lanes: list[LaneDir], url: str, tokens: list[str], centre: LedgerServer,
                total: int) -> float:
    """Every lane's relay pushing to ``url`` at once: seconds until the centre has ``total``
    sales."""
    started = time.perf_counter()
    threads = [threading.Thread(target=push_lane, args=(lane, url, token))
               for lane, token in zip(lanes, tokens, strict=True)]
    for thread in threads:
        thread.start()
    while centre_count(centre) < total:
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return seconds


def uplink_to(centre: LedgerServer, latency: float) -> FaultProxy:
    """The site's uplink: ``latency`` ± half of it, 16 KB/s, shared by every connection."""
    return FaultProxy(centre.port, latency=latency, jitter=latency / 2, bandwidth=16_384,
                      shared=True, seed=1)


def straight(lanes: list[LaneDir], folder: Path, total: int, latency: float
             ) -> tuple[float, int, int]:
    centre = LedgerServer(folder / "centre-straight.db")
    uplink = uplink_to(centre, latency)
    try:
        tokens = [centre.enrol(FAIR, n + 1) for n in range(len(lanes))]
        for lane, token in zip(lanes, tokens, strict=True):
            lane.run("connect", centre.url, "--token", token)  # (enrolled on the side)
        seconds = all_at_once(lanes, uplink.url, tokens, centre, total)
        return seconds, uplink.bytes_up, sum(uplink.counts.values())
    finally:
        uplink.close()
        centre.stop()


def through_hub(lanes: list[LaneDir], folder: Path, total: int, latency: float
                ) -> tuple[float, int, int]:
    centre = LedgerServer(folder / "centre-hub.db")
    uplink = uplink_to(centre, latency)
    hub: LedgerServer | None = None
    try:
        with centre.store() as ledger:
            hub_token = ledger.enrol_hub(FAIR)[1]
        tokens = [centre.enrol(FAIR, n + 1) for n in range(len(lanes))]
        before_bytes, before_connections = uplink.bytes_up, sum(uplink.counts.values())
        hub = LedgerServer(folder / "hub.db", publish=False, options=[
            "--upstream", uplink.url, "--upstream-token", hub_token, "--upstream-period", "1"])
        while True:  # the hub learns its lanes through the uplink first
            with hub.store() as ledger:
                if all(ledger.device_for_token(t) for t in tokens) and ledger.rates():
                    break
            time.sleep(0.2)
        for lane, token in zip(lanes, tokens, strict=True):
            lane.run("connect", hub.url, "--token", token)
        seconds = all_at_once(lanes, hub.url, tokens, centre, total)
        return (seconds, uplink.bytes_up - before_bytes,
                sum(uplink.counts.values()) - before_connections)
    finally:
        if hub is not None:
            hub.stop()
        uplink.close()
        centre.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=15)
    parser.add_argument("--sales", type=int, default=400, help="sales per lane")
    parser.add_argument("--latency", type=float, default=0.8, help="the uplink's, in seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        day = [stall(folder / "day" / f"L{n:02d}", f"SITE{n:02d}", sales=args.sales, seed=n)
               for n in range(args.lanes)]
        copies = {}
        for way in ("straight", "hub"):
            copies[way] = []
            for lane in day:
                copy = folder / way / lane.path.name
                shutil.copytree(lane.path, copy)
                copies[way].append(LaneDir(copy))
        total = args.lanes * args.sales
        direct = straight(copies["straight"], folder, total, args.latency)
        hubbed = through_hub(copies["hub"], folder, total, args.latency)
    print(f"One site's day: {args.lanes} lanes × {args.sales} sales = {total:,} sales; the "
          f"uplink {args.latency * 1000:.0f} ± {args.latency * 500:.0f} ms, 16 KB/s, shared")
    print(f"   {'':32} {'until at the centre':>20} {'bytes up':>12} {'connections':>12}")
    for name, (seconds, up, connections) in (("each lane straight to the centre", direct),
                                             ("through the site's hub", hubbed)):
        print(f"   {name:32} {seconds:18.1f} s {up:12,} {connections:12,}")
    print(f"   ratio (hub / straight)           {hubbed[0] / direct[0]:18.2f}x "
          f"{hubbed[1] / direct[1]:11.2f}x {hubbed[2] / direct[2]:11.2f}x")


if __name__ == "__main__":
    main()
