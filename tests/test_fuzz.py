"""Random keys at the till: it never crashes and never writes an unbalanced sale."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fairpos.domain.money import Rates
from fairpos.domain.tenders import settle as settle_payment
from fairpos.journal import DB_NAME, Journal
from harness.lanes import make_lane
from tests.till_helpers import make_till, settle

KEYS_PER_SEED = 400
SEEDS = [1, 2, 3]
# What a hurried or confused volunteer might press; weighted towards digits and Enter.
KEYS = (list("0123456789") * 4 + ["enter"] * 12 + list(".*,gkpina") + ["backspace"] * 3
        + ["escape", "up", "down", "tab", "f2", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9",
           "f10", "f11", "f12", "ctrl+u", "delete", "space"])


def assert_journal_balanced(data_dir: Path) -> int:
    store = Journal.open(data_dir / DB_NAME)
    try:
        count = 0
        for shift_id in range(1, 5):
            for sale in store.sales(shift_id):
                count += 1
                assert sale.total.minor == sum(line.amount for line in sale.lines
                                               if not line.voided)
                if sale.kind != "sale":
                    continue
                rates = Rates(sale.total.currency, {r.quote: r for r in sale.rates})
                state = settle_payment(sale.total, sale.tenders, rates, sale.change.currency,
                                       lines=sale.lines)
                assert state.covered, sale.id
                assert state.change == sale.change, sale.id
        return count
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_never_crash_or_unbalance(tmp_path: Path, seed: int) -> None:
    lane = make_lane(tmp_path / "lane")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    rng = random.Random(seed)
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        for _ in range(KEYS_PER_SEED):
            await pilot.press(rng.choice(KEYS))
        await settle(pilot)
        assert app.is_running
    assert_journal_balanced(lane.path)
