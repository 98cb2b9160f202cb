"""A damaged bundle is refused with one line, whichever byte was hit; what still reads is the
bundle as written, byte for byte of its entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fairpos.cli import main
from fairpos.sync.bundle import BundleError, bundle_proof, read_bundle, write_bundle
from fairpos.sync.wire import token_hash

TOKEN = "a-token-the-ledger-enrolled"


def sale(n: int) -> dict[str, object]:
    """Enough of a wire payload for the bundle's format (the ledger checks the rest)."""
    return {"id": f"DMG001-{n:06d}", "seq": n, "kind": "sale", "total": 120 * n,
            "currency": "USD", "lines": [{"code": "305", "amount": 120 * n}]}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, object]:
    path = tmp_path_factory.mktemp("bundle") / "small.zip"
    write_bundle(path, "DMG001", [sale(n) for n in range(1, 4)], TOKEN)
    return path.read_bytes(), read_bundle(path)


@pytest.mark.parametrize("mask", [0xFF, 0x01, 0x80])
def test_every_single_byte_flip_is_refused_in_one_line_or_reads_back_the_same(
        tmp_path: Path, original: tuple[bytes, object], mask: int) -> None:
    data, good = original
    damaged = tmp_path / "damaged.zip"
    refused = same = 0
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= mask
        damaged.write_bytes(bytes(flipped))
        try:
            read = read_bundle(damaged)
        except BundleError as err:
            assert "\n" not in str(err) and str(err).startswith("damaged.zip")
            refused += 1
            continue
        assert read == good, position  # entries, hashes and proof: all as written
        same += 1
    assert refused + same == len(data) and refused > len(data) // 2
    assert good.proof == bundle_proof(token_hash(TOKEN), "DMG001",  # type: ignore[attr-defined]
                                      good.hashes)  # type: ignore[attr-defined]


def test_ledger_import_of_a_damaged_bundle_says_one_line(
        tmp_path: Path, original: tuple[bytes, object]) -> None:
    data, _good = original
    for position in (len(data) // 3, len(data) // 2, len(data) - 10):
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        bundle = tmp_path / "lane3.zip"
        bundle.write_bytes(bytes(flipped))
        result = CliRunner().invoke(main, ["--lang", "en", "ledger", "import", str(bundle),
                                           "--db", str(tmp_path / "ledger.db")])
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "lane3.zip" in lines[0], result.stderr
        assert "Traceback" not in result.output
