"""The kit's Ed25519 key and signature, made and checked with ``openssl`` (the same tool the
installer checks them with on the lane, before fairpos is there)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from fairpos.errors import FairposError
from fairpos.i18n import _

PRIVATE, PUBLIC = "kit-key.pem", "kit.pub"


class KitError(FairposError):
    """A kit that cannot be built, signed or read; the message is for a person."""


def _openssl(*args: str) -> bytes:
    if shutil.which("openssl") is None:
        raise KitError(_("openssl is needed to sign a kit (apt-get install openssl)"))
    done = subprocess.run(["openssl", *args], capture_output=True)
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise KitError(_("openssl refused: {error}").format(error=said[0] if said else "?"))
    return done.stdout


def keygen(folder: Path) -> tuple[Path, Path]:
    """A new key pair in ``folder``: the private key (readable by its owner alone: keep it off
    the lanes) and the public key every kit carries."""
    private, public = folder / PRIVATE, folder / PUBLIC
    if private.exists():
        raise KitError(_("{path} exists: a key is never overwritten").format(path=private))
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("genpkey", "-algorithm", "ed25519", "-out", str(private))
    os.chmod(private, 0o600)
    _openssl("pkey", "-in", str(private), "-pubout", "-out", str(public))
    return private, public


def public_of(private: Path, out: Path) -> None:
    _openssl("pkey", "-in", str(private), "-pubout", "-out", str(out))


def sign(private: Path, data: Path, signature: Path) -> None:
    _openssl("pkeyutl", "-sign", "-inkey", str(private), "-rawin", "-in", str(data), "-out",
             str(signature))
