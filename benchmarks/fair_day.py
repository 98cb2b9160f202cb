"""A whole fair day with the real program: sites, hubs, lanes, a centre, and things breaking.

By default 2 sites, each with a hub (``fairpos ledger serve --upstream``) and 10 lanes, and a
centre on PostgreSQL (a server started for the run). Every lane is a process of its own with
its own data folder, network printer and scale on a pseudo-terminal, selling its part of the
day's workload (:mod:`benchmarks.workload`) headless (:mod:`benchmarks.fair_lane`) — except
site 0's first lane, the real till in a real terminal, typed at key by key. Through the day:
each site's uplink cut for a stretch, one hub SIGKILLed and started again, the till SIGKILLed
in the middle of a sale and started again (the sale on screen comes back), a printer out of
paper, a scale unplugged and plugged back, the rate and the catalog changed at the centre at
midday, and one lane with no network at all that travels by USB bundle.

At the end every shift is closed with its count (one short), every lane runs the end-of-day
``fairpos sync``, and the day is checked: each lane's Z against the centre's figures for it,
each hub's against its lanes', the centre's fair report against the sum of its lanes; nothing
lost, nothing counted twice; every receipt printed is for a sale the centre has, and no sale
has two. It prints a table and writes it as JSON (``lost`` and ``duplicated`` in it).

    python -m benchmarks.fair_day [--sites 2] [--lanes 10] [--sales N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.fair_lane import LABEL_LAYOUT
from benchmarks.terminal import Terminal, compile_sources
from benchmarks.workload import DAY_EVENTS, FIXTURES, DayEvent, LanePlan, fair_day
from fairpos.domain.barcodes import parse_layout
from fairpos.domain.station import weigh
from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store.records import to_json
from fairpos.sync.relay import day_figures
from harness.escpos_text import decode
from harness.fake_printer import FakePrinter
from harness.fake_scale import FakeScale
from harness.fault_proxy import FaultProxy
from harness.lanes import LaneDir, make_lane
from harness.sync_helpers import LedgerServer

ROOT = Path(__file__).resolve().parent.parent
FAIRS = ("Feria Centro", "Feria Norte", "Feria Sur", "Feria Este", "Feria Oeste")
F2, ENTER = b"\x1bOQ", b"\r"
RECEIPT_TITLE = re.compile(r"(?:^|\])(?:Venta|Sale) ([A-Z0-9]+-\d{6})$", re.MULTILINE)


def fair_of(site: int) -> str:
    return FAIRS[site % len(FAIRS)] + ("" if site < len(FAIRS) else f" {site}")


@dataclass
class Site:
    number: int
    uplink: FaultProxy
    hub: LedgerServer


@dataclass
class Progress:
    """Sales done across the fair, as the lanes report them."""

    planned: int
    done: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, device: str, sold: int) -> None:
        with self.lock:
            self.done[device] = sold

    @property
    def fraction(self) -> float:
        with self.lock:
            return sum(self.done.values()) / max(1, self.planned)


class TillLane:
    """The real till in a real terminal, typed at from its plan, its keys timed (from the
    Enter that adds a line to the line count on the rendered screen); SIGKILLed in the middle
    of sale ``kill_at`` and started again."""

    def __init__(self, lane: LaneDir, plan: LanePlan, progress: Progress) -> None:
        self.lane, self.plan, self.progress = lane, plan, progress
        self.printer = FakePrinter()
        self.scale = FakeScale("sics", grams=0, link=lane.path / "ttyScale")
        self.env = {"FAIRPOS_PRINTER__URL": self.printer.url,
                    "FAIRPOS_SCALE__URL": str(lane.path / "ttyScale"),
                    "FAIRPOS_SCALE__PROTOCOL": "sics"}
        # (a label's code in a weight layout is the PLU and the grams: any catalog version)
        journal = Journal.open(lane.path / DB_NAME)
        try:
            self.catalog = journal.catalog()
        finally:
            journal.close()
        self.keys_ms: list[float] = []
        self.came_back = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="till", daemon=True)

    def start_till(self) -> Terminal:
        return Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(self.lane.path),
                         "--lang", "en", "till"], columns=110, lines=34, env=self.env)

    def entry_of(self, how: str, code: str, grams: int, count: int) -> str:
        if how in ("class", "scale"):
            return f"{code.lower() if how == 'class' else code}*{grams / 1000:.3f}"
        if how == "label":
            product = self.catalog.product(code)
            assert product is not None
            return weigh(self.catalog, product, grams, parse_layout(LABEL_LAYOUT)).code
        return f"{count or 1}*{code}"

    def _run(self) -> None:
        try:
            self._day()
        except BaseException as err:  # told by the conductor
            self.error = err

    def _day(self) -> None:
        till = self.start_till()
        try:
            till.wait_for(lambda t: "0 lines" in t, timeout=120)
            for number, sale in enumerate(self.plan.sales):
                for index, item in enumerate(sale.items):
                    till.send(self.entry_of(item.how, item.code, item.grams, item.count)
                              .encode())
                    seen = re.compile(rf"\b{index + 1} lines?\b")
                    sent = till.send(ENTER)
                    shown = till.wait_for(lambda t, s=seen: bool(s.search(t)), timeout=120)
                    self.keys_ms.append((shown - sent) * 1000)
                    if number == self.plan.kill_at and index + 1 == min(2, len(sale.items)):
                        till = self._kill_and_start(till, index + 1)
                till.send(F2)
                till.wait_for(lambda t: "Enter alone: the exact amount" in t, timeout=120)
                till.send(ENTER)
                till.wait_for(lambda t: "Enter confirms" in t, timeout=120)
                till.send(ENTER)
                till.wait_for(lambda t: "confirmed" in t, timeout=120)
                self.progress.add(self.plan.device, number + 1)
            time.sleep(1.0)  # the last receipt and sync round
        finally:
            till.close()
            self.scale.unplug()
            (self.lane.path / "printed.bin").write_bytes(bytes(self.printer.received))
            self.printer.close()

    def _kill_and_start(self, till: Terminal, lines: int) -> Terminal:
        """SIGKILL, as a power cut: the till and nothing else. Started again, the sale that
        was on screen must be back."""
        time.sleep(0.3)  # the draft is written after the key, off the screen's path
        till.process.send_signal(signal.SIGKILL)
        till.process.wait(timeout=10)
        till.close()
        again = self.start_till()
        again.wait_for(lambda t: "is back" in t, timeout=120)
        self.came_back = bool(re.search(rf"\b{lines} lines?\b", again.text()))
        return again


def bare_keys(stop: threading.Event) -> list[float]:
    """The bare Textual app, one key at a time while the fair sells (the same machine)."""
    from benchmarks.till_keys import measure

    bare = Terminal([sys.executable, str(ROOT / "benchmarks" / "bare_table_app.py")])
    timings: list[float] = []
    try:
        bare.wait_for(lambda t: "40 lines" in t)
        while not stop.is_set():
            timings += measure(bare, 1, b"\r", Decimal("1.20"), Decimal("48.00"),
                               lambda k: "41")
            time.sleep(0.2)
    finally:
        bare.close()
    return timings


@contextmanager
def everything(folder: Path, plans: list[LanePlan], centre_db: str
               ) -> Iterator[tuple[LedgerServer, list[Site]]]:
    centre = LedgerServer(centre_db, log=folder / "centre.log")
    morning = folder / "rates-morning.csv"  # the day's rate, published before it opens
    morning.write_text(f"base,quote,rate,effective\nUSD,VES,414.04,{date.today()}\n")
    publish(morning, centre_db)
    sites: list[Site] = []
    try:
        for number in range(1 + max(plan.site for plan in plans)):
            with centre.store() as ledger:
                token = ledger.enrol_hub(fair_of(number))[1]
            uplink = FaultProxy(centre.port, seed=number)
            hub = LedgerServer(folder / f"hub{number}.db", publish=False,
                               log=folder / f"hub{number}.log", options=[
                "--upstream", uplink.url, "--upstream-token", token,
                "--upstream-period", "0.5"])
            sites.append(Site(number, uplink, hub))
        yield centre, sites
    finally:
        for site in sites:
            site.hub.stop()
            site.uplink.close()
        centre.stop()


def set_up_lane(folder: Path, plan: LanePlan, centre: LedgerServer, site: Site) -> LaneDir:
    lane = make_lane(folder / plan.device, device_id=plan.device)
    settings = (lane.path / "fairpos.toml").read_text()
    settings = settings.replace('name = "Feria de Consumo Familiar del Centro"',
                                f'name = "{fair_of(plan.site)}"')
    settings = settings.replace("lane = 1", f"lane = {plan.lane}")
    settings = settings.replace('# [barcodes]\n# layouts = ["2 1 PPPP C WWWWW C"]',
                                f'[barcodes]\nlayouts = ["{LABEL_LAYOUT}"]')
    (lane.path / "fairpos.toml").write_text(settings)
    lane.run("rate", "set", "VES", "414.04", "--effective", str(date.today()))
    token = centre.enrol(fair_of(plan.site), plan.lane)
    if plan.network == "usb":
        lane.run("connect", centre.url, "--token", token, "--offline")
        return lane
    deadline = time.monotonic() + 60
    while True:
        with site.hub.store() as ledger:
            if ledger.device_for_token(token) is not None and ledger.catalog() is not None:
                break
        if time.monotonic() > deadline:
            raise TimeoutError("the hub did not learn its lanes from the centre")
        time.sleep(0.1)
    lane.run("connect", site.hub.url, "--token", token)
    return lane


def publish(path: Path, centre_db: str) -> None:
    """``fairpos ledger publish PATH --db CENTRE``, in this process (a start the less)."""
    LaneDir(path.parent).run("ledger", "publish", str(path), "--db", centre_db)


def midday(folder: Path, centre_db: str) -> None:
    """A new rate and a new catalog version at the centre: the class G kilo goes up."""
    rates = folder / "rates-midday.csv"
    rates.write_text(f"base,quote,rate,effective\nUSD,VES,421.50,{date.today()}\n")
    catalog = folder / "catalog-midday.csv"
    catalog.write_text((FIXTURES / "feria-catalog.csv").read_text().replace(
        "class,G,,Feria grande,Large fair price,kg,1.20", "class,G,,Feria grande,"
        "Large fair price,kg,1.25"))
    for path in (rates, catalog):
        publish(path, centre_db)


def run_events(sites: list[Site], progress: Progress, folder: Path, centre_db: str,
               done: Callable[[], bool], log: Callable[[str], None]) -> dict[str, float]:
    """The day's site-wide events, each when its share of the sales is done."""
    happened: dict[str, float] = {}
    pending: list[DayEvent] = [e for e in DAY_EVENTS if e.site < len(sites)]
    settle_until = 0.0  # a fault lasts 2 s at least, however fast the sales go
    while pending:
        fraction = 1.0 if done() else progress.fraction
        while pending and pending[0].at <= fraction and time.monotonic() >= settle_until:
            event = pending.pop(0)
            if event.what in ("cut", "kill_hub"):
                settle_until = time.monotonic() + 2.0
            site = sites[event.site]
            if event.what == "cut":
                site.uplink.cut()
            elif event.what == "mend":
                site.uplink.mend()
            elif event.what == "kill_hub":
                site.hub.kill()
            elif event.what == "start_hub":
                site.hub.start()
            elif event.what == "midday":
                midday(folder, centre_db)
            name = event.what if event.what == "midday" else f"{event.what} site {event.site}"
            happened[name] = time.monotonic()
            log(f"  {fraction:4.0%} of the sales: {name}")
        time.sleep(0.05)
    return happened


def close_shift(lane: LaneDir, short: bool) -> dict[str, Any]:
    """The blind count: the drawer as expected (one lane 5 dollars short, with its reason),
    the slips of every other tender as taken."""
    x = lane.json("report")
    less = {"USD": Decimal(5) if short else Decimal(0)}
    counts = [f"{currency}:{max(Decimal(amount), Decimal(0)) - less.get(currency, 0)}"
              for currency, amount in x["drawer"].items()]
    taken: Counter[tuple[str, str]] = Counter()
    for row in x["tenders"]:
        if row["method"] != "cash":
            taken[(row["method"], row["currency"])] += int(Decimal(row["amount"]) * 100)
    counts += [f"{method}:{currency}:{Decimal(minor) / 100}"
               for (method, currency), minor in taken.items() if minor > 0]
    args = [part for count in counts for part in ("--count", count)]
    if short:
        args += ["--reason", "faltan 5 dólares: un billete dado de más"]
    z: dict[str, Any] = lane.json("shift", "close", *args)
    return z


def z_figures(z: dict[str, Any]) -> dict[str, Any]:
    """What the Z says came in, as the ledger figures a day: net tenders per method and
    currency (change given in cash and sent by pago móvil taken off), the total."""
    tenders: Counter[str] = Counter()
    for row in z["tenders"]:
        tenders[f"{row['method']}:{row['currency']}"] += round(Decimal(row["amount"]) * 100)
    for currency, amount in z["change"].items():
        tenders[f"cash:{currency}"] -= round(Decimal(amount) * 100)
    for currency, amount in (z.get("change_sent") or {}).items():
        tenders[f"pago_movil:{currency}"] -= round(Decimal(amount) * 100)
    return {"total": round(Decimal(z["total"]) * 100),
            "tenders": {k: v for k, v in sorted(tenders.items()) if v}}


def receipts(lane: LaneDir) -> list[str]:
    """The sale ids on the receipts the lane's printer received (reprints aside)."""
    path = lane.path / "printed.bin"
    text = decode(path.read_bytes()) if path.exists() else ""
    printed = []
    for receipt in text.split("[CUT"):
        if "REPRINT" in receipt or "REIMPRESIÓN" in receipt:
            continue
        printed += RECEIPT_TITLE.findall(receipt)
    return printed


def run_day(folder: Path, plans: list[LanePlan], centre_db: str, *, bare: bool = False,
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """The whole day; the figures and the checks' outcome."""
    started = time.monotonic()
    progress = Progress(sum(len(plan.sales) for plan in plans))
    with everything(folder, plans, centre_db) as (centre, sites):
        lanes = {plan.device: set_up_lane(folder, plan, centre, sites[plan.site])
                 for plan in plans}
        log(f"set up: a centre, {len(sites)} hubs, {len(lanes)} lanes "
            f"({time.monotonic() - started:.1f} s)")
        day_started = time.monotonic()
        runners: dict[str, subprocess.Popen[str]] = {}
        till: TillLane | None = None
        for plan in plans:
            lane = lanes[plan.device]
            if plan.till:
                journal = Journal.open(lane.path / DB_NAME)
                journal.open_shift("Voluntaria de la caja 1",
                                   {"USD": plan.float_usd, "VES": plan.float_ves})
                journal.close()
                till = TillLane(lane, plan, progress)
                till.thread.start()
                continue
            (lane.path / "plan.json").write_text(json.dumps(plan.to_json()))
            runners[plan.device] = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.fair_lane", str(lane.path),
                 str(lane.path / "plan.json"), str(lane.path / "seen.json")],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=(lane.path / "lane.log").open("w"),
                text=True)

        def follow(device: str, process: subprocess.Popen[str]) -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("sold "):
                    progress.add(device, int(line.split()[1]))

        followers = [threading.Thread(target=follow, args=item, daemon=True)
                     for item in runners.items()]
        for thread in followers:
            thread.start()
        stop_bare = threading.Event()
        bare_ms: list[float] = []
        bare_thread = threading.Thread(target=lambda: bare_ms.extend(bare_keys(stop_bare)),
                                       daemon=True) if bare and till is not None else None
        if bare_thread is not None:
            bare_thread.start()

        def lanes_done() -> bool:
            return all(p.poll() is not None for p in runners.values()) and (
                till is None or not till.thread.is_alive())

        events = run_events(sites, progress, folder, centre_db, lanes_done, log)
        for device, process in runners.items():
            if process.wait() != 0:
                raise RuntimeError(f"lane {device} failed: see {lanes[device].path}/lane.log")
        if till is not None:
            till.thread.join()
            if till.error is not None:
                raise RuntimeError(f"the till lane failed: {till.error}")
        stop_bare.set()
        if bare_thread is not None:
            bare_thread.join()
        sold_at = time.monotonic()
        log(f"the lanes sold their day ({sold_at - day_started:.1f} s)")

        seen = {device: json.loads((lane.path / "seen.json").read_text())
                for device, lane in lanes.items() if (lane.path / "seen.json").exists()}
        for device, info in seen.items():
            events.update({f"{name} {device}": at for name, at in info["events"].items()})
        healed = max(at for name, at in events.items()
                     if not name.startswith(("cut", "kill", "paper_out", "scale_unplugged")))

        # -- the end of the day --------------------------------------------------------------
        short = next(plan.device for plan in plans if not plan.till)
        zs = {plan.device: close_shift(lanes[plan.device], plan.device == short)
              for plan in plans}
        business_date = str(next(iter(zs.values()))["business_date"])
        for plan in plans:
            lane = lanes[plan.device]
            if plan.network == "usb":
                bundle = folder / "stick" / f"{plan.device}.zip"
                bundle.parent.mkdir(exist_ok=True)
                lane.run("export", "--out", str(bundle))
                lane.run("ledger", "import", str(bundle), "--db", centre_db)
        unsynced = []
        for plan in plans:
            if plan.network == "usb":
                continue
            for _ in range(30):
                if lanes[plan.device].run("sync", ok=False).exit_code == 0:
                    break
                time.sleep(0.5)
            else:
                unsynced.append(plan.device)
        figures = {device: day_figures_of(lane, business_date) for device, lane in lanes.items()}

        def centre_matches() -> bool:
            with centre.store() as ledger:
                return all(ledger.day_figures(device, business_date).to_json() == mine
                           for device, mine in figures.items())

        deadline = time.monotonic() + 300
        while not centre_matches() and time.monotonic() < deadline:
            time.sleep(0.2)
        matched_at = time.monotonic()
        log(f"every day matched at the centre ({matched_at - sold_at:.1f} s after the lanes "
            f"were done)")
        result = check(centre, sites, plans, lanes, zs, figures, business_date, unsynced)
        result.update({
            "lanes": len(plans), "sites": len(sites),
            "wall_seconds": round(matched_at - started, 1),
            "selling_seconds": round(sold_at - day_started, 1),
            "reconcile_after_last_fault_seconds": round(matched_at - healed, 1),
            "faults": sorted(events),
            "sync_entries_per_second": round(result["entries"] / max(0.001,
                                                                    matched_at - day_started), 1),
            "seen": seen,
        })
        report = result["report"]
        result["lines"] = sum(len(sale.items) for plan in plans for sale in plan.sales)
        result["kilos"] = round(sum(row["grams"] for key in ("products", "price_classes")
                                    for row in report.get(key, [])) / 1000, 1)
        result["totals"] = report["totals"]
        result["tenders"] = {f"{row['method']}:{row['currency']}": row["amount"]
                             for row in report["tenders"]}
        if till is not None:
            result["till"] = {"keys": len(till.keys_ms), "draft_came_back": till.came_back,
                              **quantiles("key_to_screen_ms", till.keys_ms)}
        if bare_ms:
            result["bare"] = {"keys": len(bare_ms), **quantiles("key_to_screen_ms", bare_ms)}
        return result


def quantiles(name: str, ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms) or [0.0]
    return {f"{name}_median": round(statistics.median(ordered), 1),
            f"{name}_p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)}


def day_figures_of(lane: LaneDir, business_date: str) -> dict[str, Any]:
    journal = Journal.open(lane.path / DB_NAME)
    try:
        figures = day_figures(journal, business_date)
    finally:
        journal.close()
    figures.pop("shifts", None)
    return figures


def check(centre: LedgerServer, sites: list[Site], plans: list[LanePlan],
          lanes: dict[str, LaneDir], zs: dict[str, dict[str, Any]],
          figures: dict[str, dict[str, Any]], business_date: str,
          unsynced: list[str]) -> dict[str, Any]:
    problems: list[str] = [f"{device}: its end-of-day sync never matched"
                           for device in unsynced]
    with centre.store() as ledger:
        held = {device: ledger.day_figures(device, business_date).to_json() for device in lanes}
        rows = ledger.all("SELECT device_id, id FROM sales")
        report = ledger.report(business_date)
        fair_reports = {fair_of(site.number): ledger.report(business_date, fair_of(site.number))
                        for site in sites}
    ids_at_centre = Counter(str(row[1]) for row in rows)
    entries_at_lanes: set[str] = set()
    for device, lane in lanes.items():
        journal = Journal.open(lane.path / DB_NAME)
        try:
            entries_at_lanes |= {journal.sale(i).id for i in journal.entry_ids(business_date)}
        finally:
            journal.close()
        z = z_figures(zs[device])
        theirs = held[device]
        if z["total"] != theirs["totals"].get("USD", 0) or z["tenders"] != theirs["tenders"]:
            problems.append(f"{device}: its Z {z} is not the centre's {theirs}")
        if figures[device] != theirs:
            problems.append(f"{device}: its day {figures[device]} is not the centre's {theirs}")
    for site in sites:
        with site.hub.store() as hub:
            for plan in plans:
                if plan.site == site.number and plan.network == "hub":
                    theirs = hub.day_figures(plan.device, business_date).to_json()
                    if theirs != figures[plan.device]:
                        problems.append(f"hub {site.number}: {plan.device} is {theirs}, "
                                        f"not {figures[plan.device]}")
    for fair, fair_report in fair_reports.items():
        summed = sum(z_figures(zs[plan.device])["total"] for plan in plans
                     if fair_of(plan.site) == fair)
        said = int(fair_report.totals.get("USD", 0))
        if said != summed:
            problems.append(f"{fair}: the centre's report says {said}, "
                            f"its lanes {summed}")
    lost = len(entries_at_lanes - set(ids_at_centre))
    duplicated = sum(count - 1 for count in ids_at_centre.values()) + len(
        set(ids_at_centre) - entries_at_lanes)
    printed: Counter[str] = Counter()
    for lane in lanes.values():
        printed.update(receipts(lane))
    unknown = [sale for sale in printed if sale not in ids_at_centre]
    twice = [sale for sale, count in printed.items() if count > 1]
    if unknown:
        problems.append(f"receipts of sales the centre does not have: {unknown[:5]}")
    if twice:
        problems.append(f"sales with two receipts: {twice[:5]}")
    sales = list(zs.values())
    return {
        "business_date": business_date, "problems": problems, "lost": lost,
        "duplicated": duplicated, "entries": len(ids_at_centre),
        "receipts": sum(printed.values()),
        "sales": sum(int(z["sales_count"]) for z in sales),
        "voids": sum(int(z["voids"]["count"]) for z in sales),
        "refunds": sum(int(z["refunds"]["count"]) for z in sales),
        "report": to_json(report),
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"fair day {result['business_date']}: {result['sites']} sites, "
             f"{result['lanes']} lanes",
             f"  sales {result['sales']:,} (voids {result['voids']}, refunds "
             f"{result['refunds']}), entries at the centre {result['entries']:,}, receipts "
             f"{result['receipts']:,}",
             f"  lost {result['lost']}, duplicated {result['duplicated']}, problems "
             f"{len(result['problems'])}",
             f"  wall {result['wall_seconds']} s (selling {result['selling_seconds']} s), "
             f"reconciled {result['reconcile_after_last_fault_seconds']} s after the last "
             f"fault healed, {result['sync_entries_per_second']} entries/s to the centre",
             f"  faults: {', '.join(result['faults'])}",
             f"  lines {result['lines']:,}, kilos {result['kilos']:,}, totals "
             + ", ".join(f"{cur} {minor / 100:,.2f}" for cur, minor in result["totals"].items()),
             "  tenders " + ", ".join(f"{key} {minor / 100:,.2f}"
                                      for key, minor in result["tenders"].items())]
    if "till" in result and "bare" in result:
        till, bare = result["till"], result["bare"]
        ratio = till["key_to_screen_ms_p99"] / max(0.1, bare["key_to_screen_ms_p99"])
        lines.append(f"  key to screen during the day: till median "
                     f"{till['key_to_screen_ms_median']} ms p99 {till['key_to_screen_ms_p99']} ms"
                     f" ({till['keys']} keys); bare Textual app median "
                     f"{bare['key_to_screen_ms_median']} ms p99 {bare['key_to_screen_ms_p99']} ms"
                     f" ({bare['keys']} keys); p99 ratio {ratio:.2f}x;"
                     f" the sale on screen came back after the kill: {till['draft_came_back']}")
    for problem in result["problems"]:
        lines.append(f"  PROBLEM {problem}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2)
    parser.add_argument("--lanes", type=int, default=10)
    parser.add_argument("--sales", type=int, default=None,
                        help="each lane's sales (default: 150–600, drawn per lane)")
    parser.add_argument("--till-sales", type=int, default=40)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sqlite", action="store_true", help="the centre on SQLite")
    args = parser.parse_args()
    compile_sources()
    from harness.postgres import Postgres

    with tempfile.TemporaryDirectory(prefix="fair-day-") as tmp:
        folder = Path(tmp)
        server = None if args.sqlite else Postgres(connections=300)
        try:
            centre_db = str(folder / "centre.db") if server is None else server.create()
            plans = fair_day(args.sites, args.lanes, args.sales, args.till_sales)
            result = run_day(folder, plans, centre_db, bare=True)
        finally:
            if server is not None:
                server.remove()
    print(table(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=str))
    sys.exit(1 if result["problems"] or result["lost"] or result["duplicated"] else 0)


if __name__ == "__main__":
    main()
