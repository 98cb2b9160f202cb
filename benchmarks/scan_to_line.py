"""Scan to line at the till, as a person sees it, against the same code typed.

The till runs in a real pseudo-terminal (rendered by pyte) with a serial barcode scanner on a
second pseudo-terminal and a Magellan scanner-scale (weight and barcodes on one cable) on a
third. For each sample a code goes in three ways, in turn: typed on the till's own terminal
with its Enter (the baseline), sent down the scanner's cable with its suffix, and sent by the
scanner-scale as an ``S08`` frame between its weights; the clock stops when the new line is
on the rendered screen ("41 lines"), and the line is voided again (F8 twice).

    python -m benchmarks.scan_to_line [--samples N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

from benchmarks.scale_weight import compare
from benchmarks.terminal import Terminal, compile_sources
from benchmarks.till_keys import prepare_lane

F8 = b"\x1b[19~"
CODE = "201"  # a product sold by the piece (a scanner sends what its label says)


class Cable:
    """A device's end of a pseudo-terminal; ``answer`` replies to what the till sends."""

    def __init__(self, answer: bool = False) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        if answer:  # a Magellan answers S11 with its steady weight, for ever
            threading.Thread(target=self._weigh, daemon=True).start()

    def _weigh(self) -> None:
        while True:
            try:
                asked = os.read(self.master, 64)
            except OSError:
                return
            for _ in range(asked.count(b"S11\r")):
                os.write(self.master, b"S1101250\r")

    def send(self, data: bytes) -> float:
        os.write(self.master, data)
        return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    compile_sources()
    scanner, magellan = Cable(), Cable(answer=True)
    env = {"FAIRPOS_SCANNER__URL": scanner.path, "FAIRPOS_SCANNER__SUFFIX": "cr",
           "FAIRPOS_SCALE__URL": magellan.path, "FAIRPOS_SCALE__PROTOCOL": "magellan",
           "FAIRPOS_SCALE__BYTESIZE": "7", "FAIRPOS_SCALE__PARITY": "O"}
    typed_ms, scanned_ms, scale_ms = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare_lane(folder, products=200)
        till = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(folder), "--lang",
                         "en", "till"], env=env)
        try:
            till.wait_for(lambda t: "40 lines" in t)
            for _ in range(args.samples):
                for way, taken in ((lambda: till.send(f"{CODE}\r".encode()), typed_ms),
                                   (lambda: scanner.send(f"{CODE}\r".encode()), scanned_ms),
                                   (lambda: magellan.send(f"S08A{CODE}\r".encode()), scale_ms)):
                    sent = way()
                    taken.append((till.wait_for(lambda t: "41 lines" in t) - sent) * 1000)
                    till.send(F8 + F8)  # (the second F8 confirms)
                    till.wait_for(lambda t: "40 lines" in t)
        finally:
            till.close()
    compare("serial scanner, code to line on screen", scanned_ms,
            "the code typed, Enter to line", typed_ms)
    compare("scanner-scale (Magellan), code to line on screen", scale_ms,
            "the code typed, Enter to line", typed_ms)


if __name__ == "__main__":
    main()
