"""The control for the chaos test and the benchmark's baseline: a bare Starlette endpoint that
stores every sale it is sent — no uniqueness, no validation, no hash. A relay that retries
unknown outcomes double-counts against it, which is what the chaos test must detect.

    NAIVE_LEDGER_DB=/tmp/naive.db python -m uvicorn tests.naive_ledger:app --port 8050
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import threading

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DB = os.environ.get("NAIVE_LEDGER_DB", "naive-ledger.db")
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


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/v1/sales/batch", batch, methods=["POST"]),
                        Route("/v1/health", health)])
