"""Sign-in attempts, held back per client address and per account's name: a few free, then a
wait that doubles.

Guessing an admin token or a password is made slow: after :data:`FREE_ATTEMPTS` wrong ones from
an address (or for a name, from anywhere), every attempt from it — right or wrong — waits
until the last wrong one is ``BASE_SECONDS × 2^n`` old (at most :data:`MOST_SECONDS`); a
right one clears the count. Each process of the
ledger keeps its own count (a few processes share out an attacker's attempts, no more).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

FREE_ATTEMPTS = 5
BASE_SECONDS = 2.0
MOST_SECONDS = 15 * 60.0
MOST_ADDRESSES = 10_000  # remembered at once; the oldest forgotten first

log = logging.getLogger("fairpos.ledger")


class SignInThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 free: int = FREE_ATTEMPTS) -> None:
        self.clock = clock
        self.free = free  # wrong tokens from an address before it waits
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, address: str) -> float:
        """Seconds ``address`` must still wait before its next attempt (0: none)."""
        with self._lock:
            failed = self._failures.get(address)
        if failed is None or failed[0] < self.free:
            return 0.0
        count, last = failed
        hold = min(BASE_SECONDS * 2.0 ** (count - self.free), MOST_SECONDS)
        return float(max(0.0, last + hold - self.clock()))

    def failed(self, address: str) -> None:
        """A wrong token from ``address`` (logged once it is held back)."""
        with self._lock:
            count = self._failures.pop(address, (0, 0.0))[0] + 1
            self._failures[address] = (count, self.clock())
            while len(self._failures) > MOST_ADDRESSES:
                self._failures.popitem(last=False)
        if count >= self.free:
            log.warning("sign-in: %d wrong attempts from %s; it waits now", count, address)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
