"""``fairpos ledger …``: run the central ledger and look after it.

Every command takes ``--db`` (env ``FAIRPOS_LEDGER_DB``) with the same value as ``serve``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from platformdirs import user_data_dir

from fairpos import i18n
from fairpos.cli.base import emit_json, main, refuse
from fairpos.domain.money import Money
from fairpos.domain.tenders import method_label
from fairpos.i18n import N_, _, entries_text, format_money
from fairpos.ledger.limits import (
    FAILOVER_SECONDS,
    IDLE_SECONDS,
    MAX_CONNECTIONS,
    PATIENCE_ENV,
    PER_ADDRESS,
    REQUEST_SECONDS,
    RESERVE,
    SEQ_AHEAD,
    UPSTREAM_PERIOD,
)
from fairpos.ledger.throttle import FREE_ATTEMPTS

if TYPE_CHECKING:  # the ledger's storage is loaded by the commands that use it
    from fairpos.ledger.store import SqlLedger


def default_db() -> str:
    return str(Path(user_data_dir("fairpos", appauthor=False)) / "ledger" / "ledger.db")


db_option = click.option(
    "--db", envvar="FAIRPOS_LEDGER_DB", default=default_db, show_default="per-user data folder",
    help="The ledger's database: a SQLite file, or postgresql://USER@HOST/DB (env: "
         "FAIRPOS_LEDGER_DB); the same for every command.")


def open_store(db: str, seq_ahead: int | None = None, migrate: bool = True) -> SqlLedger:
    """The ledger at ``db``, or one line saying why it cannot be opened."""
    from fairpos.ledger.store import open_ledger

    try:
        return open_ledger(db, seq_ahead=seq_ahead or SEQ_AHEAD, migrate=migrate)
    except (sqlite3.Error, OSError) as err:
        refuse(_("cannot open the ledger at {db}: {error}").format(db=shown(db), error=err))
    except Exception as err:  # psycopg's errors (loaded only with PostgreSQL)
        if type(err).__module__.startswith(("psycopg", "psycopg_pool")):
            refuse(_("cannot open the ledger at {db}: {error}").format(
                db=shown(db), error=" ".join(str(err).split())))
        raise


def shown(db: str) -> str:
    """``db`` as it can be printed: a URL's password left out."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(db)
    if parts.password is None:
        return db
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def command_line() -> str:
    """Who acted at the ledger's command line, for its audit: the system's user."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"command line ({user})"


@contextmanager
def opened(db: str) -> Iterator[SqlLedger]:
    from fairpos.ledger.store import LedgerError

    store = open_store(db)
    try:
        yield store
    except LedgerError as err:
        refuse(str(err))
    finally:
        store.close()


KINDS = (N_("catalog"), N_("rates"))


@main.group()
def ledger() -> None:
    """The central ledger: every stall's sales once, reports, catalog and rates."""


@ledger.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8040, show_default=True,
              help="Port to listen on.")
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Serve https with this certificate (PEM; with --ssl-keyfile).")
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The certificate's private key (PEM).")
@click.option("--request-timeout", type=click.FloatRange(min=0.1), default=REQUEST_SECONDS,
              show_default=True,
              help="Seconds for a request to arrive whole (headers and body); a slower "
                   "client is cut off.")
@click.option("--idle-timeout", type=click.IntRange(min=1), default=IDLE_SECONDS,
              show_default=True, help="Seconds a kept-alive connection may sit idle.")
@click.option("--max-connections", type=click.IntRange(min=1), default=MAX_CONNECTIONS,
              show_default=True, help="Connections at once; past it, requests get 503.")
@click.option("--per-address", type=click.IntRange(min=0), default=PER_ADDRESS,
              show_default=True,
              help="Connections at once from an address that has shown no lane's, hub's or "
                   "admin's token in the last hour (0: no count — behind a reverse proxy, "
                   "which counts by the client's address itself).")
@click.option("--reserve", type=click.IntRange(min=0), default=RESERVE, show_default=True,
              help="Of --max-connections, how many only such known addresses may use.")
@click.option("--seq-ahead", type=click.IntRange(min=1), default=SEQ_AHEAD, show_default=True,
              help="How far past a lane's last entry on the ledger a new entry's number may "
                   "be; further is refused, not stored.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes serving on the one port (more than one: PostgreSQL).")
@click.option("--sign-in-attempts", type=click.IntRange(min=1), default=FREE_ATTEMPTS,
              show_default=True,
              help="Wrong admin tokens from one address before its attempts wait (a wait "
                   "that doubles with each further wrong one).")
@click.option("--read-db", default=None, envvar="FAIRPOS_LEDGER_READ_DB",
              help="A replica (postgresql://…) for the pages, CSV and reports; writes go to "
                   "--db (env: FAIRPOS_LEDGER_READ_DB).")
@click.option("--upstream", default=None, envvar="FAIRPOS_LEDGER_UPSTREAM",
              help="Run as a fair site's hub: the central ledger's URL, to relay this site's "
                   "entries to and learn its lanes, catalog and rates from "
                   "(env: FAIRPOS_LEDGER_UPSTREAM).")
@click.option("--upstream-token", default=None, envvar="FAIRPOS_LEDGER_UPSTREAM_TOKEN",
              help="The hub's token from fairpos ledger enrol-hub at the centre "
                   "(env: FAIRPOS_LEDGER_UPSTREAM_TOKEN).")
@click.option("--upstream-period", type=click.FloatRange(min=0.05), default=UPSTREAM_PERIOD,
              show_default=True, help="Seconds between rounds with the centre while the "
                                      "uplink answers.")
@click.option("--db-patience", type=click.FloatRange(min=0.5, max=300), default=FAILOVER_SECONDS,
              show_default=True,
              help="Seconds a lane's request waits for the database while it cannot be reached "
                   "(a failover: no primary yet) before it is answered 503; keep it under the "
                   "lanes' 30 s.")
@db_option
def serve(host: str, port: int, ssl_certfile: str | None, ssl_keyfile: str | None,
          request_timeout: float, idle_timeout: int, max_connections: int, per_address: int,
          reserve: int, seq_ahead: int,
          workers: int, sign_in_attempts: int, read_db: str | None, upstream: str | None,
          upstream_token: str | None, upstream_period: float, db_patience: float,
          db: str) -> None:
    """Serve the sync API for stalls and the report pages (Ctrl+C stops); with --upstream,
    as a fair site's hub."""
    from fairpos.ledger.server import check_port, run
    from fairpos.ledger.store.backends import is_postgresql

    if (ssl_certfile is None) != (ssl_keyfile is None):
        refuse(_("https needs both --ssl-certfile and --ssl-keyfile"))
    if (upstream is None) != (upstream_token is None):
        refuse(_("a hub needs both --upstream and --upstream-token"))
    if read_db and not is_postgresql(read_db):
        refuse(_("--read-db is a PostgreSQL replica (postgresql://…)"))
    try:
        check_port(host, port)
    except OSError as err:
        refuse(_("cannot listen on {host}:{port} ({reason})").format(
            host=host, port=port, reason=err.strerror or err))
    os.environ[PATIENCE_ENV] = str(db_patience)  # (each worker process reads it)
    open_store(db, seq_ahead).close()  # the tables made, or one line saying why not
    if read_db:
        open_store(read_db, seq_ahead, migrate=False).close()
    scheme = "https" if ssl_certfile else "http"
    if upstream:
        click.echo(_("fairpos hub on {scheme}://{host}:{port} (database {db}), relaying to "
                     "{upstream}").format(scheme=scheme, host=host, port=port, db=shown(db),
                                          upstream=shown(upstream)), err=True)
    else:
        click.echo(_("fairpos ledger on {scheme}://{host}:{port} (database {db})").format(
            scheme=scheme, host=host, port=port, db=shown(db)), err=True)
    run(db, host, port, read_db=read_db, workers=workers, seq_ahead=seq_ahead,
        request_seconds=request_timeout, idle_seconds=idle_timeout,
        max_connections=max_connections, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
        upstream=None if upstream is None or upstream_token is None else
        (upstream, upstream_token, upstream_period), sign_in_attempts=sign_in_attempts,
        per_address=per_address, reserve=reserve)


@ledger.command()
@click.option("--fair", required=True, help="The fair (market) the lane belongs to.")
@click.option("--lane", type=click.IntRange(min=1), required=True, help="The lane's number.")
@db_option
def enrol(fair: str, lane: int, db: str) -> None:
    """Enrol a lane; prints its token once, alone on the last line (only its hash is kept)."""
    with opened(db) as store:
        enrolment, token = store.enrol(fair, lane)
        store.audit(command_line(), "lane enrolled", f"{fair.strip()} · {lane} (#{enrolment})")
    click.echo(_("Enrolled {fair}, lane {lane} as #{enrolment}. Give the stall this token "
                 "(fairpos connect URL --token TOKEN); it is not shown again:").format(
        fair=fair, lane=lane, enrolment=enrolment))
    click.echo(token)


@ledger.command("enrol-hub")
@click.option("--fair", required=True, help="The fair (site) the hub serves.")
@db_option
def enrol_hub(fair: str, db: str) -> None:
    """Enrol a fair site's hub; prints its token once, alone on the last line. The hub relays
    that fair's lanes (fairpos ledger serve --upstream URL --upstream-token TOKEN)."""
    with opened(db) as store:
        hub, token = store.enrol_hub(fair)
        store.audit(command_line(), "hub enrolled", f"{fair.strip()} (#{hub})")
    click.echo(_("Enrolled a hub for {fair} as hub #{hub}. Start it with fairpos ledger serve "
                 "--upstream URL --upstream-token TOKEN; the token is not shown again:").format(
        fair=fair, hub=hub))
    click.echo(token)


@ledger.command()
@click.argument("name")
@click.option("--timezone", required=True, metavar="ZONE",
              help="The fair's time zone, as the zone database names it (America/Caracas).")
@db_option
def fair(name: str, timezone: str, db: str) -> None:
    """A fair's settings at the ledger: the time zone its pages show hours in (sales by hour),
    whatever clock each of its lanes kept."""
    with opened(db) as store:
        zone = store.set_timezone(name, timezone)
    click.echo(_("{fair}: hours in {zone} time on the pages from now on.").format(
        fair=name.strip(), zone=zone))


@ledger.command()
@click.argument("device")
@db_option
def revoke(device: str, db: str) -> None:
    """Revoke a device's token: DEVICE is its id, or #N (its enrolment) if never connected."""
    with opened(db) as store:
        found = store.revoke(device)
        store.audit(command_line(), "lane revoked", found.device_id or f"#{found.enrolment}")
    click.echo(_("Revoked {device} ({fair}, lane {lane}).").format(
        device=found.device_id or f"#{found.enrolment}", fair=found.fair, lane=found.lane))


@ledger.command("admin-token")
@click.option("--revoke", "revoked", metavar="TOKEN", default=None,
              help="Revoke this admin token instead, and end every session signed in "
                   "with it.")
@db_option
def admin_token(revoked: str | None, db: str) -> None:
    """Make a token for the report pages; printed once, alone on the last line."""
    with opened(db) as store:
        if revoked is not None:
            if not store.revoke_admin(revoked.strip()):
                refuse(_("that is not an admin token of this ledger"))
            store.audit(command_line(), "admin token revoked")
            click.echo(_("Admin token revoked; its sessions are signed out."))
            return
        token = store.admin_token()
        store.audit(command_line(), "admin token made")
    click.echo(_("Admin token for the pages (sign in with it at /login); not shown again:"))
    click.echo(token)


@ledger.command()
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the copy (default: backups, beside the ledger's "
                                 "file). Another disk or machine is safer.")
@click.option("--keep", type=click.IntRange(1, 1000), default=14, show_default=True,
              help="How many copies to keep there; the oldest go first.")
@db_option
def backup(folder: Path | None, keep: int, db: str) -> None:
    """Copy a ledger on SQLite while it serves, and check the copy.

    The copy (ledger-DATE-TIME.db) is the ledger at one moment, found whole before it is
    kept. A ledger on PostgreSQL is copied with pg_dump or a base backup (docs/operations.md).
    """
    with opened(db) as store:
        made, removed = store.backup(folder or Path(db).parent / "backups", keep)
    click.echo(_("Ledger copied and checked: {path}").format(path=made))
    for path in removed:
        click.echo(_("Removed the older copy {path}").format(path=path.name))


@ledger.command()
@db_option
def status(db: str) -> None:
    """Where the ledger's tables are: its SQLite file, or each PostgreSQL server the URL names
    (a cluster's nodes), which is the primary it writes to and which are standbys."""
    from fairpos.ledger.store.backends import is_postgresql, nodes_of

    if not is_postgresql(db):
        path = Path(db)
        if not path.exists():
            refuse(_("there is no ledger at {db}").format(db=db))
        click.echo(_("SQLite file {path} ({size} MB)").format(
            path=path, size=f"{path.stat().st_size / 1e6:.1f}"))
        return
    found = nodes_of(db)
    words = {"primary": _("primary: the ledger writes here"), "standby": _("standby")}
    for host, port, role in found:
        said = words.get(role) or _("unreachable ({why})").format(
            why=role.removeprefix("unreachable: "))
        click.echo(f"{host}:{port}  {said}")
    if not any(role == "primary" for _host, _port, role in found):
        refuse(_("no primary answers: the ledger cannot write now"))


@ledger.command("migrate")
@click.option("--from", "source", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The SQLite ledger to move (its file).")
@click.option("--to", "target", required=True,
              help="An empty PostgreSQL database: postgresql://USER@HOST/DB.")
def migrate_ledger(source: Path, target: str) -> None:
    """Move a SQLite ledger into PostgreSQL, whole, in one transaction; then count, sum and
    hash every table on both sides and print them (exit 1 if anything differs)."""
    from fairpos.ledger.move import move
    from fairpos.ledger.store import LedgerError, PostgresLedger, SqliteLedger
    from fairpos.ledger.store.backends import is_postgresql

    if not is_postgresql(target):
        refuse(_("--to is a PostgreSQL database (postgresql://…)"))
    old = open_store(str(source))
    new = open_store(target)
    try:
        assert isinstance(old, SqliteLedger) and isinstance(new, PostgresLedger)
        compared = move(old, new)
    except LedgerError as err:
        refuse(str(err))
    finally:
        old.close()
        new.close()
    same = True
    heads = (_("table"), _("rows"), _("sum"), _("hash of the rows"))
    click.echo(f"{heads[0]:<16} {heads[1]:>10} {heads[2]:>18}  {heads[3]}")
    for mine, theirs in compared:
        agree = mine == theirs
        same = same and agree
        click.echo(f"{mine.table:<16} {mine.rows:>10,} "
                   f"{'' if mine.total is None else f'{mine.total:,}':>18}  "
                   f"{mine.digest[:16]}  {'=' if agree else '≠'}")
        if not agree:
            click.echo(_("  in PostgreSQL: {rows:,} rows, sum {total}, hash {digest}").format(
                rows=theirs.rows, total=theirs.total, digest=theirs.digest[:16]))
    if not same:
        refuse(_("the copy differs from the original: keep using {source}").format(
            source=source))
    click.echo(_("Moved {source} to {target}: every table the same.").format(
        source=source, target=shown(target)))


@ledger.group()
def voucher() -> None:
    """Vouchers and market tokens the lanes take: a tender of any other method is refused."""


@voucher.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Its name on the pages (e.g. 'SNAP token').")
@db_option
def voucher_add(code: str, name: str, db: str) -> None:
    """Accept CODE (as in the lanes' [[vouchers]]) as a payment method from now on."""
    with opened(db) as store:
        store.add_voucher(code.strip(), name)
        store.audit(command_line(), "voucher added", f"{code.strip()} ({name.strip()})")
    click.echo(_("Voucher {code} ({name}) is accepted from now on.").format(
        code=code.strip(), name=name.strip()))


@voucher.command("list")
@db_option
def voucher_list(db: str) -> None:
    """The vouchers this ledger accepts."""
    with opened(db) as store:
        vouchers = store.vouchers()
    if not vouchers:
        click.echo(_("No vouchers: only cash, card, pago móvil, biopago and other."))
    for code, name in vouchers.items():
        click.echo(f"{code}\t{name}")


@ledger.group()
def statement() -> None:
    """The fair's bank statements, to reconcile pago móvil tenders with (the page
    /pago-movil)."""


@statement.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", required=True, metavar="CODE",
              help="The bank's code, which says how its statement is written: 0102 Banco de "
                   "Venezuela, 0105 Mercantil, 0108 Provincial, 0134 Banesco.")
@click.option("--fair", default=None,
              help="The fair whose account this is (default: the network's, for every fair).")
@db_option
def statement_import(file: Path, bank: str, fair: str | None, db: str) -> None:
    """Import a bank statement (CSV: date, reference, amount, phone). Lines already imported
    are not counted twice; a file wrong anywhere is refused whole, with the line. At most
    1,000,000 lines and 128 MiB a file: a larger one is split by date."""
    from fairpos.ledger.statements import MAX_BYTES, too_large

    try:
        if file.stat().st_size > MAX_BYTES:
            refuse(f"{file.name}: {too_large()}")
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = file.read_bytes().decode("cp1252")  # (what some banks' exports are in)
        except (OSError, UnicodeDecodeError) as err:
            refuse(_("cannot read {path}: {error}").format(path=file, error=err))
    except OSError as err:
        refuse(_("cannot read {path}: {error}").format(path=file, error=err))
    with opened(db) as store:
        read, new = store.import_statement(bank.strip(), file.name, text,
                                           fair.strip() if fair else None)
        store.audit(command_line(), "statement imported",
                    f"{file.name}: {read} / {new}")
    click.echo(_("{name}: {read} statement lines read, {new} new, {old} already "
                 "imported.").format(name=file.name, read=read, new=new, old=read - new))


@ledger.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--currency", default="USD", show_default=True,
              help="Pricing currency of a catalog file.")
@db_option
def publish(file: Path, currency: str, db: str) -> None:
    """Publish a catalog (CSV/JSON) or a rates file (base,quote,rate,effective) as a new
    version for the stalls."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        refuse(_("cannot read {path}: {error}").format(path=file, error=err))
    with opened(db) as store:
        kind, version = store.publish(text, file.name, currency.strip().upper())
        store.audit(command_line(), f"{kind} published", f"v{version} · {file.name}")
    click.echo(_("Published {kind} version {version} from {name}.").format(
        kind=_(kind), version=version, name=file.name))


@ledger.command("import")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def import_bundle(bundle: Path, db: str) -> None:
    """Import a stall's bundle (fairpos export) or a hub's site bundle (fairpos ledger
    export), with the same idempotency as a sync."""
    from fairpos.sync.bundle import BundleError, read_bundle, read_site_bundle
    from fairpos.sync.wire import MAX_HUB_BATCH, entry_bytes

    try:
        site = read_site_bundle(bundle)
        reads = site if site is not None else [read_bundle(bundle)]
    except BundleError as err:
        refuse(str(err))
    with opened(db) as store:
        for read in reads:  # every lane's proof first: a site bundle goes in whole or not
            if read.proof is None or store.claim_with_proof(read.device_id, read.proof,
                                                            read.hashes) is None:
                refuse(_("{name} does not prove an enrolment at this ledger for device "
                         "{device} (enrolled with fairpos ledger enrol, and not "
                         "revoked?)").format(name=bundle.name, device=read.device_id))
        for read in reads:
            totals = {"accepted": 0, "duplicate": 0, "rejected": 0, "conflict": 0}
            for sales in read.batches:
                result = store.ingest(read.device_id, sales, "bundle")
                for key in totals:
                    totals[key] += len(getattr(result, key))
            click.echo(_("{name}: device {device}, {accepted} accepted, {duplicate} "
                         "duplicate, {rejected} rejected, {conflict} in conflict.").format(
                name=bundle.name, device=read.device_id, **totals))
            shifts = {key: 0 for key in totals}
            for start in range(0, len(read.shifts), MAX_HUB_BATCH):  # the shifts' entries
                result = store.ingest_shifts(read.device_id, [
                    entry_bytes(e) for e in read.shifts[start:start + MAX_HUB_BATCH]], "bundle")
                for key in shifts:
                    shifts[key] += len(getattr(result, key))
            if read.shifts:
                click.echo(_("Shift openings and closes: {accepted} accepted, {duplicate} "
                             "duplicate, {rejected} rejected, {conflict} in conflict.").format(
                    **shifts))


@ledger.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The site bundle to write (e.g. on a USB stick).")
@click.option("--revoked", is_flag=True,
              help="Write instead the entries set aside, of lanes revoked at the centre.")
@db_option
def export_site(out: Path, revoked: bool, db: str) -> None:
    """At a fair's hub: every lane's entries not yet at the centre, in one site bundle for
    fairpos ledger import at the centre (each lane's part proved for its enrolment). The
    entries of lanes revoked at the centre are left out (the centre would refuse the whole
    bundle for them); --revoked writes those alone, to be kept or looked at."""
    from fairpos.sync.bundle import write_site_bundle

    with opened(db) as store:
        lanes = store.site_backlog(revoked)
        fairs = [row[0] for row in store.all("SELECT DISTINCT fair FROM devices ORDER BY 1")]
        aside = None if revoked else store.upstream_summary()
    if aside and aside["set_aside"]:
        click.echo(_("Left out: {entries} of lanes revoked at the centre ({lanes}); "
                     "--revoked writes them apart.").format(
            entries=entries_text(aside["set_aside"]), lanes=", ".join(aside["set_aside_lanes"])))
    if not lanes:
        click.echo(_("Nothing set aside: no bundle written.") if revoked else
                   _("Nothing waits to go to the centre: no bundle written."))
        return
    try:
        write_site_bundle(out, ", ".join(fairs), lanes)
    except OSError as err:
        refuse(_("cannot write {path}: {error}").format(path=out, error=err.strerror or err))
    click.echo(_("Wrote {entries} of {lanes} lanes, not yet at the centre, to {path}.").format(
        entries=entries_text(sum(len(sales) for _d, _h, sales, _s in lanes)), lanes=len(lanes),
        path=out))


@ledger.command()
@click.option("--date", "day", default=None, help="Business date (YYYY-MM-DD); today if left out.")
@click.option("--fair", default=None, help="Only this fair.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (amounts in minor units of their currency).")
@db_option
def report(day: str | None, fair: str | None, as_json: bool, db: str) -> None:
    """A business date's sales: counts and totals per currency and tender, per lane and in all."""
    try:
        business_date = date.fromisoformat(day).isoformat() if day else date.today().isoformat()
    except ValueError:
        refuse(_("“{day}” is not a date (YYYY-MM-DD)").format(day=day))
    from fairpos.ledger.store.records import to_json

    with opened(db) as store:
        figures = store.report(business_date, fair)
    if as_json:
        emit_json(to_json(figures))
        return
    language = i18n.active()
    click.echo(_("{fair} · {day}: {count} sales").format(
        fair=fair or _("All fairs"), day=business_date, count=figures.sales_count))
    total = _("Total")
    for currency, minor in figures.totals.items():
        click.echo(f"  {total:<16} {format_money(Money(minor, currency), language):>18}")
    for tender in figures.tenders:
        amount = format_money(Money(tender.amount, tender.currency), language)
        click.echo(f"  {method_label(tender.method, figures.vouchers):<16} {amount:>18}")
    for lane in figures.lanes:
        click.echo("  " + _("{fair} lane {lane} ({device}): {count} sales, {total}").format(
            fair=lane.fair, lane=lane.lane, device=lane.device_id, count=lane.sales_count,
            total=format_money(Money(lane.total, lane.currency), language)))


# the accounts' commands join the group (their module needs it whole)
import fairpos.cli.accounts  # noqa: E402, F401
