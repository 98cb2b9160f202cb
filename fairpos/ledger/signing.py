"""Who is at the pages, and what they may do: sign-in with an account's name and password (or
an admin token), sessions, the role a page or a form needs (a treasurer reads and settles the
quarantine; an admin also enrols and revokes lanes), the audit of every person's action, and
the pages only an admin sees (enrol a lane, revoke one) and the audit itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fairpos.i18n import _
from fairpos.ledger import pages
from fairpos.ledger.addresses import ADDRESSES
from fairpos.ledger.limits import SESSION_HOURS
from fairpos.ledger.render import CSRF, WHO, ZONES, render
from fairpos.ledger.requests import (
    SESSION_COOKIE,
    BadParameter,
    bearer,
    check_parameters,
    client_address,
    csrf_of,
    error,
    from_here,
    held_back,
    offset_of,
    read_form,
    served,
)
from fairpos.ledger.responses import HTMLResponse
from fairpos.ledger.store import LedgerError
from fairpos.ledger.store.accounts import TOKEN_NAME, Who
from fairpos.sync.wire import WireError

Handler = Callable[[Request], Awaitable[Response]]
AUDIT_PAGE = 100


def who_of(request: Request) -> Who | None:
    """Whose session the request carries, or an admin token as its bearer (a script; a wrong
    token counted by the throttle); None: nobody signed in."""
    serving = served(request)
    session = request.cookies.get(SESSION_COOKIE)
    if session is not None:
        found = serving.store.session_of(session)
        if found is not None:
            return found
    token = bearer(request)
    if token is None:
        return None
    if serving.store.is_admin(token):
        serving.throttle.succeeded(client_address(request))
        return Who(TOKEN_NAME, "admin")
    serving.throttle.failed(client_address(request))
    return None


def not_for(who: Who) -> Response:
    return HTMLResponse(pages.message_page(
        _("Only an admin may do this"), _("{name} is signed in as a treasurer.").format(
            name=who.name), back=True), status_code=403)


def signed(page: Callable[[Request], Response], role: str = "treasurer") -> Handler:
    """A page for someone signed in (``role`` admin: an admin only), made in a worker
    thread; a parameter out of bounds is a 400."""
    async def handler(request: Request) -> Response:
        wait = served(request).throttle.wait(client_address(request))
        if wait and bearer(request) is not None:
            return held_back(wait)
        who = await run_in_threadpool(who_of, request)
        if who is None:
            return HTMLResponse(pages.login_page(), status_code=401)
        if role == "admin" and not who.admin:
            return not_for(who)
        ADDRESSES.know(client_address(request))

        def made(request: Request) -> Response:
            CSRF.set(csrf_of(request))  # (the page's forms carry it)
            ZONES.set(served(request).view.timezones())  # (its times are the fair's)
            WHO.set(who)  # (the page says who is signed in, and offers what they may do)
            return page(request)

        try:
            check_parameters(request)
            return await run_in_threadpool(made, request)
        except BadParameter as err:
            return HTMLResponse(pages.message_page(_("Not a page"), str(err)),
                                status_code=400)
    return handler


async def posted_form(request: Request) -> dict[str, str] | Response:
    """A state-changing form's fields — if it came from the ledger's own pages."""
    try:
        form = await read_form(request)
    except WireError as err:
        return error(400, str(err))
    if not from_here(request, form):
        return error(403, "this form did not come from the ledger's own pages")
    return form


async def acting(request: Request, role: str = "treasurer"
                 ) -> tuple[Who, dict[str, str]] | Response:
    """Who posts a form from the ledger's pages, and its fields; or the refusal (not signed
    in, not the role, not from here)."""
    who = await run_in_threadpool(who_of, request)
    if who is None:
        return HTMLResponse(pages.login_page(), status_code=401)
    if role == "admin" and not who.admin:
        return not_for(who)
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    return who, form


async def audited(request: Request, who: Who, action: str, detail: str = "") -> None:
    await run_in_threadpool(served(request).store.audit, who.name, action, detail,
                            client_address(request))


async def login(request: Request) -> Response:
    """GET: the sign-in form. POST: an account's name and password (or an admin token), for
    a session cookie (neither ever goes in a URL or a cookie). Wrong attempts are held back
    per address and per account's name."""
    if request.method == "GET":
        return HTMLResponse(pages.login_page())
    serving = served(request)
    address = client_address(request)
    try:
        form = await read_form(request)
    except WireError:
        return HTMLResponse(pages.login_page(failed=True), status_code=400)
    name, token = " ".join(form.get("name", "").split()), form.get("token", "").strip()
    keys = [address, *([f"account {name.casefold()}"] if name else [])]
    wait = max(serving.throttle.wait(key) for key in keys)
    if wait:
        return held_back(wait)
    if name:
        session = await run_in_threadpool(serving.store.sign_in_account, name,
                                          form.get("password", ""))
    else:
        session = await run_in_threadpool(serving.store.sign_in, token) if token else None
    if session is None:
        for key in keys:
            serving.throttle.failed(key)
        return HTMLResponse(pages.login_page(failed=True), status_code=401)
    for key in keys:
        serving.throttle.succeeded(key)
    ADDRESSES.know(address)
    await run_in_threadpool(serving.store.audit, name or TOKEN_NAME, "signed in", "", address)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_HOURS * 3600,
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


async def logout(request: Request) -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    if session is not None:
        await run_in_threadpool(served(request).store.sign_out, session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response


def audit(request: Request) -> Response:
    offset = offset_of(request)
    found, total = served(request).view.audit_log(offset, AUDIT_PAGE)
    return HTMLResponse(pages.audit_page(found, total, offset, AUDIT_PAGE))


def enrol_form(request: Request) -> Response:
    return HTMLResponse(render("enrol.html", title=_("Enrol a lane"), signed_in=True,
                               fairs=served(request).view.fairs(), token=None))


async def enrol(request: Request) -> Response:
    """An admin enrols a lane: its token, shown once, for ``fairpos connect``."""
    acted = await acting(request, "admin")
    if isinstance(acted, Response):
        return acted
    who, form = acted
    fair, number = form.get("fair", "").strip(), form.get("lane", "").strip()
    if not (number.isascii() and number.isdigit()) or not 0 < int(number) < 10_000:
        return HTMLResponse(pages.message_page(_("Not enrolled"), _(
            "the lane is a number from 1"), back=True), status_code=400)
    try:
        enrolment, token = await run_in_threadpool(served(request).store.enrol, fair,
                                                   int(number))
    except LedgerError as err:
        return HTMLResponse(pages.message_page(_("Not enrolled"), str(err), back=True),
                            status_code=400)
    await audited(request, who, "lane enrolled", f"{fair} · {number} (#{enrolment})")
    CSRF.set(csrf_of(request))
    WHO.set(who)
    return HTMLResponse(render("enrol.html", title=_("Enrol a lane"), signed_in=True,
                               fairs=[], token=token, fair=fair, lane=number,
                               url=str(request.base_url).rstrip("/")))


async def revoke(request: Request) -> Response:
    """An admin revokes a lane's device: its token stops working at once."""
    acted = await acting(request, "admin")
    if isinstance(acted, Response):
        return acted
    who, _form = acted
    device = request.path_params["device"]
    try:
        await run_in_threadpool(served(request).store.revoke, device)
    except LedgerError as err:
        return HTMLResponse(pages.message_page(_("Not revoked"), str(err), back=True),
                            status_code=400)
    await audited(request, who, "lane revoked", device)
    return RedirectResponse(f"/lane/{device}", status_code=303)


SIGNING_ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/audit", signed(audit)),
    Route("/enrol", signed(enrol_form, "admin"), methods=["GET"]),
    Route("/enrol", enrol, methods=["POST"]),
    Route("/lane/{device}/revoke", revoke, methods=["POST"]),
]
