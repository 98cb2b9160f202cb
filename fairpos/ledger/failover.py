"""Riding through a failover. When the ledger's PostgreSQL primary dies, its cluster (Patroni)
promotes a standby within its TTL; meanwhile no connection can be had, or the one in use is cut
— perhaps in the middle of a batch's transaction, perhaps after its commit and before the
answer. A lane's request is then tried again on the new primary, for up to ``FAILOVER_SECONDS``,
instead of failing: every request it is used for is safe to repeat (a batch is stored by its
entries' ids, so one whose commit got through is answered as already there). The lane's answer
arrives late, never wrong.

On SQLite nothing is ever "unavailable" in this sense: an error there is answered at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from starlette.concurrency import run_in_threadpool

FAILOVER_SECONDS = 30.0  # a Patroni TTL of 10-30 s, and the time to reconnect
T = TypeVar("T")
log = logging.getLogger("fairpos.ledger")


def unavailable(err: BaseException) -> bool:
    """Whether ``err`` says the database cannot be reached now (a failover, a restart), as
    opposed to a fault of the request or of the code."""
    module = type(err).__module__
    if module.startswith("psycopg_pool"):  # no connection within the pool's timeout
        return True
    if not module.startswith("psycopg"):
        return False
    import psycopg

    # cut, refused, "the database system is starting up / in recovery", or a connection that
    # reached a node just demoted (read-only)
    return isinstance(err, psycopg.OperationalError | psycopg.errors.ReadOnlySqlTransaction)


async def patiently(call: Callable[[], Awaitable[T]],
                    seconds: float = FAILOVER_SECONDS) -> T:
    """``call()``, tried again while the database is unavailable, for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    pause = 0.2
    while True:
        try:
            return await call()
        except Exception as err:
            if not unavailable(err) or time.monotonic() + pause > deadline:
                raise
            log.warning("the database is unavailable (%s): trying again",
                        " ".join(str(err).split())[:200])
        await anyio.sleep(pause)
        pause = min(pause * 2, 2.0)


async def in_thread(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in a worker thread, through a failover (see the module)."""
    return await patiently(lambda: run_in_threadpool(fn, *args))
