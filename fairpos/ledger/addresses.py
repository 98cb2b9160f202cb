"""Connections counted by the address they come from, so that no one client holds the ledger.

An address that has not shown a lane's, a hub's or an admin's token lately (within
:data:`TRUST_SECONDS`) may hold at most ``per_address`` connections at once, and none of the
last ``reserve`` of the ledger's ``most``: those are kept for the addresses that have — a lane
that synced this morning still gets in while a stranger holds sockets by the thousand. A
connection that is not admitted is answered 503 and closed before it is read.

Behind a reverse proxy every connection comes from the proxy: turn the count off
(``--per-address 0``) and let the proxy count by the client's address (nginx's
``limit_conn``, docs/operations.md).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from fairpos.ledger.limits import PER_ADDRESS, RESERVE

TRUST_SECONDS = 3600.0  # how long an address that showed a token counts as known
_KEPT = 10_000  # known addresses remembered at most (the oldest are forgotten first)


class Addresses:
    """The open connections of one ledger process by client address, and the addresses
    known (one event loop's: not shared between processes, nor between threads)."""

    def __init__(self, per_address: int = PER_ADDRESS, reserve: int = RESERVE,
                 most: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_address = per_address  # 0: no count
        self.reserve = reserve
        self.most = most
        self.clock = clock
        self.open: Counter[str] = Counter()
        self.known: dict[str, float] = {}

    def admit(self, host: str) -> bool:
        """Whether a new connection from ``host`` is taken (then it counts until
        :meth:`closed`)."""
        if self.per_address and not self.is_known(host):
            if self.open[host] >= self.per_address:
                return False
            if self.most is not None and self.open.total() >= self.most - self.reserve:
                return False
        self.open[host] += 1
        return True

    def closed(self, host: str) -> None:
        self.open[host] -= 1
        if self.open[host] <= 0:
            del self.open[host]

    def know(self, host: str) -> None:
        """``host`` showed a lane's, a hub's or an admin's token."""
        self.known.pop(host, None)
        self.known[host] = self.clock()  # (last in the dict: the newest)
        if len(self.known) > _KEPT:
            del self.known[next(iter(self.known))]

    def is_known(self, host: str) -> bool:
        since = self.known.get(host)
        return since is not None and self.clock() - since < TRUST_SECONDS


ADDRESSES = Addresses()  # this process's
