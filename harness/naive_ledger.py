"""The control for the chaos tests and the benchmark's baseline: a bare Starlette endpoint that
stores every sale it is sent — no uniqueness, no validation, no hash. A relay that retries
unknown outcomes double-counts against it, which is what the chaos tests must detect.

    NAIVE_LEDGER_DB=/tmp/naive.db python -m uvicorn harness.naive_ledger:app --port 8050

With ``NAIVE_UPSTREAM`` (a real ledger's URL), everything but the batches is passed on to that
ledger as it is: a centre without uniqueness that a fair's hub can still learn its lanes,
catalog and rates from.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import threading

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DB = os.environ.get("NAIVE_LEDGER_DB", "naive-ledger.db")
UPSTREAM = os.environ.get("NAIVE_UPSTREAM")
PASSED_ON = ("authorization", "content-type", "content-encoding", "if-none-match")
conn = sqlite3.connect(DB, check_same_thread=False, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE IF NOT EXISTS sales (id TEXT, device_id TEXT, total INTEGER, "
             "payload TEXT)")
lock = threading.Lock()


def store(sales: list[dict[str, object]]) -> None:
    with lock:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)",
                         [(s["id"], str(s["id"]).split("-")[0], s["total"], json.dumps(s))
                          for s in sales])
        conn.execute("COMMIT")


async def batch(request: Request) -> Response:
    body = await request.body()
    if request.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    sales = json.loads(body)["sales"]
    await run_in_threadpool(store, sales)
    return JSONResponse({"accepted": [s["id"] for s in sales], "duplicate": [], "rejected": [],
                         "conflict": [], "max_contiguous_seq": 0})


async def shifts(request: Request) -> Response:
    """A shift's opening or close: taken, and kept nowhere (what is counted is the sales)."""
    body = await request.body()
    if request.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    entries = json.loads(body)["shifts"]
    return JSONResponse({"accepted": [e["id"] for e in entries], "duplicate": [],
                         "rejected": [], "conflict": [], "max_contiguous_seq": 0})


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def passed_on(request: Request) -> Response:
    """Any other request, to the real ledger behind (404 without one)."""
    if UPSTREAM is None:
        return JSONResponse({"error": "not here"}, status_code=404)
    async with httpx.AsyncClient(timeout=30) as client:
        reply = await client.request(
            request.method, UPSTREAM + request.url.path, params=request.query_params,
            content=await request.body(),
            headers={k: v for k, v in request.headers.items() if k in PASSED_ON})
    kept = {k: v for k, v in reply.headers.items() if k in ("content-type", "etag")}
    return Response(reply.content, reply.status_code, headers=kept)


app = Starlette(routes=[Route("/v1/sales/batch", batch, methods=["POST"]),
                        Route("/v1/shifts/batch", shifts, methods=["POST"]),
                        Route("/v1/health", health),
                        Route("/{path:path}", passed_on, methods=["GET", "POST"])])
