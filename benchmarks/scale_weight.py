"""Scale to screen at the till, as a person sees it, against the till's own key echo.

The till runs in a real pseudo-terminal (rendered by pyte) with a continuous-output indicator on
a second pseudo-terminal. Measured in one run:

* frame to screen: a stable frame with a new weight is written to the scale's line; the clock
  stops when that weight is on the rendered screen. Baseline: one key typed on the entry line
  until its echo is on the screen (the floor for showing anything at all).
* weigh key to line: with a steady weight streaming (20 frames a second), ``101`` is typed and
  F1 pressed; the clock stops when the new line and its count are on the screen. Baseline: the
  same product with the weight typed by hand (the Enter that completes it).

    python -m benchmarks.scale_weight [--samples N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

from benchmarks.terminal import Terminal, compile_sources
from benchmarks.till_keys import prepare_lane

F1, F8, ENTER, BACKSPACE = b"\x1bOP", b"\x1b[19~", b"\r", b"\x7f"
PLACEHOLDER = "PLU, barcode or name"


class Indicator:
    """A continuous-output indicator on a pty: single frames on demand, or a steady stream."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.grams = 0
        self._streaming = threading.Event()
        self._thread = threading.Thread(target=self._stream, daemon=True)
        self._thread.start()

    @staticmethod
    def frame(grams: int) -> bytes:
        return f"ST,GS,+{grams / 1000:8.3f} kg\r\n".encode()

    def send(self, grams: int) -> float:
        self.grams = grams
        os.write(self.master, self.frame(grams))
        return time.perf_counter()

    def stream(self, on: bool) -> None:
        (self._streaming.set if on else self._streaming.clear)()

    def _stream(self) -> None:
        while True:
            self._streaming.wait()
            try:
                os.write(self.master, self.frame(self.grams))
            except OSError:
                return
            time.sleep(0.05)


def figures(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def kilos(grams: int) -> str:
    return f"{grams / 1000:.3f} kg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    compile_sources()
    scale = Indicator()
    env = {"FAIRPOS_SCALE__URL": scale.path, "FAIRPOS_SCALE__PROTOCOL": "continuous",
           "FAIRPOS_SCALE__BYTESIZE": "8", "FAIRPOS_SCALE__PARITY": "N"}
    frame_ms, echo_ms, weigh_ms, typed_ms = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare_lane(folder, products=200)
        till = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(folder), "--lang",
                         "en", "till"], env=env)
        try:
            till.wait_for(lambda t: "40 lines" in t)
            # the first frame may come while the till is still setting the port up, and be
            # read torn: one frame again and again until a weight is read whole
            for _attempt in range(60):
                scale.send(1000)
                try:
                    till.wait_for(lambda t: kilos(1000) in t, timeout=1.0)
                    break
                except TimeoutError:
                    continue
            for k in range(args.samples):
                grams = 1001 + k
                sent = scale.send(grams)
                frame_ms.append((till.wait_for(lambda t, g=grams: kilos(g) in t) - sent) * 1000)
                sent = till.send(b"9")  # the entry line's placeholder gives way to the key
                echo_ms.append((till.wait_for(lambda t: PLACEHOLDER not in t) - sent) * 1000)
                till.send(BACKSPACE)
                till.wait_for(lambda t: PLACEHOLDER in t)
            scale.stream(True)
            for k in range(args.samples):
                grams = 1500 + 10 * k
                scale.grams = grams
                till.wait_for(lambda t, g=grams: kilos(g) in t and "steady" in t)
                till.send(b"101")
                till.wait_for(lambda t: PLACEHOLDER not in t)
                sent = till.send(F1)
                weigh_ms.append((till.wait_for(lambda t: "41 lines" in t) - sent) * 1000)
                till.send(F8 + F8)  # (the second F8 confirms)
                till.wait_for(lambda t: "40 lines" in t)
                till.send(b"101\r")
                till.wait_for(lambda t: "Weight of" in t)
                till.send(b"1.25")
                till.wait_for(lambda t: "1.25" in t)
                sent = till.send(ENTER)
                typed_ms.append((till.wait_for(lambda t: "41 lines" in t) - sent) * 1000)
                till.send(F8 + F8)  # (the second F8 confirms)
                till.wait_for(lambda t: "40 lines" in t)
        finally:
            till.close()
    compare("stable frame to weight on screen", frame_ms, "key to its echo", echo_ms)
    compare("weigh key (F1) to line on screen", weigh_ms, "typed weight, Enter to line",
            typed_ms)


def compare(name: str, ms: list[float], base_name: str, base: list[float],
            measured: str = "fairpos till") -> None:
    """Median and p99 of ``ms`` beside those of the baseline measured in the same run."""
    median, p99 = figures(ms)
    b_median, b_p99 = figures(base)
    print(f"{name}, {len(ms)} samples")
    print(f"  baseline: {base_name:<34} median {b_median:7.2f} ms   p99 {b_p99:7.2f} ms")
    print(f"  {measured:<44} median {median:7.2f} ms   p99 {p99:7.2f} ms")
    print(f"  ratio {'':<38} median {median / b_median:5.2f}x   p99 {p99 / b_p99:5.2f}x")


if __name__ == "__main__":
    main()
