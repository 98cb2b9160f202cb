"""``fairpos kit build``: the folder for a USB stick.

::

    install           the installer's entry (python3 installer.py "$@")
    installer.py      stdlib only: verify, back up, install, check, switch (see installer)
    kit.json          the version, the Pythons and machines it serves
    kit.pub           the key it is signed with (trusted by a lane on its first kit)
    presets/          the example settings, to read before ``fairpos init``
    wheels/any/       fairpos's own wheel, pip's, and every pure-Python dependency
    wheels/cp311-x86_64/, wheels/cp311-aarch64/ …   the compiled ones, per target
    manifest.sha256   every file above and its SHA-256
    manifest.sig      the manifest's Ed25519 signature

Every dependency is a prebuilt wheel (``--only-binary=:all:``): a lane never compiles. Building
needs the package index (or its mirror); installing needs nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from fairpos.i18n import _
from fairpos.kit import installer
from fairpos.kit.signing import KitError, public_of, sign

MACHINES = ("x86_64", "aarch64")
# the glibc wheel tags a Debian 12 lane (glibc 2.36) takes, newest first
MANYLINUX = ("manylinux_2_36", "manylinux_2_34", "manylinux_2_31", "manylinux_2_28",
             "manylinux_2_27", "manylinux_2_17", "manylinux2014")


@dataclass(frozen=True)
class Kit:
    folder: Path
    version: str
    files: int
    size: int  # bytes


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--quiet",
                           "--disable-pip-version-check"], capture_output=True, text=True)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        raise KitError(_("pip could not fetch what the kit needs: {error}").format(
            error=said[-1] if said else done.returncode))


def requirements() -> list[str]:
    """fairpos's own dependencies (no test or development extras)."""
    return [req.split(";")[0].strip() for req in metadata.requires("fairpos") or []
            if "extra ==" not in req]


def source_root() -> Path:
    """The source checkout this fairpos runs from (a kit is built from one)."""
    root = Path(__file__).resolve().parent.parent.parent
    project = root / "pyproject.toml"
    if not project.exists() or 'name = "fairpos"' not in project.read_text(encoding="utf-8"):
        raise KitError(_("a kit is built from a source checkout of fairpos (git clone), not "
                         "from an installed copy"))
    return root


def _wheels_for(target: Path, python: str, machine: str, needs: Sequence[str]) -> None:
    tags = [arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{machine}")]
    _pip("download", "--only-binary=:all:", "--python-version", python, "--implementation",
         "cp", "--abi", f"cp{python.replace('.', '')}", *tags, "--dest", str(target), *needs)


def build(out: Path, key: Path, machines: Sequence[str], pythons: Sequence[str],
          source: Path | None = None) -> Kit:
    if out.exists() and any(out.iterdir()):
        raise KitError(_("{path} is not empty: a kit is built into a new folder").format(
            path=out))
    if not key.is_file():
        raise KitError(_("there is no key at {path} (fairpos kit keygen)").format(path=key))
    root = source or source_root()
    if not (root / "pyproject.toml").is_file():
        raise KitError(_("{path} is not a fairpos source folder (no pyproject.toml)").format(
            path=root))
    anywhere = out / "wheels" / "any"
    anywhere.mkdir(parents=True)
    _pip("wheel", "--no-deps", "--wheel-dir", str(anywhere), str(root))
    _pip("download", "--only-binary=:all:", "--no-deps", "--dest", str(anywhere), "pip")
    version = next(anywhere.glob("fairpos-*.whl")).name.split("-")[1]
    needs = requirements()
    for python in pythons:
        for machine in machines:
            target = out / "wheels" / f"cp{python.replace('.', '')}-{machine}"
            _wheels_for(target, python, machine, needs)
            for wheel in target.glob("*-none-any.whl"):  # pure Python: one copy for all
                if (anywhere / wheel.name).exists():
                    wheel.unlink()
                else:
                    wheel.rename(anywhere / wheel.name)
    _write_rest(out, key, version, machines, pythons)
    files = sorted(path for path in out.rglob("*") if path.is_file())
    manifest = out / installer.MANIFEST
    manifest.write_text("".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(out)}\n"
        for path in files), encoding="utf-8")
    sign(key, manifest, out / installer.SIGNATURE)
    return Kit(out, version, len(files) + 2,
               sum(path.stat().st_size for path in out.rglob("*") if path.is_file()))


def _write_rest(out: Path, key: Path, version: str, machines: Sequence[str],
                pythons: Sequence[str]) -> None:
    shutil.copyfile(installer.__file__, out / "installer.py")
    entry = out / "install"
    entry.write_text('#!/bin/sh\n# fairpos: install, update or roll back from this kit '
                     '(--help)\nexec python3 "$(dirname "$0")/installer.py" "$@"\n',
                     encoding="utf-8")
    entry.chmod(0o755)
    (out / installer.ABOUT).write_text(json.dumps(
        {"version": version, "pythons": list(pythons), "machines": list(machines)},
        indent=2) + "\n", encoding="utf-8")
    public_of(key, out / installer.KEY)
    presets = out / "presets"
    presets.mkdir()
    for preset in resources.files("fairpos.presets").iterdir():
        if preset.name.endswith(".toml"):
            (presets / preset.name).write_text(preset.read_text(encoding="utf-8"),
                                               encoding="utf-8")
