"""httpx's one-call functions for the tests, on one certificate store.

``httpx.get(url)`` builds a new client, and with it a TLS context that loads the system's
certificate bundle: ~35 ms of CPU per call, even for a plain-http URL. The tests make
hundreds of such calls against their ledgers on 127.0.0.1; these share one context (built
once) and are otherwise ``httpx.request`` itself — a new connection and no cookies kept
between calls, as before."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

TRUST = ssl.create_default_context()


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("verify", TRUST)
    return httpx.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)
