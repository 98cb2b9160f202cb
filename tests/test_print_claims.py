"""Two drainers on one print queue: each job is claimed by one of them and printed once; a
drainer killed after its bytes went out leaves the job 'uncertain', one killed before leaves it
to be printed once its claim expires."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from fairpos.journal import DB_NAME, Journal
from fairpos.printer.connection import parse_url
from fairpos.printer.spool import print_pending
from harness.fake_printer import FakePrinter
from harness.lanes import LaneDir, make_lane, wait_until
from tests.till_helpers import make_till, settle, until

JOBS = 50


def lane_printing_to(tmp_path: Path, url: str) -> LaneDir:
    lane = make_lane(tmp_path / "lane")
    lane.run("shift", "open", "--volunteer", "Ana")
    text = (lane.path / "fairpos.toml").read_text()
    (lane.path / "fairpos.toml").write_text(text.replace('url = "none"\nprofile',
                                                         f'url = "{url}"\nprofile', 1))
    return lane


def queue_jobs(lane: LaneDir, count: int, size: int = 0) -> None:
    """``count`` pages that say which they are (``JOB 007``), padded to ``size`` bytes."""
    journal = Journal.open(lane.path / DB_NAME)
    try:
        for n in range(1, count + 1):
            page = f"JOB {n:03d}\n".encode() + b"." * max(0, size - 8) + b"\n"
            journal.queue_print("report", page)
    finally:
        journal.close()


def states(lane: LaneDir) -> list[str]:
    with lane.db() as conn:
        return [r[0] for r in conn.execute("SELECT state FROM print_jobs ORDER BY id")]


def printed_once(received: bytes) -> Counter[int]:
    return Counter(int(n) for n in re.findall(rb"JOB (\d{3})", received))


def retry(lane: LaneDir) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path),
                             "--lang", "en", "printer", "retry"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_command_line_drainers_print_each_job_once(tmp_path: Path) -> None:
    printer = FakePrinter(seconds_per_receipt=0.02)  # a real printer takes its time
    try:
        lane = lane_printing_to(tmp_path, printer.url)
        queue_jobs(lane, JOBS)
        first, second = retry(lane), retry(lane)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
        assert [p.returncode for p in (first, second)] == [0, 0], outputs
        counted = printed_once(bytes(printer.received))
        assert counted == Counter(range(1, JOBS + 1))  # every job, each once
        printed = [int(re.search(rb"Printed (\d+)", out).group(1))  # type: ignore[union-attr]
                   for out, _err in outputs]
        assert sum(printed) == JOBS  # what the drainers say adds up to what was printed
        assert states(lane) == ["printed"] * JOBS
    finally:
        printer.close()


async def test_the_tills_printer_and_a_command_line_retry_print_each_job_once(
        tmp_path: Path) -> None:
    printer = FakePrinter(seconds_per_receipt=0.02)
    try:
        lane = lane_printing_to(tmp_path, printer.url)
        queue_jobs(lane, JOBS)
        # claims expire by the clock: the till keeps the same time as the command line here
        app = make_till(lane.path, clock=lambda: datetime.now().astimezone())
        async with app.run_test() as pilot:
            cli = retry(lane)  # started while the till drains the same queue
            await settle(pilot)
            await until(pilot, lambda: "pending" not in states(lane))
            with lane.db() as conn:
                errors = [r[0] for r in conn.execute(
                    "SELECT last_error FROM print_jobs WHERE state <> 'printed'")]
            assert states(lane) == ["printed"] * JOBS, errors
            _out, err = cli.communicate(timeout=120)
            assert cli.returncode == 0, err
        assert printed_once(bytes(printer.received)) == Counter(range(1, JOBS + 1))
    finally:
        printer.close()


def fifo_printer(path: Path, read_first: int) -> tuple[threading.Thread, bytearray]:
    """A printer at the end of a named pipe that takes ``read_first`` bytes, then stops
    reading (the paper jams): the drainer is left blocked mid-receipt."""
    os.mkfifo(path)
    got = bytearray()

    def jam() -> None:
        with path.open("rb", buffering=0) as pipe:
            while len(got) < read_first:
                got.extend(pipe.read(read_first - len(got)))
            time.sleep(3600)

    reader = threading.Thread(target=jam, daemon=True)
    reader.start()
    return reader, got


def sent_at(lane: LaneDir) -> list[str | None]:
    with lane.db() as conn:
        return [r[0] for r in conn.execute("SELECT sent_at FROM print_jobs ORDER BY id")]


def test_a_drainer_killed_mid_receipt_leaves_it_uncertain(tmp_path: Path) -> None:
    fifo = tmp_path / "printer"
    _reader, got = fifo_printer(fifo, 1000)
    lane = lane_printing_to(tmp_path, f"file://{fifo}")
    queue_jobs(lane, 2, size=256 * 1024)  # more than a pipe holds: the write blocks
    drainer = retry(lane)
    wait_until(lambda: len(got) >= 1000 and sent_at(lane)[0] is not None, "the first job is sent")
    os.kill(drainer.pid, signal.SIGKILL)
    drainer.wait(timeout=30)
    assert states(lane) == ["pending", "pending"]  # claimed by a drainer that is gone
    # the next look at the queue says so at once, not when the claim expires
    status = lane.run("printer", "status").stdout
    assert "Receipts waiting: 1" in status and states(lane)[0] == "uncertain"
    healthy = FakePrinter()
    journal = Journal.open(lane.path / DB_NAME)
    try:
        result = print_pending(journal, parse_url(healthy.url))
        assert (result.printed, result.pending, result.uncertain) == (1, 0, 1)
    finally:
        journal.close()
        healthy.close()
    assert states(lane) == ["uncertain", "printed"]
    assert printed_once(bytes(healthy.received)) == Counter([2])  # job 1 is not sent again


def test_a_drainer_killed_before_sending_leaves_the_job_to_be_claimed_again(
        tmp_path: Path) -> None:
    fifo = tmp_path / "printer"
    os.mkfifo(fifo)  # nobody reads: opening the printer blocks, nothing is sent
    lane = lane_printing_to(tmp_path, f"file://{fifo}")
    queue_jobs(lane, 2)
    drainer = retry(lane)

    def claimed() -> bool:
        with lane.db() as conn:
            return conn.execute("SELECT claimed_by FROM print_jobs WHERE id = 1"
                                ).fetchone()[0] is not None
    wait_until(claimed, "the first job is claimed")
    os.kill(drainer.pid, signal.SIGKILL)
    drainer.wait(timeout=30)
    assert sent_at(lane) == [None, None]
    now_journal = Journal.open(lane.path / DB_NAME)
    healthy = FakePrinter()
    try:  # its drainer is gone and nothing went out: both print now, once each
        result = print_pending(now_journal, parse_url(healthy.url))
        assert (result.printed, result.pending, result.uncertain) == (2, 0, 0)
    finally:
        now_journal.close()
        healthy.close()
    assert states(lane) == ["printed", "printed"]
    assert printed_once(bytes(healthy.received)) == Counter([1, 2])
