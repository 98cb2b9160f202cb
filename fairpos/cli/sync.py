"""The lane and the central ledger: ``connect``, ``sync``, ``sync-status``, ``export``, and the
till's own sync process (``sync-worker``, not for people)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fairpos import i18n
from fairpos.cli.base import emit_json, main, pass_lane, refuse
from fairpos.clock import far_from_ledger, skew_words
from fairpos.domain.money import Money
from fairpos.i18n import _, entries_text, format_money
from fairpos.lane import Lane
from fairpos.settings import parse_settings, with_ledger

if TYPE_CHECKING:  # (loaded when a command syncs: the others start without it)
    from fairpos.sync.relay import PushReport, SyncError


@main.command("connect")
@click.argument("url")
@click.option("--token", required=True, help="The token `fairpos ledger enrol` printed.")
@click.option("--offline", is_flag=True,
              help="Keep URL and TOKEN without reaching the ledger (a lane that is never "
                   "online: its bundles carry proof of this enrolment).")
@pass_lane
def connect_ledger(lane: Lane, url: str, token: str, offline: bool) -> None:
    """Check URL and TOKEN against the ledger, then keep them in this lane's settings."""
    from fairpos.sync.relay import LedgerClient, SyncError, timeout_of

    lane.settings  # noqa: B018 - refuse here if the lane has no settings
    old = lane.settings_path.read_text(encoding="utf-8")
    if not url.startswith(("http://", "https://")):
        refuse(_("the ledger's address starts with http:// or https://"))
    if not token.strip():
        refuse(_("the token is empty"))
    where: dict[str, object] = {}
    if not offline:
        with LedgerClient(url, token.strip(), timeout=timeout_of(10)) as client:
            try:
                client.json("GET", "/v1/health")
                where = client.claim(lane.device_id)
            except SyncError as err:
                refuse(_("not connected, settings unchanged: {reason}").format(reason=err))
    new = with_ledger(old, url.rstrip("/"), token.strip())
    parse_settings(new)
    lane.write_settings(new)
    if offline:
        click.echo(_("Enrolment kept for {url}, not checked: device {device} is claimed when "
                     "its first bundle is imported or it first syncs.").format(
            url=url, device=lane.device_id))
        return
    click.echo(_("Connected: device {device} is {fair}, lane {lane}, at {url}.").format(
        device=where.get("device_id"), fair=where.get("fair"), lane=where.get("lane"), url=url))


@main.command()
@click.option("--date", "day", default=None,
              help="Business date to close (YYYY-MM-DD); default: the open shift's, else the "
                   "newest with entries.")
@click.option("--tries", type=click.IntRange(min=1), default=6, show_default=True,
              help="Sends to try while the outcome is unknown (timeouts, resets), with "
                   "growing pauses between them.")
@pass_lane
def sync(lane: Lane, day: str | None, tries: int) -> None:
    """End of day: push every entry, pull a newer catalog and rates, close the day with the
    ledger and print the reconciliation.

    Exit status: 0 the day matched; 2 pending (entries not on the ledger yet, held by it until
    it has the catalog or rates they name, or sent with no answer after every try: run again);
    3 mismatch (the figures differ: call the treasurer);
    1 the ledger refused or cannot be reached (nothing was sent).
    """
    from fairpos.sync.loop import Backoff, close_days, push_until_settled
    from fairpos.sync.relay import SyncError, pull

    journal = lane.outbox
    business_date = day or lane.closing_date()
    if day is not None:
        try:
            business_date = date.fromisoformat(day).isoformat()
        except ValueError:
            refuse(_("“{day}” is not a date (YYYY-MM-DD)").format(day=day))

    tried = 0
    skew_told = False

    def pushed(report: PushReport, again: bool) -> None:
        nonlocal tried, skew_told
        tried += 1
        skew = client.clock_skew
        if not skew_told and skew is not None and far_from_ledger(skew):
            skew_told = True
            click.echo(_("This lane's clock is {far}: check the date and time.").format(
                far=skew_words(skew)), err=True)
        _tell_push(report, tried, tries)

    with lane.ledger_client() as client:
        report = push_until_settled(journal, client, tries=tries,
                                    backoff=Backoff(base=0.5, cap=8.0), pushed=pushed)
        if report.error is not None:
            _not_synced(report.error, journal.outbox_summary().pending, tried)
        keep_days = lane.settings.sync.keep_days
        days = [business_date] if day is not None else sorted(
            {*journal.days_to_close(keep_days), business_date})
        results: dict[str, dict[str, Any]] = {}

        def resent(closing: str, again: PushReport) -> None:
            click.echo(_("Sent again {entries} the ledger lacked ({day}).").format(
                entries=entries_text(again.sent), day=closing))

        try:
            for what in pull(journal, client, lane.settings.money.currency):
                click.echo(_("Applied {what} from the ledger.").format(what=what))
            results = close_days(journal, client, days, resent)
        except SyncError as err:
            if err.unknown:
                click.echo("fairpos: " + _(
                    "the entries are sent; closing the day got no answer ({reason}): run "
                    "fairpos sync again.").format(reason=err), err=True)
                sys.exit(2)
            refuse(_("the entries are sent; closing the day failed ({reason}): run fairpos "
                     "sync again when the connection is back.").format(reason=err))
    for closing, result in results.items():  # the day asked for, and any other not matched
        if closing == business_date or result.get("result") != "match":
            _print_day_close(closing, result)
    quarantined = journal.outbox_summary().quarantined
    if quarantined:
        click.echo(_("Quarantined at the ledger: {entries}; see fairpos sync-status.").format(
            entries=entries_text(quarantined)))
    journal.prune_payloads(keep_days)
    sys.exit(max([2 if report.pending else 0,
                  *({"match": 0, "pending": 2}.get(r.get("result", ""), 3)
                    for r in results.values())]))


def _tell_push(report: PushReport, tried: int, tries: int) -> None:
    """What one push sent, what the ledger quarantined or holds, and why it failed if it did."""
    if report.sent or report.error is None:
        click.echo(_("Sent {entries}: {accepted} new, {duplicate} already there.").format(
            entries=entries_text(report.sent), accepted=report.accepted,
            duplicate=report.duplicate))
    for entry_id, reason in report.quarantined:
        click.echo(_("Quarantined {id}: {reason}").format(id=entry_id, reason=reason))
    if report.pending:
        entry_id, reason = report.pending[0]
        click.echo(_("Held by the ledger until it has what they name: {entries} (the "
                     "first, {id}: {reason}); they wait on this lane and go again.").format(
            entries=entries_text(len(report.pending)), id=entry_id, reason=reason))
    error = report.error
    if error is None:
        return
    if error.unreachable:
        said = _("Try {n} of {tries}: the ledger cannot be reached ({reason}); nothing "
                 "was sent.")
    elif error.unknown:
        said = _("Try {n} of {tries}: {entries} went out but no answer came back "
                 "({reason}); they go again, and the ledger counts nothing twice.")
    else:
        said = _("The ledger refused: {reason}")
    click.echo(said.format(n=tried, tries=tries, entries=entries_text(report.unsettled),
                           reason=error), err=True)


def _not_synced(error: SyncError, waiting: int, tried: int) -> None:
    """The push failed for good: one line, and the exit status that says why (the
    ``waiting`` entries stay on this lane)."""
    if error.unreachable:
        refuse(_("not synced: the ledger cannot be reached. {entries} wait on this "
                 "lane, safe; run fairpos sync again when the connection is back, or "
                 "take them on a USB stick (fairpos export).").format(
            entries=entries_text(waiting)))
    if error.unknown:
        click.echo("fairpos: " + _(
            "not settled: no answer came back after {tries} tries. {entries} wait on "
            "this lane and go again with the next fairpos sync (nothing is counted "
            "twice).").format(tries=tried, entries=entries_text(waiting)), err=True)
        sys.exit(2)
    refuse(_("not synced: the ledger refused ({reason}). {entries} wait on this lane; "
             "ask the ledger's keeper.").format(reason=error, entries=entries_text(waiting)))


def _print_day_close(business_date: str, result: dict[str, Any]) -> None:
    mine = result.get("stall", {})
    totals = ", ".join(format_money(Money(v, c), i18n.active())
                       for c, v in mine.get("totals", {}).items()) or "0"
    verdict = result.get("result")
    if verdict == "match":
        click.echo(_("Day {day}: matched — {entries}, {totals}.").format(
            day=business_date, entries=entries_text(int(mine.get("count", 0))), totals=totals))
    elif verdict == "pending":
        missing = result.get("missing", [])
        click.echo(_("Day {day}: pending — the ledger still lacks {count}: {ids}").format(
            day=business_date, count=len(missing), ids=", ".join(missing[:20])))
    else:
        ledger = result.get("ledger", {})
        click.echo(_("Day {day}: MISMATCH — stall {stall}, ledger {ledger}").format(
            day=business_date, stall=json.dumps(mine, sort_keys=True),
            ledger=json.dumps(ledger, sort_keys=True)))
    if "centre" in result:  # closed at the fair's hub: what the centre said of that day
        centre = result["centre"] if isinstance(result["centre"], dict) else {}
        said = {"match": _("At the centre: matched ({at}).").format(
                    at=str(centre.get("at", ""))[:16]),
                "pending": _("At the centre: pending — entries are still on their way."),
                "mismatch": _("At the centre: MISMATCH — call the treasurer.")}
        click.echo(said.get(str(centre.get("result")), _(
            "At the centre: not closed yet (the hub closes the day there once every entry "
            "has reached it).")))


@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The bundle file to write (e.g. on a USB stick).")
@pass_lane
def export(lane: Lane, out: Path) -> None:
    """Write every entry not yet on the ledger to a bundle for `fairpos ledger import`."""
    from fairpos.sync.bundle import write_bundle
    from fairpos.sync.relay import next_payloads, shift_payloads

    token = lane.settings.ledger.token
    if not token:
        refuse(_("a bundle needs this lane's enrolment: fairpos connect URL --token TOKEN "
                 "(add --offline where the ledger cannot be reached)"))
    journal = lane.outbox
    waiting = journal.outbox_summary()
    sales = next_payloads(journal, waiting.pending)
    shifts = shift_payloads(journal, waiting.shifts_pending)
    try:
        manifest = write_bundle(out, journal.device_id, sales, token, shifts=shifts)
    except OSError as err:
        refuse(_("cannot write {path}: {error}").format(path=out, error=err.strerror or err))
    click.echo(_("Wrote {entries} ({first} … {last}) to {path}.").format(
        entries=entries_text(int(manifest["entries"])), first=manifest["first"] or "-",
        last=manifest["last"] or "-", path=out))
    if shifts:
        click.echo(_("With {count} shift openings and closes.").format(count=len(shifts)))


@main.command("sync-status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_lane
def sync_status(lane: Lane, as_json: bool) -> None:
    """What waits to go to the ledger, since when, and what the ledger set aside."""
    journal = lane.outbox
    summary = journal.outbox_summary()
    quarantined = journal.quarantined()
    behind = journal.clock_behind()
    skew = journal.ledger_clock_skew()
    if as_json:
        emit_json({"pending": summary.pending, "oldest": summary.oldest,
                   "quarantined": [{"id": i, "reason": r} for i, r in quarantined],
                   "last_sync": summary.last_sync, "ledger": lane.settings.ledger.url,
                   "clock_behind_seconds": int(behind.total_seconds()) if behind else None,
                   "ledger_clock_skew_seconds":
                       None if skew is None else int(skew.total_seconds()),
                   "held": [{"id": i, "reason": r} for i, r in journal.held_back()],
                   "at_hub": summary.at_hub, "hub_contact": summary.hub_contact,
                   "shifts_pending": summary.shifts_pending})
        return
    if behind is not None:
        click.echo(_("The clock is behind the last entry of this lane by {minutes} min: check "
                     "the date and time.").format(minutes=int(behind.total_seconds() // 60)))
    if far_from_ledger(skew):
        assert skew is not None
        click.echo(_("At the last sync, this lane's clock was {far}: check the date and "
                     "time.").format(far=skew_words(skew)))
    click.echo(_("Ledger: {url}").format(url=lane.settings.ledger.url or _("not connected")))
    click.echo(_("Waiting to sync: {entries}").format(entries=entries_text(summary.pending))
               + (_(" (oldest {at})").format(at=summary.oldest[:16]) if summary.oldest else ""))
    if summary.shifts_pending:
        click.echo(_("Shift openings and closes waiting: {count}").format(
            count=summary.shifts_pending))
    click.echo(_("Last sync: {at}").format(at=(summary.last_sync or _("never"))[:19]))
    if summary.at_hub is not None:  # synced through a fair's hub, which said how it stands
        contact = (summary.hub_contact or _("never"))[:19]
        if summary.at_hub:
            click.echo(_("At the hub, not at the centre yet: {entries} (the hub last reached "
                         "the centre: {at})").format(entries=entries_text(summary.at_hub),
                                                     at=contact))
        else:
            click.echo(_("Everything at the hub has reached the centre (the hub last reached "
                         "it: {at})").format(at=contact))
    for entry_id, reason in journal.held_back():
        click.echo(_("Held by the ledger {id}: {reason} (it goes again)").format(
            id=entry_id, reason=reason))
    for entry_id, reason in quarantined:
        click.echo(_("Quarantined {id}: {reason}").format(id=entry_id, reason=reason))


@main.command("sync-worker", hidden=True)
@click.option("--period", type=click.FloatRange(min=0.05), default=30.0, show_default=True,
              help="Seconds between runs while the link is up.")
@pass_lane
def sync_worker(lane: Lane, period: float) -> None:
    """The till's sync process: syncs until its standard input closes (a line wakes it);
    prints one JSON line per run. The till starts it; people use `fairpos sync`."""
    from fairpos.sync.relay import TILL_TIMEOUT
    from fairpos.sync.worker import serve

    with lane.ledger_client(timeout=TILL_TIMEOUT) as client:
        serve(lane.outbox, client, period, sys.stdin, sys.stdout,
              keep_days=lane.settings.sync.keep_days)
