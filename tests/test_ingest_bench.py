"""The reconnection-wave benchmark measures what it says: its floor writes, row for row, what
the ledger writes for the same batches (so the ratio compares like with like), on a small wave
through a real ledger process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from benchmarks.ingest import COLUMNS, build, floor_sqlite, template_day, through_ledger
from fairpos.ledger.store import open_ledger


def table_rows(db: Path, table: str) -> Counter[tuple[object, ...]]:
    columns = COLUMNS[table].replace("received_at, ", "")  # (when: the ledger's own clock)
    ledger = open_ledger(db)
    try:
        return Counter(tuple(row) for row in ledger.all(f"SELECT {columns} FROM {table}"))
    finally:
        ledger.close()


def test_the_floor_writes_every_row_the_ledger_writes(tmp_path: Path) -> None:
    stalls = build(template_day(tmp_path, 230), 2)  # two batches each: 200 and 30
    assert [len(batch["sales"]) for batch in stalls[0].rows] == [200, 30]
    floor = floor_sqlite(tmp_path / "floor.db", stalls)
    wave = through_ledger(str(tmp_path / "ledger.db"), stalls, tmp_path, 1)
    assert len(floor.latencies) == len(wave.latencies) == 4
    for table in COLUMNS:
        written = table_rows(tmp_path / "ledger.db", table)
        assert written, table
        assert table_rows(tmp_path / "floor.db", table) == written, table
