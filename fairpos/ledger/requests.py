"""What the ledger's API and pages share in reading a request and refusing one: the caller's
bearer token and address, a body read within its bound, a form that came from the ledger's own
pages, a page's parameters in bounds, and the refusals in a person's words. And what a request
is served with (:class:`Served`, set on the app by ``create_app``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from anyio import CapacityLimiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fairpos.i18n import _
from fairpos.ledger import pages
from fairpos.ledger.responses import HTMLResponse, JSONResponse, TextResponse
from fairpos.ledger.store import Ledger, PageReads
from fairpos.ledger.throttle import SignInThrottle
from fairpos.sync.wire import MAX_BODY, BodyTooLarge, WireError, decode_batch, decode_body


@dataclass(frozen=True)
class Served:
    """What the app serves from: the store (the primary), the pages' reads (a replica, or the
    store), whether it is a fair's hub, the sign-in throttle, and the batches' limiter."""

    store: Ledger
    view: PageReads
    hub: bool
    throttle: SignInThrottle
    ingesting: CapacityLimiter


def served(request: Request) -> Served:
    found: Served = request.app.state.served
    return found


SESSION_COOKIE = "fairpos_session"
Handler = Callable[[Request], Awaitable[Response]]


NOT_CLAIMED = "not_claimed"  # a token enrolled, whose device has not said who it is yet


def error(status: int, message: str, code: str | None = None) -> JSONResponse:
    """A refusal: ``message`` for a person, ``code`` (when given) for the client to act on."""
    body = {"error": message} if code is None else {"error": message, "code": code}
    return JSONResponse(body, status_code=status)


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class NotJson(WireError):
    """A body sent as something else than application/json."""


async def read_body(request: Request, limit: int = MAX_BODY) -> tuple[bytes, bool]:
    """The request's body as sent (application/json, gzipped or not), reading at most
    ``limit`` bytes off the wire, and whether it is gzipped."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise NotJson("the body must be sent as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
    return bytes(body), request.headers.get("content-encoding", "").lower() == "gzip"


async def read_json(request: Request, limit: int = MAX_BODY) -> Any:
    """The request's JSON, inflated and parsed in a worker thread (a big body never holds
    up the other requests)."""
    body, gzipped = await read_body(request, limit)
    return await run_in_threadpool(decode_body, body, gzipped, limit)


async def read_batch(request: Request, what: str = "sales") -> tuple[Any, list[bytes]]:
    """A batch's device id and its entries' JSON, each to be read on its own."""
    body, gzipped = await read_body(request)
    return await run_in_threadpool(decode_batch, body, gzipped, MAX_BODY, what)


async def read_form(request: Request, limit: int = 4096) -> dict[str, str]:
    """A small url-encoded form (the sign-in form): its fields, the first of each name."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the form is larger than {limit} bytes")
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise WireError("the form cannot be read") from None
    return {name: values[0] for name, values in fields.items()}


class BadParameter(Exception):
    """A page's parameter out of bounds (a huge ``from``, a date at the calendar's end, a NUL
    byte): the page answers 400 with this, for a person."""


MOST_OFFSET = 10_000_000  # no list of the ledger's is that long
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)  # (far from the calendar's ends)


def offset_of(request: Request, name: str = "from") -> int:
    """Where a paged list starts (``?from=N``, or the parameter ``name``; 0 for anything
    that is not a number)."""
    start = request.query_params.get(name, "0")
    if not (start.isascii() and start.isdigit()):
        return 0
    if len(start) > 9 or int(start) > MOST_OFFSET:
        raise BadParameter(_("“{name}” is past the end of any list").format(name=name))
    return int(start)


def page_day(text: str) -> date | None:
    """A date of a page's path or query (None: not a date); BadParameter far from any fair."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(_("{day} is not a date the ledger can have").format(day=text))
    return day


def check_parameters(request: Request) -> None:
    """No parameter of a page may hold a NUL byte (PostgreSQL's text cannot)."""
    for value in (*request.path_params.values(), *request.query_params.values()):
        if isinstance(value, str) and "\x00" in value:
            raise BadParameter(_("a parameter holds a NUL character"))


def csv_response(text: str, name: str) -> Response:
    return TextResponse(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def refused(err: WireError) -> JSONResponse:
    """A body the ledger cannot take: too large (413), not JSON (415), or malformed (400)."""
    status = 413 if isinstance(err, BodyTooLarge) else 415 if isinstance(err, NotJson) else 400
    return error(status, str(err))


def csrf_of(request: Request) -> str:
    """The token a signed-in session's forms carry ("" without a session): derived from the
    session's secret id, so no page elsewhere can know it."""
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return ""
    return hmac.new(session.encode(), b"fairpos forms", hashlib.sha256).hexdigest()[:32]


def from_here(request: Request, form: dict[str, str]) -> bool:
    """Whether a state-changing form comes from the ledger's own pages: its Origin (or
    Referer) is the ledger's own — scheme, host and port — and, for a signed-in session, it
    carries the session's token. A script with an admin token as its bearer has no cookie to
    be tricked with."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        referer = urlsplit(request.headers["referer"])
        origin = f"{referer.scheme}://{referer.netloc}"
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    if request.cookies.get(SESSION_COOKIE):
        return hmac.compare_digest(form.get("csrf", ""), csrf_of(request))
    return True


def client_address(request: Request) -> str:
    """Where a request comes from, as the throttle counts it."""
    return request.client.host if request.client is not None else "?"


def held_back(seconds: float) -> HTMLResponse:
    """A sign-in (or an admin token) refused while its address waits."""
    wait = max(1, int(seconds + 0.999))
    return HTMLResponse(pages.message_page(_("Too many attempts"), _(
        "Too many wrong sign-ins: try again in {seconds} s.").format(
            seconds=wait)), status_code=429, headers={"Retry-After": str(wait)})
