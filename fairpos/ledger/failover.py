"""Riding through a failover. When the ledger's PostgreSQL primary dies, its cluster (Patroni)
promotes a standby within its TTL; meanwhile no connection can be had, or the one in use is cut
— perhaps in the middle of a batch's transaction, perhaps after its commit and before the
answer. A lane's request is then tried again on the new primary, for up to the ledger's
patience (``ledger serve --db-patience``, 25 s), instead of failing: every request it is used
for is safe to repeat (a batch is stored by its entries' ids, so one whose commit got through is
answered as already there). The lane's answer arrives late, never wrong. A database out of
reach for longer (no primary elected: the cluster lost its etcd) is answered 503: the lane
keeps its entries and tries again later.

On SQLite nothing is ever "unavailable" in this sense: an error there is answered at once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from starlette.concurrency import run_in_threadpool

from fairpos.ledger.limits import FAILOVER_SECONDS, PATIENCE_ENV

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


class DatabaseUnavailable(Exception):
    """The database stayed unavailable for the whole of the ledger's patience (no primary:
    the cluster cannot elect one, or the server is down): the request is answered 503, and
    the lane keeps what it sent and tries again later."""


def patience() -> float:
    """Seconds a request waits for the database: ``--db-patience``, else FAILOVER_SECONDS."""
    try:
        return float(os.environ.get(PATIENCE_ENV, FAILOVER_SECONDS))
    except ValueError:
        return FAILOVER_SECONDS


async def patiently(call: Callable[[], Awaitable[T]], seconds: float | None = None) -> T:
    """``call()``, tried again while the database is unavailable, for up to ``seconds``
    (the ledger's patience if not given)."""
    deadline = time.monotonic() + (patience() if seconds is None else seconds)
    pause = 0.2
    while True:
        try:
            return await call()
        except Exception as err:
            if not unavailable(err):
                raise
            if time.monotonic() + pause > deadline:
                raise DatabaseUnavailable(" ".join(str(err).split())[:200]) from err
            log.warning("the database is unavailable (%s): trying again",
                        " ".join(str(err).split())[:200])
        await anyio.sleep(pause)
        pause = min(pause * 2, 2.0)


async def in_thread(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in a worker thread, through a failover (see the module)."""
    return await patiently(lambda: run_in_threadpool(fn, *args))
