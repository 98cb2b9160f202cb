"""A fair day with the real program, short: two sites with a hub each, a centre on
PostgreSQL, lanes as processes of their own (one the real till in a terminal), every fault of
the day's plan — and at the end nothing lost, nothing counted twice, every figure equal."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.fair_day import receipts, run_day, z_figures
from benchmarks.workload import catalog_codes, fair_day, sale_plan
from harness.lanes import LaneDir


@pytest.mark.slow
def test_a_short_fair_day_loses_nothing_and_every_figure_agrees(tmp_path: Path,
                                                                postgres: Any) -> None:
    plans = fair_day(sites=2, lanes=2, sales=8, till_sales=3)
    result = run_day(tmp_path, plans, postgres.create(), log=lambda _line: None)
    assert result["problems"] == []
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["sales"] == sum(len(plan.sales) for plan in plans)
    assert result["entries"] == result["sales"] + result["voids"] + result["refunds"]
    assert result["receipts"] == result["sales"]  # every lane prints: one receipt a sale
    assert result["till"]["draft_came_back"]
    assert result["till"]["keys"] == sum(len(s.items) for s in plans[0].sales)
    faults = set(result["faults"])
    assert {"cut site 0", "mend site 0", "cut site 1", "mend site 1", "kill_hub site 1",
            "start_hub site 1", "midday", "paper_out S0L02", "paper_back S0L02",
            "scale_unplugged S1L02", "scale_plugged S1L02"} <= faults
    seen = result["seen"]
    assert seen["S0L02"]["print_failures"] > 0  # out of paper: queued, printed after
    assert seen["S1L02"]["weighed_by_hand"] > 0 < seen["S1L02"]["weighed_at_scale"]
    assert seen["S0L02"]["held"] == 1


def test_the_workload_is_the_same_for_the_same_seed_and_shaped_as_a_fair() -> None:
    assert fair_day(2, 3, 20) == fair_day(2, 3, 20)
    assert fair_day(2, 3, 20) != fair_day(2, 3, 20, seed=7)
    import random

    rng, codes = random.Random(1), catalog_codes()
    sales = [sale_plan(rng, codes) for _ in range(3000)]
    produce_only = [s for s in sales if all(i.how == "class" for i in s.items)]
    assert 0.37 < len(produce_only) / len(sales) < 0.43
    mixed = [s for s in sales if any(i.how != "class" for i in s.items)]
    assert 5 <= sum(len(s.items) for s in mixed) / len(mixed) <= 8
    assert Counter(len(s.payments) for s in sales).keys() == {1, 2, 3, 4}
    assert any(s.change_by_pago_movil for s in sales)
    assert {s.then for s in sales} == {"", "void", "refund"}
    assert any(i.how == "label" for s in sales for i in s.items)
    plans = fair_day(2, 10)
    assert all(150 <= len(p.sales) <= 600 for p in plans if not p.till)
    assert [p.device for p in plans if p.network == "usb"] == ["S1L10"]


def test_the_day_s_checks_see_a_receipt_printed_twice_and_a_z_that_differs(
        tmp_path: Path) -> None:
    """The checks are not blind: the receipts' ids are read off the printer's bytes (a
    reprint aside), and the Z's net tenders take off the change given and sent."""
    from fairpos.printer.layout import text_receipt
    from fairpos.printer.render import render

    lane = LaneDir(tmp_path)
    one = render(text_receipt("S0L02-000001", ["Feria Centro", "Venta S0L02-000001"], 48))
    again = render(text_receipt("S0L02-000001", ["*** REIMPRESIÓN ***",
                                                 "Venta S0L02-000001"], 48))
    (tmp_path / "printed.bin").write_bytes(one + one + again)
    assert receipts(lane) == ["S0L02-000001", "S0L02-000001"]
    z = {"total": "10.00", "tenders": [
        {"method": "cash", "currency": "USD", "amount": "20.00"},
        {"method": "pago_movil", "currency": "VES", "amount": "100.00"}],
        "change": {"USD": "5.00"}, "change_sent": {"VES": "40.00"}}
    assert z_figures(z) == {"total": 1000, "tenders": {"cash:USD": 1500,
                                                       "pago_movil:VES": 6000}}
