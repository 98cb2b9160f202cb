"""The ledger's responses, never failing on what they carry.

A lone UTF-16 surrogate can reach the ledger in a refused entry (JSON's ``"\\ud800"``), and
from there a page, a CSV or an error message that quotes it. Such text is written out with
the surrogate escaped (``\\ud800``), instead of failing the whole response.
"""

from __future__ import annotations

import json
from typing import Any

from starlette import responses


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate written as its escape."""
    return text.encode("utf-8", "backslashreplace")


class HTMLResponse(responses.HTMLResponse):
    def render(self, content: Any) -> bytes:
        return utf8(content) if isinstance(content, str) else bytes(super().render(content))


class JSONResponse(responses.JSONResponse):
    def render(self, content: Any) -> bytes:
        return utf8(json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
                               separators=(",", ":")))


class TextResponse(responses.Response):
    """A text response (a CSV file)."""

    def render(self, content: Any) -> bytes:
        return utf8(content) if isinstance(content, str) else bytes(super().render(content))
