"""Copies of the lane's journal: ``backup`` (while the till sells) and ``restore``; ``check``
(the settings and the journal in order, as an update asks of a new version)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from fairpos.cli.base import emit_json, main, pass_lane
from fairpos.i18n import _, entries_text
from fairpos.lane import Lane

if TYPE_CHECKING:
    from fairpos.journal.records import Contents


def held_text(held: Contents) -> str:
    """What a journal copy holds, in a line."""
    said = _("{entries} (the last no. {last}); shifts: {shifts}; labels: {labels}").format(
        entries=entries_text(held.sales), last=held.last_seq, shifts=held.shifts,
        labels=held.labels)
    return said + (_(" — a shift is open") if held.open_shift else "")


@main.command()
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the copy to (default: [backup] folder, in the lane's "
                   "folder). A second disk or a stick is safer than the lane's own disk.")
@click.option("--keep", type=click.IntRange(1, 1000), default=None,
              help="How many of this lane's copies to keep there (default: [backup] keep); "
                   "the oldest go first.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_lane
def backup(lane: Lane, folder: Path | None, keep: int | None, as_json: bool) -> None:
    """Copy the journal, while the till keeps selling, and check the copy.

    The copy is the journal as it stood at one moment (SQLite's online backup), opened again
    and checked whole before it is kept: fairpos-LANE-DATE-TIME.db. Put it back on any machine
    with `fairpos restore FILE`.
    """
    made = lane.backup(folder, keep)
    if as_json:
        emit_json({"path": str(made.path), "device_id": made.contents.device_id,
                   "entries": made.contents.sales, "last_seq": made.contents.last_seq,
                   "shifts": made.contents.shifts, "open_shift": made.contents.open_shift,
                   "labels": made.contents.labels, "removed": [str(p) for p in made.removed]})
        return
    click.echo(_("Journal copied and checked: {path}").format(path=made.path))
    click.echo(held_text(made.contents))
    for path in made.removed:
        click.echo(_("Removed the older copy {path}").format(path=path.name))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_lane
def restore(lane: Lane, file: Path) -> None:
    """Put a journal copy made by `fairpos backup` in place, on this machine or a new one.

    The lane keeps its device id (it travels in the copy). Refused over a journal that holds
    anything the copy does not — a later sale, shift, count or label, or another lane's work;
    a journal that is replaced is kept beside it first. Close the till before restoring.
    """
    held, kept = lane.restore(file)
    click.echo(_("Journal restored from {path}: lane {device}").format(
        path=file, device=held.device_id))
    click.echo(held_text(held))
    if kept is not None:
        click.echo(_("The journal it replaced is kept as {path}").format(path=kept))


@main.command("check")
@pass_lane
def check_lane(lane: Lane) -> None:
    """Check the lane: its settings read, its journal opened (brought up to date for this
    version) and found whole and consistent. Exit 0 when all is in order; an update switches
    to a new version only when this passes with it."""
    from importlib.metadata import version

    held = lane.check()
    click.echo(_("fairpos {version}: the settings and the journal of lane {device} are in "
                 "order").format(version=version("fairpos"), device=held.device_id))
    click.echo(held_text(held))
