"""The ledger's web app (Starlette): the stall and hub API (:mod:`fairpos.ledger.api`) and the
treasurer's pages (:mod:`fairpos.ledger.page_routes`), wired to a store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from fairpos.i18n import _
from fairpos.ledger import api, page_routes
from fairpos.ledger.failover import DatabaseUnavailable
from fairpos.ledger.limits import BATCHES_AT_ONCE
from fairpos.ledger.requests import Served
from fairpos.ledger.store import Ledger, PageReads
from fairpos.ledger.throttle import SignInThrottle


async def gone(request: Request, exc: Exception) -> Response:
    """The client hung up mid-request (a stall losing its link): nothing was stored from a
    body never read whole, and it is not the ledger's fault — no traceback."""
    return Response(status_code=400)


async def unavailable(request: Request, exc: Exception) -> Response:
    """The database stayed out of reach for the whole of the ledger's patience: 503, in one
    line, and when to try again (the lane keeps its entries)."""
    return JSONResponse({"error": _("the ledger's database cannot be reached; try again "
                                    "later"), "code": "database-unavailable"},
                        status_code=503, headers={"Retry-After": "30"})


def create_app(store: Ledger, reads: PageReads | None = None,
               hub: bool = False, throttle: SignInThrottle | None = None) -> Starlette:
    """The ledger app over ``store``; pages, CSV and reports read from ``reads`` (a replica)
    when given. Both are closed when the app shuts down. A ``hub`` tells each lane, with
    every batch reply and sync state, how many of its entries have not reached the centre,
    and holds (not refuses) an entry paid by a voucher program the centre may have added."""
    store.relays = hub

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()
        if reads is not None:
            reads.close()

    app = Starlette(exception_handlers={ClientDisconnect: gone,
                                        DatabaseUnavailable: unavailable}, lifespan=lifespan,
                    routes=[*api.ROUTES, *page_routes.ROUTES])
    app.state.served = Served(store, reads or store, hub, throttle or SignInThrottle(),
                              CapacityLimiter(BATCHES_AT_ONCE))  # (see limits.py)
    app.router.redirect_slashes = False  # (a path that is none of these: 404, not a 307)
    return app
