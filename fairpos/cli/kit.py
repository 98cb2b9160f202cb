"""The install kit: ``kit keygen``, ``kit build``, ``kit install``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from fairpos.cli.base import main, refuse
from fairpos.i18n import _
from fairpos.kit.build import MACHINES
from fairpos.kit.signing import PRIVATE


@main.group()
def kit() -> None:
    """A folder for a USB stick that installs and updates lanes with no network."""


@kit.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the key pair (on the release manager's machine, never a lane).")
def keygen(out: Path) -> None:
    """Make the Ed25519 key that signs kits: kit-key.pem (keep it off the lanes, and a copy
    somewhere safe) and kit.pub (every kit carries it; a lane trusts the one of its first
    kit)."""
    from fairpos.kit.signing import keygen as make

    private, public = make(out)
    click.echo(_("Private key: {path} (keep it off the lanes)").format(path=private))
    click.echo(_("Public key: {path}").format(path=public))


@kit.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new folder for the kit (the stick's, or to copy onto one).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help=f"The private key that signs the kit ({PRIVATE}, from fairpos kit keygen).")
@click.option("--platform", "machines", type=click.Choice(MACHINES), multiple=True,
              help="A lane's machine: x86_64 (old PCs) or aarch64 (Raspberry Pi class); "
                   "repeatable (default: both).")
@click.option("--python", "pythons", multiple=True, metavar="X.Y",
              help="A lane's Python (3.11 on Debian 12, 3.13 on Debian 13); repeatable "
                   "(default: 3.11).")
@click.option("--source", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="The source folder to build fairpos from, e.g. a release's "
                                 "checkout (default: the one this fairpos runs from).")
def build(out: Path, key: Path, machines: tuple[str, ...], pythons: tuple[str, ...],
          source: Path | None) -> None:
    """Build a signed kit: fairpos's wheel, every dependency as a prebuilt wheel for each
    machine and Python, the installer, the presets, a manifest of every file's SHA-256.
    Building needs the package index; installing from the kit needs no network."""
    from fairpos.kit.build import build as make

    for python in pythons:
        if not python.replace(".", "").isdigit() or python.count(".") != 1:
            refuse(_("--python takes a version such as 3.11"))
    made = make(out, key, machines or MACHINES, pythons or ("3.11",), source)
    click.echo(_("Kit of fairpos {version}: {path} ({files} files, {size} MB)").format(
        version=made.version, path=made.folder, files=made.files,
        size=f"{made.size / 1e6:.1f}"))
    click.echo(_("On a lane: {path}/install (or fairpos kit install {path})").format(
        path=made.folder))


@kit.command(context_settings={"ignore_unknown_options": True})
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("options", nargs=-1, type=click.UNPROCESSED)
def install(folder: Path, options: tuple[str, ...]) -> None:
    """Install, update (or with --rollback, go back) from the kit in FOLDER: what FOLDER/install
    does. Options after FOLDER go to the installer (FOLDER/install --help)."""
    entry = folder / "installer.py"
    if not entry.is_file():
        refuse(_("{path} is not a fairpos kit (no installer.py)").format(path=folder))
    sys.exit(subprocess.run([sys.executable, str(entry), *options]).returncode)
