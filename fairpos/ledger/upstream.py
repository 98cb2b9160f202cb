"""A hub's link to the centre: the fair site's ledger relays its lanes' entries upstream.

A hub is the same ledger program at a fair site (``fairpos ledger serve --upstream URL
--upstream-token TOKEN``): its lanes sync to it over the site's own network, and it keeps the
site's day whole while the uplink is down. Each round, while the uplink answers, it

1. learns its fair's lanes from the centre — their enrolments, token hashes, devices and
   revocations — so that a lane connects to the hub with the token the centre gave it, and a
   token revoked at the centre stops working here at the next round (and tells the centre the
   devices claimed here first); and the voucher programs the centre takes (until then, a
   sale paid with one is held here, not refused);
2. takes the centre's newest catalog and rates, the same versions (the hub serves them to
   its lanes, and the last it has while the uplink is down);
3. pushes what the centre has not answered for (sales, then the shifts' openings and
   closes), device by device in batches, each entry as the lane sent it (its device id, its
   stored payload), with the stall's own client: an entry counts as upstream only once the
   centre's whole reply is read. A timeout or a cut reply sends the same entries again next
   round; the centre answers them as duplicates. One lane's refusal holds back no other
   lane: the entries of a lane revoked at the centre are set aside (kept here, shown on the
   hub's page, written to a site bundle), and a lane whose batch the centre refuses outright
   is noted and left for the next round while the others go on;
4. closes at the centre each lane's day the lane closed here, with the lane's own figures,
   once every entry of it is upstream — again until the centre matches them; the entries a
   centre says it lacks (it lost them after answering for them) are sent again.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fairpos.ledger.limits import UPSTREAM_PERIOD
from fairpos.ledger.store import SqlLedger
from fairpos.sync.loop import Backoff
from fairpos.sync.relay import LedgerClient, SyncError
from fairpos.sync.wire import MAX_HUB_BATCH

LANES_AT_ONCE = 8  # lanes whose batches go up the link side by side


def relay_once(store: SqlLedger, client: LedgerClient) -> None:
    """One round with the centre (see the module's docstring); SyncError as the client
    raises it, with whatever was answered before it kept. The catalog, the rates and up to
    :data:`LANES_AT_ONCE` lanes' batches go up the link side by side: over a slow uplink each
    request waits mostly on the link's latency, not on its bandwidth."""
    lanes = client.json("GET", "/v1/hub/lanes")
    untold = store.adopt_lanes(str(lanes["fair"]), lanes["lanes"])
    store.adopt_vouchers(lanes.get("vouchers"))
    round_ = _Round(store, client)
    with ThreadPoolExecutor(LANES_AT_ONCE) as pool:
        # the devices claimed here first: the centre takes their batches once it knows them
        list(pool.map(lambda item: client.claim(item[1], item[0]), untold))
        published = [pool.submit(round_.take, what) for what in ("catalog", "rates")]
        round_.entries_up(pool)
        for done in published:
            done.result()  # (its failure, if any, is the round's)
    round_.resolutions_up()
    round_.closes_up()
    store.upstream_note({"refused": json.dumps(
        [f"{device_id}: {why}" for device_id, why in sorted(round_.refused.items())])})


class _Round:
    """What one round sends up, and the lanes whose entries the centre refused in it (why)."""

    def __init__(self, store: SqlLedger, client: LedgerClient) -> None:
        self.store, self.client = store, client
        self.refused: dict[str, str] = {}

    def take(self, what: str) -> None:
        """The centre's newer catalog or rates, when it has one."""
        current = self.store.catalog() if what == "catalog" else self.store.rates()
        newer = self.client.published(what, current.version if current else None)
        if newer is not None:
            self.store.adopt_published(what, newer)

    def send(self, device_id: str, payloads: list[str], shifts: bool = False) -> int:
        """One batch of a lane's entries up; what the centre answered for. A refusal of the
        whole batch (4xx: the lane revoked since the round began, say) is that lane's alone:
        noted, and the round goes on with the others."""
        entries = [json.loads(p) for p in payloads]
        try:
            reply = self.client.push_shifts(device_id, entries) if shifts else \
                self.client.push(device_id, entries)
        except SyncError as err:
            if err.transient:
                raise
            self.refused[device_id] = str(err)
            return 0
        outcomes = [(i, "accepted", "") for i in reply["accepted"]] + \
            [(i, "duplicate", "") for i in reply["duplicate"]] + \
            [(i, "rejected", r) for i, r in reply["rejected"]] + \
            [(i, "conflict", r) for i, r in reply["conflict"]]
        self.store.upstream_answered(outcomes)
        return len(outcomes)

    def entries_up(self, pool: ThreadPoolExecutor) -> None:
        """Every lane's sales, then its shifts' entries, batch after batch, lanes side by side,
        until the centre has answered for all (or answers for nothing: next round)."""
        while backlog := [b for b in self.store.upstream_backlog() if b[0] not in self.refused]:
            if not sum(pool.map(lambda item: self.send(*item), backlog)):
                break  # (a centre that answers for nothing: try again next round)
        while opened_closed := [b for b in self.store.upstream_shift_backlog()
                                if b[0] not in self.refused]:  # (the shifts' entries)
            if not sum(pool.map(lambda item: self.send(item[0], item[1], True),
                                opened_closed)):
                break

    def resolutions_up(self) -> None:
        """The sales this hub took in from its quarantine, to be counted at the centre too
        (a centre that does not take them yet is left alone: they wait here)."""
        while relayed := self.store.resolutions_to_relay():
            try:
                reply = self.client.json("POST", "/v1/hub/resolutions", json={
                    "resolutions": [r.to_json() for r in relayed]})
            except SyncError as err:
                if err.transient:
                    raise
                return
            answered = [(str(a[0]), str(a[1]), str(a[2])) for a in reply.get("answered", [])
                        if isinstance(a, list) and len(a) == 3]
            self.store.upstream_answered(answered)
            if not answered:
                return

    def closes_up(self) -> None:
        """The lanes' day closes, each as the hub has it; what the centre says it lost of a
        lane's entries goes up again."""
        for device_id, day, figures, close in self.store.closes_to_relay():
            if device_id in self.refused:
                continue
            try:
                result = self.client.day_close(device_id, figures)
            except SyncError as err:
                if err.transient:
                    raise
                self.refused[device_id] = str(err)
                continue
            missing = result.get("missing") if result.get("result") == "pending" else None
            if isinstance(missing, list) and missing:  # the centre lost entries it had
                # answered for (a restored backup, a replica that was behind): they go again
                again = self.store.payloads_of(device_id, missing)
                for start in range(0, len(again), MAX_HUB_BATCH):
                    self.send(device_id, again[start:start + MAX_HUB_BATCH])
                shifts_again = self.store.shift_payloads_of(device_id, missing)
                if shifts_again:
                    self.send(device_id, shifts_again, shifts=True)
            self.store.upstream_closed(device_id, day, str(result.get("result")), close)


def keep_relaying(store: SqlLedger, client: LedgerClient, stop: threading.Event,
                  clock: Callable[[], str], period: float = UPSTREAM_PERIOD) -> None:
    """Rounds until ``stop`` is set: every ``period`` while the uplink answers, after a
    growing pause while it does not. How the link stands is noted for the hub's pages."""
    backoff = Backoff(base=period / 10, cap=period * 30)
    while not stop.is_set():
        try:
            relay_once(store, client)
            problem = ""
        except SyncError as err:
            problem = str(err)
        except Exception as err:  # a round that failed in any way is noted, never fatal
            problem = str(err) or type(err).__name__
        with contextlib.suppress(Exception):  # (the hub's own database failing: its
            # requests say so)
            store.upstream_note({"problem": problem} if problem else
                                {"last_contact": clock(), "problem": ""})
        if problem:
            delay = backoff.failed()
        else:
            backoff.succeeded()
            delay = period
        stop.wait(delay)
