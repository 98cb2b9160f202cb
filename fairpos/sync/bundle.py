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

A fair's hub writes a *site bundle*: ``site.json`` and one lane bundle per lane
(``lanes/DEVICE.zip``), each proved as the lane would prove it (the hub keeps the same token
hashes as the centre), holding what has not reached the centre yet.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
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
SITE_FORMAT = "fairpos-site-bundle/1"
MAX_LANE_BUNDLE = 1 << 30  # bytes of one lane's bundle inside a site bundle


class BundleError(FairposError, ValueError):
    """A bundle that cannot be read; the message says why."""


@dataclass(frozen=True)
class Bundle:
    device_id: str
    batches: list[list[Any]]
    hashes: list[str]  # each batch's SHA-256, as the manifest lists them
    proof: str | None  # proof of enrolment (None: an old bundle without one)
    shifts: list[Any] = field(default_factory=list)  # the shifts' openings and closes


def bundle_proof(token_digest: str, device_id: str, hashes: list[str]) -> str:
    """The HMAC that ties a bundle's batches to the enrolment whose token hashes to
    ``token_digest``."""
    message = canonical({"device_id": device_id, "batches": hashes})
    return hmac.new(token_digest.encode(), message, hashlib.sha256).hexdigest()


def write_bundle(path: Path, device_id: str, sales: list[dict[str, Any]], token: str, *,
                 digest: str | None = None, shifts: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
    """Write ``sales`` (wire payloads, oldest first) and ``shifts`` (shift entries) as a
    bundle signed for the enrolment of ``token`` (or of the token hashing to ``digest``);
    returns its manifest. The shift entries travel in batches of their own, after the
    sales."""
    shifts = shifts or []
    batches: list[tuple[str, list[dict[str, Any]]]] = [
        *(("sales", sales[i:i + MAX_BATCH]) for i in range(0, len(sales), MAX_BATCH)),
        *(("shifts", shifts[i:i + MAX_BATCH]) for i in range(0, len(shifts), MAX_BATCH))]
    manifest: dict[str, Any] = {
        "format": FORMAT, "device_id": device_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "entries": len(sales), "shift_entries": len(shifts),
        "first": sales[0]["id"] if sales else None,
        "last": sales[-1]["id"] if sales else None, "batches": []}
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for n, (what, batch) in enumerate(batches, start=1):
            name = f"batches/{n:04d}.json.gz"
            body = encode_body({"device_id": device_id, "sales": [], what: batch})
            archive.writestr(name, body)
            manifest["batches"].append({"name": name, "entries": len(batch),
                                        "sha256": hashlib.sha256(body).hexdigest()})
        manifest["proof"] = bundle_proof(digest or token_hash(token), device_id,
                                         [item["sha256"] for item in manifest["batches"]])
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)  # a bundle is whole or not there
    return manifest


def write_site_bundle(path: Path, fair: str,
                      lanes: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]]]]
                      ) -> dict[str, Any]:
    """A hub's site bundle: for each lane (device id, token hash, sales and shift entries
    not at the centre yet) its own bundle, proved for its enrolment; returns the site's
    manifest."""
    manifest: dict[str, Any] = {
        "format": SITE_FORMAT, "fair": fair,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "lanes": []}
    tmp = path.with_name(path.name + ".partial")
    # (compressed: a lane bundle stored as it is would leave its own end record in the
    # site bundle's bytes, and a site bundle cut short would read as that one lane's)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for device_id, digest, sales, shifts in lanes:
            inner = path.with_name(f"{path.name}.{device_id}.partial")
            try:
                write_bundle(inner, device_id, sales, "", digest=digest, shifts=shifts)
                body = inner.read_bytes()
            finally:
                inner.unlink(missing_ok=True)
            name = f"lanes/{device_id}.zip"
            archive.writestr(name, body)
            manifest["lanes"].append({"name": name, "device_id": device_id,
                                      "entries": len(sales), "shift_entries": len(shifts),
                                      "sha256": hashlib.sha256(body).hexdigest()})
        archive.writestr("site.json", json.dumps(manifest, indent=2))
    tmp.replace(path)
    return manifest


def read_site_bundle(path: Path) -> list[Bundle] | None:
    """The lane bundles of a site bundle, each checked (None: ``path`` is not a site bundle,
    but perhaps a lane's)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "site.json" not in archive.namelist():
                return None
            manifest = json.loads(archive.read("site.json"))
            if not isinstance(manifest, dict) or manifest.get("format") != SITE_FORMAT:
                raise BundleError(_("{file} is not a fairpos bundle").format(file=path.name))
            return [read_bundle(Path(item["name"]),
                                _part(archive, item, path, MAX_LANE_BUNDLE))
                    for item in manifest["lanes"]]
    except UNREADABLE as err:
        raise _unreadable(path, err) from None


def _part(archive: zipfile.ZipFile, item: dict[str, Any], path: Path, limit: int) -> bytes:
    """One part of a bundle, as its manifest lists it: no larger than ``limit``, and the very
    bytes its SHA-256 names."""
    info = archive.getinfo(item["name"])
    if info.file_size > limit:
        raise BundleError(_("{file}: {part} is too large").format(file=path.name,
                                                                  part=item["name"]))
    body = archive.read(info)
    if hashlib.sha256(body).hexdigest() != item["sha256"]:
        raise BundleError(_("{file}: {part} does not match the manifest (a damaged "
                            "copy?)").format(file=path.name, part=item["name"]))
    return body


# whatever a damaged or foreign file makes the zip, gzip or JSON readers say (a bad CRC, an
# "encrypted" flag, an unknown compression method, a cut stream…)
UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, IndexError, TypeError,
              AttributeError, ValueError, EOFError, NotImplementedError, RuntimeError,
              OverflowError, struct.error, zlib.error, gzip.BadGzipFile, WireError, OSError)


def _unreadable(path: Path, err: Exception) -> BundleError:
    """Why a file is not a bundle, in a person's words (never the reader's internals)."""
    if isinstance(err, BundleError):  # (said already, in its own words)
        return err
    if isinstance(err, zipfile.BadZipFile):
        why = _("it is not a zip file, or it was cut short")
    elif isinstance(err, KeyError):
        why = _("a part it needs is missing (a damaged or foreign file?)")
    elif isinstance(err, OSError) and not isinstance(err, zlib.error | gzip.BadGzipFile):
        why = _("it cannot be opened ({error})").format(error=err.strerror or type(err).__name__)
    elif isinstance(err, WireError):
        why = str(err)
    else:
        why = _("a part of it is damaged")
    return BundleError(_("{file} cannot be read as a bundle: {why}").format(
        file=path.name, why=why))


def read_bundle(path: Path, content: bytes | None = None) -> Bundle:
    """A bundle's device id, batches and proof, every batch checked against the manifest
    (``content``: the bundle's bytes, when it is not a file of its own)."""
    try:
        with zipfile.ZipFile(path if content is None else io.BytesIO(content)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BundleError(_("{file} is not a fairpos bundle").format(file=path.name))
            batches = []
            shifts: list[Any] = []
            for item in manifest["batches"]:
                body = _part(archive, item, path, MAX_BODY)
                data = decode_body(body, gzipped=True)
                if data.get("device_id") != manifest["device_id"]:
                    raise BundleError(_("{file}: {part} is another device's").format(
                        file=path.name, part=item["name"]))
                if data["sales"]:
                    batches.append(list(data["sales"]))
                shifts.extend(data.get("shifts", []))
            proof = manifest.get("proof")
            return Bundle(str(manifest["device_id"]), batches,
                          [str(item["sha256"]) for item in manifest["batches"]],
                          proof if isinstance(proof, str) else None, list(shifts))
    except UNREADABLE as err:
        raise _unreadable(path, err) from None
