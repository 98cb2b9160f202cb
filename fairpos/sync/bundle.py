"""Bundles: the outbox's batches in a file, for a USB stick where there is no connection.

A bundle is a zip file: ``manifest.json`` (device, when, how many entries, each batch's
SHA-256) and ``batches/0001.json.gz``… — each batch the same gzip body a sync would POST. The
ledger imports it with the same idempotency as a sync, so a bundle imported twice, or imported
after the stall synced anyway, counts nothing twice.

The manifest carries a proof of enrolment: an HMAC of the device id and the batches' hashes,
keyed with what the ledger keeps of the lane's token (its SHA-256). The ledger checks it, and
claims the device for that enrolment when the lane has never been online. The bundle holds
neither the token nor anything that could stand for it: a lost stick lets no one sync as the
lane, and its proof fits only its own batches.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.sync.wire import (
    MAX_BATCH,
    MAX_BODY,
    WireError,
    canonical,
    decode_body,
    encode_body,
    token_hash,
)

FORMAT = "fairpos-bundle/1"


class BundleError(FairposError, ValueError):
    """A bundle that cannot be read; the message says why."""


@dataclass(frozen=True)
class Bundle:
    device_id: str
    batches: list[list[Any]]
    hashes: list[str]  # each batch's SHA-256, as the manifest lists them
    proof: str | None  # proof of enrolment (None: an old bundle without one)


def bundle_proof(token_digest: str, device_id: str, hashes: list[str]) -> str:
    """The HMAC that ties a bundle's batches to the enrolment whose token hashes to
    ``token_digest``."""
    message = canonical({"device_id": device_id, "batches": hashes})
    return hmac.new(token_digest.encode(), message, hashlib.sha256).hexdigest()


def write_bundle(path: Path, device_id: str, sales: list[dict[str, Any]], token: str
                 ) -> dict[str, Any]:
    """Write ``sales`` (wire payloads, oldest first) as a bundle signed for the enrolment of
    ``token``; returns its manifest."""
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
        manifest["proof"] = bundle_proof(token_hash(token), device_id,
                                         [item["sha256"] for item in manifest["batches"]])
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)  # a bundle is whole or not there
    return manifest


def read_bundle(path: Path) -> Bundle:
    """A bundle's device id, batches and proof, every batch checked against the manifest."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BundleError(_("{file} is not a fairpos bundle").format(file=path.name))
            batches = []
            for item in manifest["batches"]:
                info = archive.getinfo(item["name"])
                if info.file_size > MAX_BODY:
                    raise BundleError(_("{file}: {part} is too large").format(
                        file=path.name, part=item["name"]))
                body = archive.read(info)
                if hashlib.sha256(body).hexdigest() != item["sha256"]:
                    raise BundleError(_("{file}: {part} does not match the manifest (a "
                                        "damaged copy?)").format(file=path.name,
                                                                 part=item["name"]))
                data = decode_body(body, gzipped=True)
                if data.get("device_id") != manifest["device_id"]:
                    raise BundleError(_("{file}: {part} is another device's").format(
                        file=path.name, part=item["name"]))
                batches.append(list(data["sales"]))
            proof = manifest.get("proof")
            return Bundle(str(manifest["device_id"]), batches,
                          [str(item["sha256"]) for item in manifest["batches"]],
                          proof if isinstance(proof, str) else None)
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, IndexError, TypeError,
            AttributeError, ValueError, EOFError, NotImplementedError, RuntimeError,
            OverflowError, struct.error, zlib.error, gzip.BadGzipFile, WireError,
            OSError) as err:
        # whatever a damaged or foreign file makes the zip, gzip or JSON readers say
        # (a bad CRC, an "encrypted" flag, an unknown compression method, a cut stream…)
        said = " ".join(f"{type(err).__name__}: {err}".split())
        raise BundleError(_("{file} cannot be read as a bundle ({error})").format(
            file=path.name, error=said)) from None
