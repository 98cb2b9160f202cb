"""Confirms random sales as fast as it can, printing each id once it is committed.

Used by test_crash.py, which kills the seller with SIGKILL at random moments. To spare the
test an interpreter start per kill, this process loads fairpos once and forks one seller per
seed read on its stdin: the seller opens the journal itself (nothing of SQLite crosses the
fork), prints ``ready PID``, then a sale id per line. Once the seller is dead this process
prints a newline and ``done PID`` — everything the seller wrote is in the pipe before them —
so that a last line the kill cut short is ended there and can be told from the whole ones.
Usage: python tests/crash_worker.py DATA_DIR
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.settings import parse_settings


def sell(data_dir: Path, seed: int) -> None:
    rng = random.Random(seed)
    settings = parse_settings((data_dir / "fairpos.toml").read_text())
    store = Journal.open(data_dir / DB_NAME)
    catalog = store.catalog()
    weighed = [p.plu for p in catalog.products.values() if p.unit == "kg"]
    counted = [p.plu for p in catalog.products.values() if p.unit == "each"]
    print("ready", os.getpid(), flush=True)
    while True:
        cart = Cart(catalog.currency)
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.4:
                cart.add(catalog, rng.choice(weighed), Quantity(grams=rng.randint(50, 5000)))
            else:
                cart.add(catalog, rng.choice(counted), Quantity(count=rng.randint(1, 4)))
        half = cart.total.minor // 2
        tenders = [Tender("cash", Money(half, "USD")),
                   Tender("card", Money(cart.total.minor - half, "USD"),
                          {"ref": str(rng.randint(1, 999999))})]
        tenders = [t for t in tenders if t.amount.minor > 0]
        sale = store.confirm_sale(cart, tenders, "USD", settings)
        print(sale.id, flush=True)


def main() -> None:
    data_dir = Path(sys.argv[1])
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                sell(data_dir, int(line))
            finally:
                os._exit(1)  # (a seller only ever ends by its SIGKILL)
        os.waitpid(pid, 0)
        print(f"\ndone {pid}", flush=True)


if __name__ == "__main__":
    main()
