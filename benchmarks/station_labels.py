"""A produce line at the lane from a station's label against one weighed at the lane, and the
station's own pace from a bag on the scale to its label printed.

Everything runs in real pseudo-terminals rendered by pyte, with a continuous-output indicator on
a second pseudo-terminal and a fake network printer. Measured in one run:

* the lane, per produce line, from the first key until the line and its count are on the
  screen: the scanner's code and Enter (one trigger pull) against ``101`` and F1 with the
  lane's own scale steady (four keys, the baseline);
* the station: a new weight streamed by the indicator until the screen shows it accepted, then
  F1 until the printer has received the whole label; the baseline is writing the same label's
  bytes straight to the same printer — for a receipt printer (ESC/POS) and for label printers
  in ZPL and in TSPL (``--languages``), each asked how it is in its own language.

    python -m benchmarks.station_labels [--samples N] [--languages escpos,zpl,tspl]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.scale_weight import Indicator, compare, figures, kilos
from benchmarks.terminal import Terminal, compile_sources
from benchmarks.till_keys import prepare_lane
from fairpos.domain.barcodes import encode, parse_layout
from fairpos.printer.connection import parse_url, send
from harness.fake_label_printer import FakeLabelPrinter
from harness.fake_printer import FakePrinter

F1, F8 = b"\x1bOP", b"\x1b[19~"
LAYOUT = "2 1 PPPP C WWWWW C"
CUT = b"\x1dV"


def lane_lines(folder: Path, samples: int) -> tuple[list[float], list[float]]:
    scale = Indicator()
    env = {"FAIRPOS_SCALE__URL": scale.path, "FAIRPOS_SCALE__PROTOCOL": "continuous",
           "FAIRPOS_SCALE__BYTESIZE": "8", "FAIRPOS_SCALE__PARITY": "N",
           "FAIRPOS_BARCODES__LAYOUTS": LAYOUT}
    prepare_lane(folder, products=200)
    layout = parse_layout(LAYOUT)
    scanned, weighed = [], []
    till = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(folder), "--lang", "en",
                     "till"], env=env)
    try:
        till.wait_for(lambda t: "40 lines" in t)
        scale.stream(True)
        for k in range(samples):
            code = encode(layout, "101", grams=1500 + 10 * k).encode()
            sent = till.send(code + b"\r")  # a scanner types the code and Enter
            scanned.append((till.wait_for(lambda t: "41 lines" in t) - sent) * 1000)
            till.send(F8 + F8)  # (the second F8 confirms)
            till.wait_for(lambda t: "40 lines" in t)
            grams = 1505 + 10 * k
            scale.grams = grams
            till.wait_for(lambda t, g=grams: kilos(g) in t and "steady" in t)
            sent = till.send(b"101" + F1)
            weighed.append((till.wait_for(lambda t: "41 lines" in t) - sent) * 1000)
            till.send(F8 + F8)  # (the second F8 confirms)
            till.wait_for(lambda t: "40 lines" in t)
    finally:
        till.close()
        scale.stream(False)
    return scanned, weighed


# what ends a whole label, and where one begins, in each printer's language
ENDS = {"escpos": (CUT, b"\x1b@"), "zpl": (b"^XZ", b"^XA"), "tspl": (b"PRINT 1,1", b"SIZE ")}


def station_labels(folder: Path, samples: int, language: str = "escpos"
                   ) -> tuple[list[float], list[float], list[float]]:
    scale = Indicator()
    printer = FakePrinter() if language == "escpos" else FakeLabelPrinter(language)
    end, begin = ENDS[language]
    env = {"FAIRPOS_SCALE__URL": scale.path, "FAIRPOS_SCALE__PROTOCOL": "continuous",
           "FAIRPOS_SCALE__BYTESIZE": "8", "FAIRPOS_SCALE__PARITY": "N",
           "FAIRPOS_BARCODES__LAYOUTS": LAYOUT, "FAIRPOS_PRINTER__URL": printer.url,
           "FAIRPOS_STATION__LABEL_LANGUAGE": language}
    prepare_lane(folder, products=200)
    settled, printed, floor = [], [], []
    station = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(folder), "--lang",
                        "en", "station"], env=env)
    try:
        station.wait_for(lambda t: "Type the PLU" in t)
        station.send(b"101\r")
        station.wait_for(lambda t: "a kilo" in t)
        scale.stream(True)
        for k in range(samples):
            grams = 1500 + 10 * k
            scale.grams = 0  # the last bag off, this one on
            station.wait_for(lambda t: kilos(0) in t)
            started = time.perf_counter()
            scale.grams = grams
            ready = station.wait_for(lambda t, g=grams: kilos(g) in t and "steady" in t)
            settled.append((ready - started) * 1000)
            cuts = printer.received.count(end)
            sent = station.send(F1)
            done = station.wait_for(lambda t, c=cuts: printer.received.count(end) > c)
            printed.append((done - sent) * 1000)
        label = bytes(printer.received[printer.received.rfind(begin):])
        target = replace(parse_url(printer.url), language=language)
        for _ in range(samples):
            cuts = printer.received.count(end)
            start = time.perf_counter()
            send(target, label)
            while printer.received.count(end) <= cuts:
                time.sleep(0.0005)
            floor.append((time.perf_counter() - start) * 1000)
    finally:
        station.close()
        scale.stream(False)
        printer.close()
    return settled, printed, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--languages", default="escpos,zpl,tspl")
    args = parser.parse_args()
    compile_sources()
    stations = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "lane").mkdir()
        scanned, weighed = lane_lines(Path(tmp) / "lane", args.samples)
        for language in args.languages.split(","):
            (Path(tmp) / language).mkdir()
            stations[language] = station_labels(Path(tmp) / language, args.samples, language)
    compare("a produce line at the lane, first key to the line on screen", scanned,
            "PLU and F1 at the lane's scale (4 keys)", weighed,
            "a label's code and Enter (1 scan)")
    for language, (_settled, printed, floor) in stations.items():
        compare(f"the station ({language}), F1 to the label received whole by the printer",
                printed, "the label's bytes sent straight", floor, "F1 to label printed")
    settled_median, settled_p99 = figures([ms for s in stations.values() for ms in s[0]])
    print(f"the station, a new steady weight on the indicator until accepted on screen: "
          f"median {settled_median:.1f} ms, p99 {settled_p99:.1f} ms (3 equal frames, "
          f"20 frames a second)")


if __name__ == "__main__":
    main()
