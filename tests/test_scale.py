"""Scales: each protocol against a fake scale on a pseudo-terminal; frames and the stable rule
under noise; unplug and replug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpos.scale.frames import (
    PARSERS,
    Command,
    Reading,
    StableWeight,
    continuous_answer,
    magellan_code,
    parse_continuous,
    parser_for,
    sics_answer,
    sma_answer,
    to_grams,
    toledo_answer,
)
from fairpos.scale.port import Scale, ScaleWatch
from fairpos.settings import ScaleSettings
from harness.fake_scale import FRAMES, FakeScale, magellan_frame
from harness.lanes import make_lane, wait_until

LINE = {"toledo8217": (9600, 7, "E", 1), "sics": (9600, 8, "N", 1), "cas": (9600, 8, "N", 1),
        "continuous": (4800, 8, "N", 1), "sma": (9600, 8, "N", 1), "magellan": (9600, 7, "O", 1)}


def scale_settings(protocol: str, url: str) -> ScaleSettings:
    baud, bits, parity, stop = LINE[protocol]
    return ScaleSettings(url=url, protocol=protocol, baudrate=baud, bytesize=bits,
                         parity=parity, stopbits=stop)


@pytest.mark.parametrize("protocol", sorted(FRAMES))
def test_each_protocol_against_a_fake_scale(protocol: str) -> None:
    fake = FakeScale(protocol, grams=1250)
    scale = Scale(scale_settings(protocol, fake.path))
    try:
        reading = scale.read()
        assert (reading.state, reading.grams) == ("stable", 1250)
        baud, bits, parity, stop = LINE[protocol]
        # Linux ptys keep the speed and stop bits but force 8N (pty_set_termios), so data bits
        # and parity are checked on the port as the program opened it.
        assert (fake.line_settings()[0], fake.line_settings()[3]) == (baud, stop)
        assert scale.port is not None
        assert (scale.port.baudrate, scale.port.bytesize, scale.port.parity,
                scale.port.stopbits) == (baud, bits, parity, stop)
        fake.state = "unstable"
        assert scale.read().state == "unstable" or protocol == "continuous"
        for state in ("overload", "under_zero"):
            if protocol == "cas" and state == "under_zero":
                continue
            fake.state = state
            readings = [scale.read() for _ in range(3)]
            assert readings[-1].state == state and readings[-1].grams is None
        assert scale.command(1)  # tare
    finally:
        scale.close()
        fake.unplug()


def test_a_timeout_is_never_a_weight() -> None:
    fake = FakeScale("toledo8217")
    fake.protocol = "silent"  # answers nothing
    scale = Scale(scale_settings("toledo8217", fake.path), timeout=0.1)
    try:
        reading = scale.read()
        assert reading.state == "error" and reading.grams is None
    finally:
        scale.close()
        fake.unplug()


def test_unplug_and_replug_without_a_restart(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB0"  # what udev would name the adapter
    fake = FakeScale("sics", grams=800, link=link)
    scale = Scale(scale_settings("sics", str(link)), timeout=0.2)
    assert scale.read().grams == 800
    fake.unplug()
    assert scale.read().state in ("disconnected", "error")
    assert scale.read().state == "disconnected"  # and not a stale 800 g
    again = FakeScale("sics", grams=950, link=link)
    assert scale.read().grams == 950
    scale.close()
    again.unplug()


def test_stable_rule_needs_the_same_weight_n_times() -> None:
    rule = StableWeight(3)
    stable = Reading("stable", 1250)
    assert rule.feed(stable) is None and rule.feed(stable) is None
    assert rule.feed(stable) == stable
    assert rule.feed(Reading("stable", 1255)) is None  # moved: count again
    assert rule.feed(Reading("unstable", 1255)) is None
    assert rule.feed(Reading("stable", 0)) is None  # an empty scale is never a weight


@settings(max_examples=300)
@given(protocol=st.sampled_from(sorted(FRAMES)), grams=st.integers(1, 60_000),
       state=st.sampled_from(["stable", "unstable"]))
def test_a_valid_frame_is_always_read(protocol: str, grams: int, state: str) -> None:
    reading = PARSERS[protocol](FRAMES[protocol](grams, state))
    if protocol in ("toledo8217", "magellan") and state == "unstable":
        assert reading.state == "unstable" and reading.grams is None
    else:
        assert (reading.state, reading.grams) == (state, grams)


@settings(max_examples=500)
@given(protocol=st.sampled_from(sorted(FRAMES)), grams=st.integers(1, 60_000),
       cut=st.integers(0, 30), noise=st.binary(max_size=20), flip=st.integers(0, 40))
def test_a_corrupt_or_partial_frame_never_gives_a_weight(protocol: str, grams: int, cut: int,
                                                         noise: bytes, flip: int) -> None:
    parse = PARSERS[protocol]
    good = FRAMES[protocol](grams, "stable")
    damaged = [good[:cut] if cut < len(good) else good[:-1], noise]
    if flip < len(good):
        changed = bytearray(good)
        changed[flip] ^= 0x40  # one bit wrong on the line
        damaged.append(bytes(changed))
    for frame in damaged:
        if frame != good:
            assert parse(frame).state != "stable", frame
    # Garbage around a frame never makes up a weight: if it still reads, it reads the truth.
    for frame in (noise + good[1:], good[:-1] + noise, noise + good):
        reading = parse(frame)
        assert reading.state != "stable" or reading.grams == grams, frame


@given(readings=st.lists(st.tuples(st.sampled_from(["stable", "unstable", "error"]),
                                   st.sampled_from([0, 1250, 1300])), max_size=30))
def test_flapping_never_accepts_an_unstable_or_changing_weight(
        readings: list[tuple[str, int]]) -> None:
    rule = StableWeight(3)
    history: list[Reading] = []
    for state, grams in readings:
        reading = Reading(state, grams if state != "error" else None)  # type: ignore[arg-type]
        history.append(reading)
        accepted = rule.feed(reading)
        if accepted is not None:
            assert accepted.grams and all(r.state == "stable" and r.grams == accepted.grams
                                          for r in history[-3:])


def test_to_grams() -> None:
    assert to_grams(" 1.250") == 1250 and to_grams("850", "g") == 850
    assert to_grams("1.2345") is None and to_grams("1,25") is None and to_grams("") is None


def test_scale_read_command(tmp_path: Path) -> None:
    fake = FakeScale("continuous", grams=2350)
    lane = make_lane(tmp_path / "lane")
    text = (lane.path / "fairpos.toml").read_text().replace(
        '[scale]\nurl = "none"\nprotocol = "toledo8217"\nbaudrate = 9600\nbytesize = 7\n'
        'parity = "E"', f'[scale]\nurl = "{fake.path}"\nprotocol = "continuous"\n'
                       'baudrate = 4800\nbytesize = 8\nparity = "N"')
    (lane.path / "fairpos.toml").write_text(text)
    out = lane.run("scale", "read", "--count", "4").stdout.splitlines()
    assert out[0].split() == ["steady", "2.350", "kg"]
    assert out[2].endswith("accepted")
    fake.unplug()
    assert "no scale is configured" in make_lane(tmp_path / "none").fail("scale", "read")


def test_scale_read_watch_says_once_that_the_scale_is_gone(tmp_path: Path) -> None:
    """Unplugged, the scale is looked for twice a second and said to be gone once — not
    thousands of lines a second — and its readings come back when it is plugged in."""
    import signal
    import subprocess
    import sys

    link = tmp_path / "ttyUSB0"
    lane = make_lane(tmp_path / "lane")
    text = (lane.path / "fairpos.toml").read_text().replace(
        '[scale]\nurl = "none"\nprotocol = "toledo8217"\nbaudrate = 9600\nbytesize = 7\n'
        'parity = "E"', f'[scale]\nurl = "{link}"\nprotocol = "continuous"\n'
                       'baudrate = 4800\nbytesize = 8\nparity = "N"')
    (lane.path / "fairpos.toml").write_text(text)
    out = tmp_path / "watch.txt"
    with out.open("wb") as sink:
        # Ctrl+C as at a terminal: the suite may run as a background job, whose children
        # inherit SIGINT ignored (a shell without job control does that)
        watch = subprocess.Popen([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path),
                                  "--lang", "es", "scale", "read", "--watch"], stdout=sink,
                                 preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                  signal.SIG_DFL))
    fake = None
    try:
        wait_until(lambda: "no está conectada" in out.read_text() or watch.poll() is not None,
                   "the watch says the scale is gone")
        assert watch.poll() is None, out.read_text()
        fake = FakeScale("continuous", grams=2350, link=link)
        wait_until(lambda: out.read_text().count("2,350 kg") >= 3 or watch.poll() is not None,
                   "readings once the scale is plugged in")  # plugged in: readings again
        assert watch.poll() is None, out.read_text()
    finally:
        watch.send_signal(signal.SIGINT)  # Ctrl+C
        watch.wait(timeout=30)
        if fake is not None:
            fake.unplug()
    lines = out.read_text().splitlines()
    assert sum("no está conectada" in line for line in lines) == 1
    assert lines[0].startswith("la balanza no está conectada")
    assert all(line.split()[:3] == ["estable", "2,350", "kg"] for line in lines[1:4])


def test_scale_zero_and_tare_say_what_the_scale_answered(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # SICS at 8N1: a Linux pty refuses a second open at 7E1 (it forces 8N), USB adapters do not
    fake = FakeScale("sics", grams=200, link=tmp_path / "ttyUSB0")
    lane = make_lane(tmp_path / "lane")
    for key, value in (("URL", str(fake.link)), ("PROTOCOL", "sics"), ("BYTESIZE", "8"),
                       ("PARITY", "N")):
        monkeypatch.setenv(f"FAIRPOS_SCALE__{key}", value)
    try:
        assert "Zero: done by the scale." in lane.run("scale", "zero").stdout
        assert "Tare 0.200 kg: done by the scale." in lane.run("scale", "tare").stdout
        assert fake.tare == 200
        assert "Tare cleared by the scale." in lane.run("scale", "clear-tare").stdout
        assert fake.tare == 0
        assert bytes(fake.commands) == b"Z\r\nT\r\nTAC\r\n"
        fake.refuse = {"tare": "L"}  # a certified scale that takes no tare from a till
        refused = lane.fail("scale", "tare")
        assert refused.strip() == "fairpos: The scale did not do it: its settings do not allow it."
        assert fake.tare == 0
    finally:
        fake.unplug()
    assert "not connected" in lane.fail("scale", "zero")


ANSWERS = [  # (protocol, command, what the scale sent back, outcome, why, tare)
    ("toledo8217", "zero", b"\x02?\x50\r", "done", None, None),  # centre of zero
    ("toledo8217", "zero", b"\x02?\x48\r", "refused", "out_of_range", None),
    ("toledo8217", "zero", b"\x02?\x41\r", "refused", "moving", None),
    ("toledo8217", "tare", b"\x02?\x60\r", "done", None, None),  # net
    ("toledo8217", "tare", b"\x02?\x40\r", "refused", "not_done", None),  # still gross
    ("toledo8217", "tare", b"\x02?\x42\r", "refused", "over_capacity", None),
    ("toledo8217", "tare", b"\x0201.250\r", "refused", "not_understood", None),
    ("toledo8217", "tare", b"\x02?\r", "refused", "not_understood", None),
    ("toledo8217", "clear_tare", b"\x02?\x40\r", "done", None, None),
    ("toledo8217", "clear_tare", b"\x02?\x60\r", "refused", "not_done", None),
    ("toledo8217", "tare", b"", "silent", None, None),
    ("sics", "zero", b"Z A\r\n", "done", None, None),
    ("sics", "zero", b"ZI D\r\n", "done", None, None),
    ("sics", "zero", b"Z I\r\n", "refused", "busy", None),
    ("sics", "zero", b"Z +\r\n", "refused", "out_of_range", None),
    ("sics", "zero", b"Z L\r\n", "refused", "not_allowed", None),
    ("sics", "zero", b"ES\r\n", "refused", "not_understood", None),
    ("sics", "tare", b"T S      0.200 kg\r\n", "done", None, 200),
    ("sics", "tare", b"TI D    150 g\r\n", "done", None, 150),
    ("sics", "tare", b"T I\r\n", "refused", "busy", None),
    ("sics", "tare", b"T L\r\n", "refused", "not_allowed", None),
    ("sics", "tare", b"TI -\r\n", "refused", "out_of_range", None),
    ("sics", "tare", b"EL\r\n", "refused", "not_allowed", None),
    ("sics", "tare", b"ET\r\n", "refused", "not_understood", None),
    ("sics", "tare", b"Z A\r\n", "refused", "not_understood", None),  # not its answer
    ("sics", "tare", b"T S  x.y kg\r\n", "refused", "not_understood", None),
    ("sics", "tare", b"T S 0.2", "refused", "not_understood", None),  # cut short
    ("sics", "clear_tare", b"TAC A\r\n", "done", None, None),
    ("sics", "clear_tare", b"TAC L\r\n", "refused", "not_allowed", None),
]


@pytest.mark.parametrize(("protocol", "command", "frame", "outcome", "why", "tare"), ANSWERS)
def test_each_answer_to_zero_and_tare_is_read(protocol: str, command: Command, frame: bytes,
                                              outcome: str, why: str | None,
                                              tare: int | None) -> None:
    read = toledo_answer if protocol == "toledo8217" else sics_answer
    answer = read(command, frame)
    assert (answer.outcome, answer.why, answer.tare) == (outcome, why, tare)


def test_a_streaming_indicator_answers_by_its_next_frames() -> None:
    gross, net = parse_continuous(b"ST,GS,+   0.200 kg\r\n"), parse_continuous(
        b"ST,NT,+   0.000 kg\r\n")
    moving = parse_continuous(b"US,GS,+   0.210 kg\r\n")
    assert continuous_answer("tare", [gross, net]).done
    assert continuous_answer("tare", [gross, gross]).why == "not_done"
    assert continuous_answer("tare", [gross, moving]).why == "moving"
    assert continuous_answer("clear_tare", [net, gross]).done
    assert continuous_answer("zero", [gross]).why == "not_done"
    assert continuous_answer("zero", [parse_continuous(b"ST,GS,+   0.000 kg\r\n")]).done
    assert continuous_answer("tare", []).outcome == "silent"
    assert continuous_answer("tare", [parse_continuous(b"\x00garbage\r\n")]).outcome == \
        "silent"


@pytest.mark.parametrize("protocol", sorted(FRAMES))
def test_zero_and_tare_on_a_real_line_are_done_only_when_the_scale_says(protocol: str) -> None:
    fake = FakeScale(protocol, grams=200)
    scale = Scale(scale_settings(protocol, fake.path))
    try:
        if protocol in ("cas", "magellan"):  # no commands on the line: the lane tares
            assert [scale.command(c).outcome for c in ("zero", "tare", "clear_tare")] == [
                "unsupported"] * 3
            assert fake.commands == bytearray()
            return
        fake.refuse = {"tare": {"sics": "L", "sma": "T"}.get(protocol, 0x40)}
        refused = scale.command("tare", seconds=1.0)
        assert refused.outcome == "refused" and fake.tare == 0
        reading = scale.read()
        assert (reading.state, reading.grams) == ("stable", 200)  # nothing was netted
        fake.refuse = {}
        done = scale.command("tare")
        assert done.done and fake.tare == 200
        assert done.tare == (200 if protocol == "sics" else None)
        reading = scale.read()
        assert (reading.state, reading.grams) == ("stable", 0)
        assert scale.command("clear_tare").done and fake.tare == 0
        fake.refuse = {"zero": "silent"}
        assert scale.command("zero", seconds=0.5).outcome in ("silent", "refused")
    finally:
        scale.close()
        fake.unplug()
    assert scale.command("tare").outcome == "disconnected"


def test_the_watch_survives_a_driver_fault_and_reports_changes_only(tmp_path: Path) -> None:
    from fairpos.scale.port import ScaleWatch

    fake = FakeScale("sics", grams=500, link=tmp_path / "ttyUSB0")
    scale = Scale(scale_settings("sics", str(fake.link)), timeout=0.2)
    real_read, faults = scale.read, [RuntimeError("driver bug")]

    def read() -> Reading:
        if faults:
            raise faults.pop()
        return real_read()

    scale.read = read  # type: ignore[method-assign]
    seen: list[tuple[str, int | None, bool]] = []
    watch = ScaleWatch(scale, lambda r, a: seen.append((r.state, r.grams, a is not None)),
                       poll=0.01)
    watch.start()
    try:
        wait_until(lambda: bool(seen) and seen[-1] == ("stable", 500, True),
                   "the watch reads the scale again after a fault")
    finally:
        watch.stop()
        fake.unplug()
    assert seen == [("error", None, False), ("stable", 500, False), ("stable", 500, True)]


SMA = {"kg": " 1.250", "g": "1250", "lb": "2.755", "oz": "44.1"}


@pytest.mark.parametrize("unit", sorted(SMA))
def test_an_sma_scale_in_each_unit_on_a_real_line(unit: str) -> None:
    """A weight shown in kg, g, lb or oz is the same grams by the one rule (a pound is
    453.59237 g; then to the nearest gram)."""
    fake = FakeScale("sma", grams=1250)
    fake.unit = unit
    scale = Scale(scale_settings("sma", fake.path))
    try:
        reading = scale.read()
        assert reading.state == "stable" and reading.grams == to_grams(SMA[unit], unit)
        assert reading.raw == fake.frame() and reading.raw.endswith(f"{unit:<3}\r".encode())
        assert abs(reading.grams - 1250) <= 2  # (what the scale's own resolution shows)
        fake.state = "unstable"
        assert scale.read().state == "unstable"
    finally:
        scale.close()
        fake.unplug()


def sma(status: str, mode: str, motion: str, weight: str, unit: str) -> bytes:
    """An SMA frame: LF, status, range 1, gross/net, motion, a reserved space, the weight in
    10 characters (11 where the scale writes it so), the unit in 3, CR."""
    return f"\n{status}1{mode}{motion} {weight:>10}{unit:<3}\r".encode()


@pytest.mark.parametrize(("frame", "state", "grams", "net"), [
    (sma(" ", "G", " ", "1.250", "kg"), "stable", 1250, False),
    (sma(" ", "N", " ", "0.500", "kg"), "stable", 500, True),
    (sma(" ", "G", "M", "1.250", "kg"), "unstable", 1250, False),
    (sma("Z", "G", " ", "0.000", "kg"), "stable", 0, False),
    (sma(" ", "g", " ", "1.2505", "kg"), "error", None, False),  # (half a gram: not metric)
    (sma(" ", "n", " ", "0.5000", "kg"), "stable", 500, True),  # high resolution, net
    (sma(" ", "G", " ", "1250", "g"), "stable", 1250, False),
    (sma(" ", "G", " ", "2.755", "lb"), "stable", 1250, False),
    (sma(" ", "G", " ", "44.1", "oz"), "stable", 1250, False),
    (sma(" ", "G", " ", "12.345", "lb"), "stable", 5600, False),
    (sma(" ", "G", " ", "     1.250", "kg").replace(b"     1.250", b"      1.250"),
     "stable", 1250, False),  # an 11-character weight
    (sma("O", "G", " ", "99.999", "kg"), "overload", None, False),
    (sma("U", "G", " ", "-0.120", "kg"), "under_zero", None, False),
    (sma(" ", "G", " ", "-0.120", "kg"), "under_zero", None, False),
    (sma("E", "G", " ", "-" * 10, "kg"), "error", None, False),
    (sma("I", "G", " ", "-" * 10, "kg"), "error", None, False),
    (sma("T", "G", " ", "-" * 10, "kg"), "error", None, False),
    (sma(" ", "T", " ", "0.200", "kg"), "error", None, False),  # a tare is not a weight
    (sma(" ", "G", " ", "1.250", "st"), "error", None, False),
    (b"\n?\r", "error", None, False),
    (sma(" ", "G", " ", "1.250", "kg")[:-1], "error", None, False),
])
def test_every_sma_status_and_unit_is_read(frame: bytes, state: str, grams: int | None,
                                           net: bool) -> None:
    reading = PARSERS["sma"](frame)
    assert (reading.state, reading.grams) == (state, grams), frame
    assert reading.net == net or state == "error"


@given(thousandths=st.integers(0, 130_000))
def test_pounds_become_the_nearest_gram(thousandths: int) -> None:
    from decimal import Decimal

    text = f"{thousandths / 1000:.3f}"
    exact = Decimal(text) * Decimal("453.59237")
    grams = to_grams(text, "lb")
    assert grams is not None and abs(grams - exact) <= Decimal("0.5")
    assert to_grams(text, "lb") == grams  # (one rule, the same every time)


def test_what_an_sma_scale_answers_to_zero_and_tare() -> None:
    assert sma_answer("zero", sma("Z", "G", " ", "0.000", "kg")).done
    assert sma_answer("zero", sma(" ", "G", " ", "0.010", "kg")).why == "not_done"
    assert sma_answer("zero", sma("E", "G", " ", "-" * 10, "kg")).why == "out_of_range"
    assert sma_answer("tare", sma(" ", "N", " ", "0.000", "kg")).done
    assert sma_answer("tare", sma("T", "G", " ", "-" * 10, "kg")).why == "not_done"
    assert sma_answer("tare", sma(" ", "G", "M", "0.200", "kg")).why == "moving"
    assert sma_answer("clear_tare", sma(" ", "G", " ", "0.200", "kg")).done
    assert sma_answer("clear_tare", sma("O", "G", " ", "99.999", "kg")).why == "over_capacity"
    assert sma_answer("zero", b"\n?\r").why == "not_understood"
    assert sma_answer("tare", b"").outcome == "silent"


@pytest.mark.parametrize(("frame", "units", "state", "grams"), [
    (b"S1101250\r", "kg", "stable", 1250),
    (b"S1112500\r", "kg", "stable", 12500),
    (b"S110276\r", "lb", "stable", 1252),  # 2.76 lb, to the nearest gram
    (b"S1101276\r", "lb", "stable", 5788),  # 12.76 lb, five digits
    (b"S14401250\r", "kg", "stable", 1250),  # a status request's weight
    (b"S141\r", "kg", "unstable", None),
    (b"S142\r", "kg", "overload", None),
    (b"S143\r", "lb", "stable", 0),
    (b"S145\r", "kg", "under_zero", None),
    (b"S08F7591234000001\r", "kg", "error", None),  # a barcode is never a weight
    (b"S11012\r", "kg", "error", None),
    (b"S1101250", "kg", "error", None),
])
def test_every_magellan_weight_and_status(frame: bytes, units: str, state: str,
                                          grams: int | None) -> None:
    reading = parser_for("magellan", units)(frame)
    assert (reading.state, reading.grams) == (state, grams), frame


@pytest.mark.parametrize(("frame", "code"), [
    (b"S08A012345678905\r", "012345678905"), (b"S08E01234565\r", "01234565"),
    (b"S08F7591234000001\r", "7591234000001"), (b"S08FF12345670\r", "12345670"),
    (b"S08R0101234567890128\r", "0101234567890128"), (b"S08B1CODE39\r", "CODE39"),
    (b"S1101250\r", None), (b"S08F\r", None), (b"S08F759\x00\r", None),
])
def test_a_magellan_barcode_frame_is_its_code(frame: bytes, code: str | None) -> None:
    assert magellan_code(frame) == code


@settings(max_examples=200)
@given(script=st.lists(st.one_of(
    st.tuples(st.just("weight"), st.sampled_from(["stable", "unstable", "overload"]),
              st.sampled_from([0, 640, 1250])),
    st.tuples(st.just("scan"), st.sampled_from(["A", "F", "FF", "R"]),
              st.sampled_from(["012345678905", "7591234000001", "12345670"]))), max_size=40))
def test_scans_among_weights_are_all_read_and_no_weight_comes_from_motion(
        script: list[tuple[str, str, Any]]) -> None:
    parse, rule = parser_for("magellan", "kg"), StableWeight(2)
    codes, last = [], []
    for kind, what, value in script:
        if kind == "scan":
            frame = f"S08{what}{value}\r".encode()
            assert parse(frame).state == "error"
            codes.append(magellan_code(frame))
            continue
        reading = parse(magellan_frame(value, what))
        last = [*last, (what, value)][-2:]
        accepted = rule.feed(reading)
        if accepted is not None:
            assert last == [("stable", accepted.grams)] * 2 and accepted.grams
    assert codes == [value for kind, _what, value in script if kind == "scan"]


@pytest.mark.parametrize("units", ["kg", "lb"])
def test_a_scanner_scale_weighs_and_scans_on_one_cable(units: str) -> None:
    fake = FakeScale("magellan", grams=1250)
    fake.unit = units
    got: list[str] = []
    readings: list[Reading] = []
    settings_ = ScaleSettings(url=fake.path, protocol="magellan", baudrate=9600, bytesize=7,
                              parity="O", stopbits=1, units=units, stable_readings=2)
    watch = ScaleWatch(Scale(settings_), lambda reading, _ok: readings.append(reading),
                       poll=0.02, scanned=got.append)
    watch.start()
    try:
        wait_until(lambda: any(r.grams for r in readings), "a weight")
        expected = 1250 if units == "kg" else to_grams("2.76", "lb")
        assert [r.grams for r in readings if r.grams][-1] == expected
        for code in ("7591234000001", "012345678905"):
            fake.scan(code, "F" if len(code) == 13 else "A")
        fake.state = "unstable"
        wait_until(lambda: readings[-1].state == "unstable", "the motion")
        wait_until(lambda: got == ["7591234000001", "012345678905"], "both scans")
        assert fake.commands == bytearray()  # (nothing but weight requests was sent)
    finally:
        watch.stop()
        fake.unplug()
