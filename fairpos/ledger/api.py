"""The stall and hub API (``/v1``), JSON in and out.

Every request carries ``Authorization: Bearer <device token>``; the device is the token's,
never the body's. A fair's hub (its site's ledger) calls the same API with its hub token on
behalf of its fair's lanes — and of no other fair's: it names the device, and the ledger
refuses one of another fair (403) — and learns the fair's lanes at ``/v1/hub/lanes``.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fairpos.ledger.addresses import ADDRESSES
from fairpos.ledger.failover import in_thread, patiently
from fairpos.ledger.requests import (
    NOT_CLAIMED,
    Handler,
    bearer,
    client_address,
    error,
    read_batch,
    read_json,
    refused,
    served,
)
from fairpos.ledger.responses import JSONResponse
from fairpos.ledger.store import Device, Hub, LedgerError, StallApi
from fairpos.ledger.store.resolutions import RELAYED_AT_ONCE
from fairpos.sync.sale_entries import split_id
from fairpos.sync.shift_entries import split_shift_id
from fairpos.sync.wire import MAX_BATCH, MAX_HUB_BATCH, WireError, named_id


def with_upstream(store: StallApi, hub: bool, device_id: str, reply: dict[str, Any]
                  ) -> dict[str, Any]:
    """A hub tells each lane, with every reply, how many of its entries have not reached
    the centre yet."""
    return {**reply, "upstream": store.upstream_of(device_id)} if hub else reply


async def caller_of(request: Request) -> Device | Hub | JSONResponse:
    """A lane's device, or a hub, by its token."""
    store = served(request).store
    token = bearer(request)
    if token is None:
        return error(401, "a device token is needed (Authorization: Bearer …)")
    device = await in_thread(store.device_for_token, token)
    if device is not None:
        ADDRESSES.know(client_address(request))
        return device
    hub = await in_thread(store.hub_for_token, token)
    if hub is None:
        return error(401, "unknown or revoked token")
    ADDRESSES.know(client_address(request))
    return hub


async def lane_of_hub(request: Request, hub: Hub, device_id: Any) -> Device | JSONResponse:
    """The device a hub speaks for: a live, claimed device of the hub's fair."""
    device = await in_thread(served(request).store.device_by_id, device_id) \
        if isinstance(device_id, str) else None
    if device is None or device.revoked:
        return error(403, f"there is no live device {str(device_id)[:40]!r}")
    if device.fair != hub.fair:
        return error(403, f"device {device.device_id} is not of fair {hub.fair}")
    return device


async def own_device(request: Request) -> Device | JSONResponse:
    """The device of the path: the caller's own, or one of its fair's for a hub."""
    caller = await caller_of(request)
    if isinstance(caller, JSONResponse):
        return caller
    if isinstance(caller, Hub):
        return await lane_of_hub(request, caller, request.path_params["device"])
    if caller.device_id != request.path_params["device"]:
        return error(403, "a token can only see its own device")
    return caller


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def hub_lanes(request: Request) -> Response:
    caller = await caller_of(request)
    if isinstance(caller, JSONResponse):
        return caller
    if not isinstance(caller, Hub):
        return error(403, "only a hub may list its fair's lanes")
    store = served(request).store
    lanes = await in_thread(store.fair_lanes, caller.fair)
    vouchers = await in_thread(store.vouchers)
    return JSONResponse({"fair": caller.fair, "lanes": lanes, "vouchers": vouchers})


async def hub_resolutions(request: Request) -> Response:
    """A hub's sales taken in from its quarantine (``{"resolutions": [...]}``, at most
    RELAYED_AT_ONCE): each kept here under the hub's id, once; what was answered for each."""
    caller = await caller_of(request)
    if isinstance(caller, JSONResponse):
        return caller
    if not isinstance(caller, Hub):
        return error(403, "only a hub sends up what it took in from its quarantine")
    try:
        body = await read_json(request)
    except WireError as err:
        return refused(err)
    items = body.get("resolutions") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > RELAYED_AT_ONCE:
        return error(400, f"resolutions: a list of at most {RELAYED_AT_ONCE}")
    store = served(request).store
    answered = [await in_thread(store.take_in_relayed, caller.hub, caller.fair, item)
                for item in items]
    return JSONResponse({"answered": [list(a) for a in answered]})


async def claim(request: Request) -> Response:
    caller = await caller_of(request)
    if isinstance(caller, JSONResponse):
        return caller
    store = served(request).store
    try:
        body = await read_json(request, 4096)
        device_id = body["device_id"] if isinstance(body, dict) else None
        if not isinstance(device_id, str):
            return error(400, "device_id is needed")
        if isinstance(caller, Hub):  # for one of its fair's enrolments
            enrolment = body.get("enrolment")
            lanes = await in_thread(store.fair_lanes, caller.fair)
            if type(enrolment) is not int or not any(  # (true is no enrolment number)
                    lane["enrolment"] == enrolment for lane in lanes):
                return error(403, f"enrolment {str(enrolment)[:20]} is not of fair "
                                  f"{caller.fair}")
        else:
            enrolment = caller.enrolment
        claimed = await run_in_threadpool(store.claim, enrolment, device_id)  # (once only)
    except WireError as err:
        return refused(err)
    except LedgerError as err:
        return error(403, str(err))
    return JSONResponse({"device_id": claimed.device_id, "fair": claimed.fair,
                         "lane": claimed.lane})


def batches_of(what: str) -> Handler:
    """The handler of a batch of ``what``: "sales", or "shifts" (openings and closes)."""
    async def batch(request: Request) -> Response:
        caller = await caller_of(request)
        if isinstance(caller, JSONResponse):
            return caller
        if not isinstance(caller, Hub) and caller.device_id is None:
            return error(403, "this token has not been connected to a device yet "
                              "(fairpos connect)", code=NOT_CLAIMED)
        try:
            named, entries = await read_batch(request, what)
        except WireError as err:
            return refused(err)
        if isinstance(caller, Hub):  # one device of its fair, named in the body
            device = await lane_of_hub(request, caller, named)
            if isinstance(device, JSONResponse):
                return device
            return await ingested(request, device, entries, "hub", what)
        if named is not None and named != caller.device_id:
            return error(403, f"this token is device {caller.device_id}, not {named}")
        return await ingested(request, caller, entries, "direct", what)
    return batch


async def ingested(request: Request, device: Device, entries: list[bytes], path: str,
                   what: str) -> Response:
    """``entries`` stored for ``device``: at most a batch (a hub's may be larger), every one
    of its own."""
    most = MAX_HUB_BATCH if path == "hub" else MAX_BATCH
    if len(entries) > most:
        return error(413, f"at most {most} {what} per batch")
    device_id = device.device_id
    assert device_id is not None
    serving = served(request)
    reply = await patiently(lambda: anyio.to_thread.run_sync(
        stored, serving.store, serving.hub, device_id, entries, path, what,
        limiter=serving.ingesting))
    return error(403, reply) if isinstance(reply, str) else JSONResponse(reply)


def stored(store: StallApi, hub: bool, device_id: str, entries: list[bytes], path: str,
           what: str) -> dict[str, Any] | str:
    """(In a worker thread.) The batch's reply, or why it is refused: an entry that names
    another device."""
    owner_of = split_id if what == "sales" else split_shift_id
    for entry in entries:
        entry_id = named_id(entry)
        try:
            owner = owner_of(entry_id)[0] if isinstance(entry_id, str) else device_id
        except WireError:
            continue  # rejected on its own, with the others accepted
        if owner != device_id:
            return f"entry {entry_id} is not device {device_id}'s"
    ingest = store.ingest if what == "sales" else store.ingest_shifts
    return with_upstream(store, hub, device_id, ingest(device_id, entries, path).to_json())


async def sync_state(request: Request) -> Response:
    device = await own_device(request)
    if isinstance(device, JSONResponse):
        return device
    assert device.device_id is not None
    serving = served(request)
    state = await in_thread(serving.store.sync_state, device.device_id)
    return JSONResponse(await in_thread(
        with_upstream, serving.store, serving.hub, device.device_id, state))


async def day_close(request: Request) -> Response:
    device = await own_device(request)
    if isinstance(device, JSONResponse):
        return device
    assert device.device_id is not None
    serving = served(request)
    try:
        figures = await read_json(request, 65536)
        if not isinstance(figures, dict):
            return error(400, "day-close needs the day's figures")
        result = await in_thread(serving.store.day_close, device.device_id, figures)
        if serving.hub:  # and what the centre said of that day, when the hub closed it there
            result["centre"] = await in_thread(
                serving.store.upstream_close_of, device.device_id,
                result["stall"]["business_date"])
    except WireError as err:
        return refused(err)
    except LedgerError as err:
        return error(400, str(err))
    return JSONResponse(result)


def published(what: str) -> Handler:
    """The newest catalog or rates (``what``), or 304 when the caller has it already."""
    async def handler(request: Request) -> Response:
        caller = await caller_of(request)
        if isinstance(caller, JSONResponse):
            return caller
        store = served(request).store
        current = await in_thread(store.catalog if what == "catalog" else store.rates)
        if current is None:
            return error(404, "nothing has been published yet")
        if request.headers.get("if-none-match") == current.etag:
            return Response(status_code=304, headers={"ETag": current.etag})
        return JSONResponse(current.body, headers={"ETag": current.etag})
    return handler


ROUTES = [
    Route("/v1/health", health),
    Route("/v1/devices/claim", claim, methods=["POST"]),
    Route("/v1/sales/batch", batches_of("sales"), methods=["POST"]),
    Route("/v1/shifts/batch", batches_of("shifts"), methods=["POST"]),
    Route("/v1/devices/{device}/sync-state", sync_state),
    Route("/v1/devices/{device}/day-close", day_close, methods=["POST"]),
    Route("/v1/hub/lanes", hub_lanes),
    Route("/v1/hub/resolutions", hub_resolutions, methods=["POST"]),
    Route("/v1/catalog", published("catalog")),
    Route("/v1/rates", published("rates")),
]
