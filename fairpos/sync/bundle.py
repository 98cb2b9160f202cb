"""Bundles: the outbox's batches in a file, for a USB stick where there is no connection.

A bundle is a zip file: ``manifest.json`` (device, when, how many entries, each batch's
SHA-256) and ``batches/0001.json.gz``… — each batch the same gzip body a sync would POST. The
ledger imports it with the same idempotency as a sync, so a bundle imported twice, or imported
after the stall synced anyway, counts nothing twice.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fairpos.errors import FairposError
from fairpos.sync.wire import MAX_BATCH, MAX_BODY, WireError, decode_body, encode_body

FORMAT = "fairpos-bundle/1"


class BundleError(FairposError, ValueError):
    """A bundle that cannot be read; the message says why."""


def write_bundle(path: Path, device_id: str, sales: list[dict[str, Any]]) -> dict[str, Any]:
    """Write ``sales`` (wire payloads, oldest first) as a bundle; returns its manifest."""
    batches = [sales[i:i + MAX_BATCH] for i in range(0, len(sales), MAX_BATCH)]
    manifest: dict[str, Any] = {
        "format": FORMAT, "device_id": device_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": len(sales), "first": sales[0]["id"] if sales else None,
        "last": sales[-1]["id"] if sales else None, "batches": []}
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for n, batch in enumerate(batches, start=1):
            name = f"batches/{n:04d}.json.gz"
            body = encode_body({"device_id": device_id, "sales": batch})
            archive.writestr(name, body)
            manifest["batches"].append({"name": name, "entries": len(batch),
                                        "sha256": hashlib.sha256(body).hexdigest()})
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)  # a bundle is whole or not there
    return manifest


def read_bundle(path: Path) -> tuple[str, list[list[Any]]]:
    """(device id, batches of sales) from a bundle, every batch checked against the manifest."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BundleError(f"{path.name} is not a fairpos bundle")
            batches = []
            for item in manifest["batches"]:
                info = archive.getinfo(item["name"])
                if info.file_size > MAX_BODY:
                    raise BundleError(f"{item['name']} is too large")
                body = archive.read(info)
                if hashlib.sha256(body).hexdigest() != item["sha256"]:
                    raise BundleError(f"{item['name']} does not match the manifest "
                                      f"(a damaged copy?)")
                data = decode_body(body, gzipped=True)
                if data.get("device_id") != manifest["device_id"]:
                    raise BundleError(f"{item['name']} is another device's")
                batches.append(list(data["sales"]))
            return str(manifest["device_id"]), batches
    except (zipfile.BadZipFile, KeyError, TypeError, AttributeError, json.JSONDecodeError,
            gzip.BadGzipFile, WireError, OSError) as err:
        raise BundleError(f"{path.name} cannot be read as a bundle ({err})") from None
