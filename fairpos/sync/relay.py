"""The stall's side of sync: push the outbox to the ledger, pull catalog and rates, close the day.

The relay reads the outbox oldest first and sends batches of at most 200 entries with the
device's token. Entries are marked acknowledged only after the ledger's whole reply has been
read and checked; a timeout, a reset, a cut reply or a 5xx is an *unknown outcome*: the same
entries are sent again, unchanged, later (the ledger answers ``duplicate`` for what it already
has). Rejected and conflicting entries are quarantined on the stall and shown; they never
block the rest of the queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from fairpos.domain.catalog import CatalogError, parse_catalog
from fairpos.domain.money import MoneyError, check_currency, parse_rate
from fairpos.i18n import _
from fairpos.journal import Journal
from fairpos.sync.sale_entries import check_entry
from fairpos.sync.shift_entries import read_shift_entry, shift_wire, split_shift_id
from fairpos.sync.wire import MAX_BATCH, DayFigures, WireError, encode_body, sale_to_wire

TIMEOUT = httpx.Timeout(30.0, connect=10.0, pool=5.0)
TILL_TIMEOUT = httpx.Timeout(20.0, connect=5.0, pool=5.0)  # the till tries again soon anyway


def timeout_of(seconds: float) -> httpx.Timeout:
    """A timeout of ``seconds`` per read, connecting in at most 10 s."""
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def _http_error(err: httpx.HTTPError) -> str:
    """What went wrong on the wire, in the volunteer's words (never the system's
    ``[Errno 111] Connection refused``)."""
    said = " ".join(str(err).split()).lower()
    if isinstance(err, httpx.TimeoutException) or "timed out" in said:
        return _("no answer in time")
    for words, meaning in (
            (("refused",), _("nothing answers at the ledger's address")),
            (("name or service not known", "name resolution", "nodename", "no address"),
             _("the ledger's name is not known on this network")),
            (("unreachable", "no route"), _("the network cannot reach the ledger")),
            (("certificate", "ssl", "tls"), _("the ledger's certificate is not trusted")),
            (("reset", "broken pipe", "disconnected", "closed"),
             _("the connection was cut"))):
        if any(word in said for word in words):
            return meaning
    return _("a network fault")


class SyncError(Exception):
    """Sync could not go on; ``unknown``: the ledger may or may not have what was sent (a
    timeout, a reset, a 5xx) — send again later. Otherwise the ledger refused (4xx)."""

    def __init__(self, message: str, unknown: bool = True, code: str | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown and not unreachable
        self.unreachable = unreachable  # no connection was made: nothing was sent
        self.code = code  # the ledger's code for a refusal, when it gives one

    @property
    def transient(self) -> bool:
        """Worth trying again soon: the link may come back, or the reply may get through."""
        return self.unknown or self.unreachable


def _code_of(response: httpx.Response) -> str | None:
    """The ledger's code for an error, in a JSON answer, if it gave one."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


class LedgerClient:
    """The ledger's HTTP API, as one device (its token)."""

    def __init__(self, url: str, token: str, *, timeout: httpx.Timeout = TIMEOUT,
                 transport: httpx.BaseTransport | None = None, keepalive: bool = True) -> None:
        limits = httpx.Limits(max_keepalive_connections=None if keepalive else 0)
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"},
                                 transport=transport, limits=limits)
        # this machine's clock less the ledger's, as its last reply's Date said (to a second)
        self.clock_skew: timedelta | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
            self._note_date(response)
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:  # nothing went out
            raise SyncError(_("no connection ({error})").format(error=_http_error(err)),
                            unreachable=True) from None
        except httpx.HTTPError as err:  # timeouts, resets, cut replies: it may have arrived
            raise SyncError(_("the link broke ({error})").format(error=_http_error(err))
                            ) from None
        if response.status_code >= 500:
            if _code_of(response) == "database-unavailable":  # (said in the lane's language)
                raise SyncError(_("the ledger cannot reach its database ({status}): the "
                                  "entries go again later").format(status=response.status_code))
            raise SyncError(_("the ledger failed ({status})").format(
                status=response.status_code))
        if response.status_code >= 400 and response.status_code != 404:
            code = None
            try:
                body = response.json()
                reason = body.get("error", response.text)
                code = body.get("code") if isinstance(body.get("code"), str) else None
            except (ValueError, AttributeError):
                reason = response.text[:200]
            raise SyncError(_("the ledger refused ({status}): {reason}").format(
                status=response.status_code, reason=reason), unknown=False, code=code)
        return response

    def _note_date(self, response: httpx.Response) -> None:
        try:
            theirs = parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError, IndexError):
            return
        if theirs.tzinfo is not None:
            self.clock_skew = datetime.now(UTC) - theirs

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 404:
            raise SyncError(_("the ledger does not know that (404)"), unknown=False)
        try:
            return response.json()
        except ValueError:
            raise SyncError(_("the ledger's reply was cut or is not JSON")) from None

    def claim(self, device_id: str, enrolment: int | None = None) -> dict[str, Any]:
        """Say which device this token is (a hub says it of one of its fair's enrolments)."""
        body: dict[str, Any] = {"device_id": device_id}
        if enrolment is not None:
            body["enrolment"] = enrolment
        reply = self.json("POST", "/v1/devices/claim", json=body)
        return dict(reply)

    def push(self, device_id: str, sales: list[dict[str, Any]]) -> dict[str, Any]:
        """A batch of sales; the ledger's whole reply, checked."""
        return self._push(device_id, "sales", sales)

    def push_shifts(self, device_id: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """A batch of shift entries (openings and closes); the reply, checked."""
        return self._push(device_id, "shifts", entries)

    def _push(self, device_id: str, what: str, sales: list[dict[str, Any]]
              ) -> dict[str, Any]:
        body = encode_body({"device_id": device_id, what: sales})

        def send() -> Any:
            return self.json("POST", f"/v1/{what}/batch", content=body,
                             headers={"Content-Encoding": "gzip",
                                      "Content-Type": "application/json"})
        try:
            reply = send()
        except SyncError as err:
            if err.code != "not_claimed":
                raise
            # enrolled offline (fairpos connect --offline): this is the lane's first contact
            self.claim(device_id)
            reply = send()
        return check_reply(reply, [s["id"] for s in sales])

    def sync_state(self, device_id: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/v1/devices/{device_id}/sync-state"))

    def day_close(self, device_id: str, figures: dict[str, Any]) -> dict[str, Any]:
        return dict(self.json("POST", f"/v1/devices/{device_id}/day-close", json=figures))

    def published(self, what: str, version: int | None) -> dict[str, Any] | None:
        """The newest catalog or rates, or None when the ledger has nothing newer (304) or
        nothing at all (404)."""
        headers = {"If-None-Match": f'"{version}"'} if version else {}
        response = self.request("GET", f"/v1/{what}", headers=headers)
        if response.status_code in (304, 404):
            return None
        try:
            return dict(response.json())
        except ValueError:
            raise SyncError(_("the ledger's reply was cut or is not JSON")) from None


def check_reply(reply: Any, sent: list[str]) -> dict[str, Any]:
    """The batch reply, only if it is whole and speaks of what was sent."""
    try:
        accepted = [str(i) for i in reply["accepted"]]
        duplicate = [str(i) for i in reply["duplicate"]]
        rejected = [(str(r["id"]), str(r["reason"])) for r in reply["rejected"]]
        conflict = [(str(r["id"]), str(r["reason"])) for r in reply["conflict"]]
        # (held by the ledger until what they name is published there: sent again)
        pending = [(str(r["id"]), str(r["reason"])) for r in reply.get("pending", ())]
        int(reply["max_contiguous_seq"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise SyncError(_("the ledger's reply is incomplete")) from None
    named = {*accepted, *duplicate, *(i for i, _r in rejected), *(i for i, _r in conflict),
             *(i for i, _r in pending)}
    if not named <= set(sent):
        raise SyncError(_("the ledger's reply names entries that were not sent"))
    return {"accepted": accepted, "duplicate": duplicate, "rejected": rejected,
            "conflict": conflict, "pending": pending,
            "max_contiguous_seq": int(reply["max_contiguous_seq"]),
            "upstream": upstream_of(reply)}


def upstream_of(reply: Any) -> dict[str, Any] | None:
    """What a fair's hub said of its link to the centre, for this lane: how many of its
    entries have not reached the centre yet, and when the hub last reached it (None: the
    reply came from the centre, or said nothing readable of it)."""
    upstream = reply.get("upstream") if isinstance(reply, dict) else None
    if not isinstance(upstream, dict):
        return None
    pending, contact = upstream.get("pending"), upstream.get("last_contact")
    if type(pending) is not int or pending < 0 or not isinstance(contact, str | None):
        return None
    return {"pending": pending, "last_contact": None if contact is None else contact[:40]}


@dataclass
class PushReport:
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    batches: int = 0
    shifts: int = 0  # shift entries the ledger answered for
    error: SyncError | None = None
    unsettled: int = 0  # entries of a batch that went out with no answer (sent again later)
    # entries the ledger holds back until what they name is published there (sent again)
    pending: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def with_origins(journal: Journal, wire: dict[str, Any]) -> dict[str, Any]:
    """Say where the entry's prices and rates came from, for the ledger to check: a catalog
    it published (``catalog_published``), each rate's published version (``published``) or
    the reason it was set at this lane (``reason``)."""
    version = wire.get("catalog_version")
    if version is not None and journal.catalog_source(version) == "ledger":
        wire["catalog_published"] = True
    for rate in wire["rates"]:
        origin = journal.rate_origin(rate["base"], rate["quote"], rate["version"])
        if isinstance(origin, int):
            rate["published"] = origin
        else:
            rate["reason"] = origin or ""
    return wire


def next_payloads(journal: Journal, limit: int) -> list[dict[str, Any]]:
    """The next entries to send as wire payloads; a payload is made once, checked against
    the wire schema (as the ledger will), and kept. An entry that fails the check is set
    aside here, with the reason, instead of being sent (sync-status lists it)."""
    def made(entry_id: str) -> tuple[dict[str, Any], str | None]:
        wire = with_origins(journal, sale_to_wire(journal.sale(entry_id)))
        try:
            check_entry(wire)
        except WireError as err:
            return wire, str(err)
        return wire, None

    return _kept_payloads(journal, lambda: journal.outbox_next(limit), made)


def shift_payloads(journal: Journal, limit: int) -> list[dict[str, Any]]:
    """The next shift entries to send, made once and kept like a sale's."""
    def made(entry_id: str) -> tuple[dict[str, Any], str | None]:
        _device, shift, stage = split_shift_id(entry_id)
        wire = shift_to_wire(journal, shift, stage)
        return wire, read_shift_entry(json.dumps(wire).encode()).refused

    return _kept_payloads(journal, lambda: [(i, p) for i, _s, _st, p
                                            in journal.shift_outbox_next(limit)], made)


def _kept_payloads(journal: Journal, pending: Callable[[], list[tuple[str, str | None]]],
                   made: Callable[[str], tuple[dict[str, Any], str | None]]
                   ) -> list[dict[str, Any]]:
    """The ``pending`` entries' payloads: each made (``made``: its wire, and why this lane's
    own check refuses it, if it does) the first time and kept, so that a resend is the same;
    a refused one is set aside with its reason and the next ones take its place."""
    while True:
        entries = pending()
        fresh, failed = [], []
        for entry_id, payload in entries:
            if payload is not None:
                continue
            wire, refused = made(entry_id)
            if refused is not None:
                failed.append((entry_id, _("this lane's own check: {reason}").format(
                    reason=refused)))
                continue
            fresh.append((entry_id, json.dumps(wire, sort_keys=True)))
        if fresh:
            journal.keep_payloads(fresh)
        if failed:
            journal.outbox_settled([], failed, synced=False)
            continue  # the next ones take their places
        kept = dict(fresh)
        return [json.loads(payload or kept[entry_id]) for entry_id, payload in entries]


def shift_to_wire(journal: Journal, shift_id: int, stage: str) -> dict[str, Any]:
    """A shift's opening or close, as the ledger takes it."""
    shift = journal.shift(shift_id)
    return shift_wire(
        journal.device_id, shift.id, stage, business_date=shift.business_date,
        volunteer=shift.volunteer, training=shift.training, opened_at=shift.opened_at,
        floats=journal.floats(shift.id), closed_at=shift.closed_at, reason=shift.close_reason,
        counts=[(r.counted_at, [(c.method, c.currency, c.expected, c.counted) for c in r.lines])
                for r in journal.count_rounds(shift.id)] if stage == "close" else None)


def push_shifts(journal: Journal, client: LedgerClient, report: PushReport,
                batch_size: int = MAX_BATCH) -> None:
    """Send the shift entries pending, as :func:`push` sends sales (into its ``report``)."""
    held: set[str] = set()  # held by the ledger in this push: sent again next time
    while entries := [e for e in shift_payloads(journal, batch_size + len(held))
                      if e["id"] not in held][:batch_size]:
        ids = [e["id"] for e in entries]
        try:
            reply = client.push_shifts(journal.device_id, entries)
        except SyncError as err:
            journal.outbox_failed(ids, str(err), client.clock_skew)
            report.error = err
            return
        quarantined = [*reply["rejected"], *reply["conflict"]]
        journal.outbox_settled([*reply["accepted"], *reply["duplicate"]], quarantined,
                               client.clock_skew, upstream=reply["upstream"])
        journal.outbox_held(reply["pending"])  # (they stay in the outbox, with why)
        report.shifts += len(reply["accepted"]) + len(reply["duplicate"])
        report.quarantined += quarantined
        report.pending += reply["pending"]
        held.update(entry_id for entry_id, _reason in reply["pending"])
        if len(reply["accepted"]) + len(reply["duplicate"]) + len(quarantined) + \
                len(reply["pending"]) == 0:
            report.error = SyncError(_("the ledger took none of the batch"))
            return


def push(journal: Journal, client: LedgerClient, *, batch_size: int = MAX_BATCH,
         after_reply: Callable[[], None] | None = None) -> PushReport:
    """Send everything pending, batch after batch, until the outbox is empty or a send fails:
    the sales, then the shifts' openings and closes.

    The journal is never held while waiting on the network. ``after_reply`` runs between the
    reply and the acks (tests crash the stall there).
    """
    report = PushReport()
    device_id = journal.device_id
    held: set[str] = set()  # held by the ledger in this push: sent again next time
    while True:
        sales = [s for s in next_payloads(journal, batch_size + len(held))
                 if s["id"] not in held][:batch_size]
        if not sales:
            push_shifts(journal, client, report, batch_size)
            if report.error is None and report.batches == 0 and \
                    journal.outbox_summary().at_hub:
                # nothing to send, but the hub had some of ours not at the centre yet:
                # ask how that stands now
                try:
                    journal.note_upstream(upstream_of(client.sync_state(device_id)))
                except SyncError as err:
                    report.error = err
            return report
        ids = [s["id"] for s in sales]
        try:
            reply = client.push(device_id, sales)
        except SyncError as err:
            journal.outbox_failed(ids, str(err), client.clock_skew)
            report.error = err
            report.unsettled = len(sales) if err.unknown else 0
            return report
        if after_reply is not None:
            after_reply()
        quarantined = [*reply["rejected"], *reply["conflict"]]
        journal.outbox_settled([*reply["accepted"], *reply["duplicate"]], quarantined,
                               client.clock_skew, upstream=reply["upstream"])
        journal.outbox_held(reply["pending"])  # (they stay in the outbox, with why)
        report.sent += len(sales)
        report.batches += 1
        report.accepted += len(reply["accepted"])
        report.duplicate += len(reply["duplicate"])
        report.quarantined += quarantined
        report.pending += reply["pending"]
        held.update(entry_id for entry_id, _reason in reply["pending"])
        if len(reply["accepted"]) + len(reply["duplicate"]) + len(quarantined) + \
                len(reply["pending"]) == 0:
            report.error = SyncError(_("the ledger took none of the batch"))
            return report


def pull(journal: Journal, client: LedgerClient, currency: str) -> list[str]:
    """Apply a newer catalog and newer rates from the ledger; what was applied, in words."""
    applied = []
    current = journal.catalog().version if journal.has_catalog() else None
    catalog = client.published("catalog", current)
    if catalog is not None:
        try:
            fmt: Literal["csv", "json"] = "json" if catalog["format"] == "json" else "csv"
            draft = parse_catalog(catalog["body"], fmt, check_currency(catalog["currency"]))
            version = int(catalog["version"])
        except (KeyError, TypeError, ValueError, CatalogError, MoneyError) as err:
            raise SyncError(_("the ledger's catalog cannot be used: {error}").format(
                error=err), unknown=False) from None
        if journal.apply_catalog(draft, catalog["currency"], version, "ledger",
                               str(catalog.get("sha256", ""))):
            applied.append(f"catalog v{version}")
    seen = int(journal.sync_value("rates_version") or 0)
    rates = client.published("rates", seen or None)
    if rates is not None:
        try:
            version = int(rates["version"])
            values = [(check_currency(r["base"]), check_currency(r["quote"]),
                       parse_rate(str(r["value"])), date.fromisoformat(r["effective"]))
                      for r in rates["rates"] if r["base"] == currency]
        except (KeyError, TypeError, ValueError, MoneyError) as err:
            raise SyncError(_("the ledger's rates cannot be used: {error}").format(
                error=err), unknown=False) from None
        if journal.apply_rates([(b, q, Decimal(v), e) for b, q, v, e in values], version):
            applied.append(f"rates v{version}")
    return applied


def day_figures(journal: Journal, business_date: str) -> dict[str, Any]:
    """This device's entries of a business date, figured as the ledger figures them, and
    its shift entries of that date (the ledger says which it lacks)."""
    figures = DayFigures.of(business_date, (sale_to_wire(journal.sale(i))
                                            for i in journal.entry_ids(business_date)))
    return {**figures.to_json(), "shifts": journal.shift_entry_ids(business_date)}
