"""The install kit, as a cooperative uses it: kits built and signed here (one per version, the
next ones from a copy of the source with its version raised), each installed from its folder
inside a network namespace of its own (``unshare --net``: no network at all) into a temporary
prefix — then a lane set up, a sale and a Z report on the installed version. A kit altered,
with its manifest edited, or signed by another key is refused in one line with nothing changed;
an update is refused mid-shift, switches only when ``fairpos check`` passes with the new version
(a broken one leaves the journal and the link as they were), and rolls back to the journal it
backed up — sales made on the newer version kept and named, their numbers never reused."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fairpos.kit.build import Kit, build, requirements, source_root
from fairpos.kit.signing import keygen
from harness.namespaces import namespaces_work

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not namespaces_work("--net"),
                                 reason="this kernel lets no user make a network namespace")]


@dataclass
class Kits:
    current: Kit  # the checkout's version, for both machines
    next: Kit  # a later version
    broken: Kit  # a later one whose journal cannot be opened
    key: Path
    other_key: Path


def source_at(version: str, folder: Path, broken: bool = False) -> Path:
    """A copy of the source with ``version`` (and, ``broken``, a migration that fails)."""
    root = source_root()
    folder.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(root / name, folder / name)
    for name in ("fairpos", "fixtures"):
        shutil.copytree(root / name, folder / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    project = folder / "pyproject.toml"
    project.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"',
                              project.read_text()))
    if broken:
        migrations = folder / "fairpos" / "journal" / "migrations.py"
        text = migrations.read_text()
        migrations.write_text(text.replace(
            "def migrate(conn: sqlite3.Connection) -> None:\n",
            "def migrate(conn: sqlite3.Connection) -> None:\n"
            "    raise sqlite3.OperationalError('a step this version got wrong')\n", 1))
    return folder


@pytest.fixture(scope="session")
def kits(tmp_path_factory: pytest.TempPathFactory) -> Kits:
    """The kits, built once for the whole run: the first test process to ask builds them
    (under a lock), the others take them."""
    root = tmp_path_factory.getbasetemp().parent / "kits"
    root.mkdir(exist_ok=True)
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "built.json"
        if not done.exists():
            key, _public = keygen(root / "key")
            keygen(root / "other-key")
            made = [build(root / "current", key, ("x86_64", "aarch64"), (PYTHON,)),
                    build(root / "next", key, ("x86_64",), (PYTHON,),
                          source_at("99.0.0", root / "src1")),
                    build(root / "broken", key, ("x86_64",), (PYTHON,),
                          source_at("99.1.0", root / "src2", broken=True))]
            done.write_text(json.dumps([[str(kit.folder), kit.version, kit.files, kit.size]
                                        for kit in made]))
        current, following, broken = (Kit(Path(folder), version, files, size) for
                                      folder, version, files, size in json.loads(
                                          done.read_text()))
    return Kits(current, following, broken, root / "key" / "kit-key.pem",
                root / "other-key" / "kit-key.pem")


def offline(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """``argv`` with no network at all."""
    return subprocess.run(["unshare", "--user", "--map-root-user", "--net",
                           *map(str, argv)], capture_output=True, text=True, timeout=600)


def install(kit: Path, prefix: Path, data: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return offline(kit / "install", "--prefix", prefix, "--data", data, "--no-system",
                   "--lang", "en", *more)


def fairpos(prefix: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return offline(prefix / "current" / "bin" / "fairpos", "--data-dir", data, "--lang", "en",
                   *args)


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under ``folder``: each file's bytes, each link's target."""
    return {str(path.relative_to(folder)): (str(path.readlink()) if path.is_symlink()
                                            else path.read_bytes())
            for path in sorted(folder.rglob("*")) if path.is_symlink() or path.is_file()}


def sales(journal: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT seq, id, total FROM sales ORDER BY seq").fetchall()


def lane_on(prefix: Path, data: Path) -> None:
    """A lane set up with the installed version: the fair's catalog, a shift open."""
    for args in (("init", "--fair", "Feria Kit", "--lane", "1", "--preset", "feria"),
                 ("catalog", "import", str(source_root() / "fixtures" / "feria-catalog.csv")),
                 ("shift", "open", "--volunteer", "Ana", "--float", "USD:20")):
        done = fairpos(prefix, data, *args)
        assert done.returncode == 0, done.stderr


def test_a_kit_installs_offline_the_lane_sells_and_an_altered_kit_is_refused(
        kits: Kits, tmp_path: Path) -> None:
    prefix, data = tmp_path / "opt", tmp_path / "lane"
    done = install(kits.current.folder, prefix, data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("First install: this machine will trust the key ")
    version = kits.current.version
    assert f"fairpos {version} installed in {prefix / version}" in done.stdout
    assert (prefix / "current").readlink() == Path(version)
    assert fairpos(prefix, data, "--version").stdout.strip() == f"fairpos, version {version}"
    lane_on(prefix, data)
    sold = fairpos(prefix, data, "sell", "--line", "301", "--pay", "cash:USD:5")
    assert sold.returncode == 0 and "Change 3.90 USD" in sold.stdout, sold.stderr
    z = fairpos(prefix, data, "shift", "close", "--count", "USD:21.10")
    assert z.returncode == 0 and "Z REPORT (shift closed)" in z.stdout, z.stderr
    # the same kit again, through ``fairpos kit install`` (the kit's installer): nothing to do
    again = offline(sys.executable, "-m", "fairpos", "kit", "install", kits.current.folder,
                    "--prefix", prefix, "--data", data, "--no-system", "--lang", "en")
    assert again.returncode == 0 and f"fairpos {version} is already in use" in again.stdout
    help_text = offline(kits.current.folder / "install", "--help").stdout
    assert "--rollback" in help_text and "--prefix" in help_text
    units = sorted(path.name for path in (prefix / "systemd").iterdir())
    assert units == ["fairpos-hub.service", "fairpos-ledger.service", "fairpos-till@.service"]
    till = (prefix / "systemd" / "fairpos-till@.service").read_text()
    assert f"ExecStart={prefix}/current/bin/fairpos till" in till and "Restart=always" in till
    if shutil.which("systemd-analyze"):
        for unit in (prefix / "systemd").iterdir():
            checked = subprocess.run(["systemd-analyze", "verify", str(unit)],
                                     capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr
    an_altered_or_foreign_kit_is_refused_and_changes_nothing(kits, tmp_path, prefix, data)


def altered(kit: Path, folder: Path, change: str, other_key: Path | None = None) -> Path:
    copy = folder / change
    shutil.copytree(kit, copy, symlinks=True)
    wheel = next((copy / "wheels" / "any").glob("fairpos-*.whl"))
    if change == "wheel":  # one byte of fairpos's own wheel
        data = bytearray(wheel.read_bytes())
        data[len(data) // 2] ^= 0xFF
        wheel.write_bytes(bytes(data))
    elif change == "manifest":  # the wheel changed and its line made to match
        wheel.write_bytes(wheel.read_bytes() + b"\0")
        manifest = copy / "manifest.sha256"
        lines = [f"{hashlib.sha256(wheel.read_bytes()).hexdigest()}  {line.split('  ')[1]}"
                 if line.endswith(wheel.name) else line
                 for line in manifest.read_text().splitlines()]
        manifest.write_text("\n".join(lines) + "\n")
    elif change == "extra":
        (copy / "wheels" / "any" / "evil-1.0-py3-none-any.whl").write_bytes(b"PK")
    elif change == "other key":  # a whole kit, signed by a key this machine does not trust
        from fairpos.kit.signing import public_of, sign

        public_of(other_key or Path(), copy / "kit.pub")
        files = sorted(path for path in copy.rglob("*") if path.is_file()
                       and path.name not in ("manifest.sha256", "manifest.sig"))
        (copy / "manifest.sha256").write_text("".join(
            f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(copy)}\n"
            for path in files))
        sign(other_key or Path(), copy / "manifest.sha256", copy / "manifest.sig")
    return copy


def an_altered_or_foreign_kit_is_refused_and_changes_nothing(kits: Kits, tmp_path: Path,
                                                             prefix: Path, data: Path) -> None:
    """(On a lane that has a version installed.)"""
    before = tree(prefix)
    wheel = next((kits.next.folder / "wheels" / "any").glob("fairpos-*.whl")).name
    expected = {
        "wheel": f"fairpos: the kit was altered: wheels/any/{wheel} does not match its "
                 "checksum: nothing was installed",
        "manifest": "fairpos: the kit is not signed by the key this machine trusts",
        "extra": "fairpos: the kit holds a file its manifest does not name "
                 "(wheels/any/evil-1.0-py3-none-any.whl): nothing was installed",
        "other key": "fairpos: the kit is not signed by the key this machine trusts",
    }
    for change, said in expected.items():
        kit = altered(kits.next.folder, tmp_path / "altered", change, kits.other_key)
        done = install(kit, prefix, data)
        assert done.returncode == 1, (change, done.stdout)
        assert done.stderr.startswith(said) and len(done.stderr.splitlines()) == 1, change
        assert done.stdout == ""
        assert tree(prefix) == before, change
    # a first install of a kit that does not match itself is refused the same way
    fresh = install(altered(kits.next.folder, tmp_path / "again", "wheel"), tmp_path / "new",
                    tmp_path / "new-lane")
    assert fresh.returncode == 1 and "does not match its checksum" in fresh.stderr
    assert not (tmp_path / "new" / "current").exists()
    spanish = offline(kit / "install", "--prefix", prefix, "--data", data, "--no-system",
                      "--lang", "es")
    assert spanish.stderr.startswith("fairpos: el kit no está firmado por la clave de "
                                     "confianza de esta máquina")


def test_an_update_waits_for_the_shift_rolls_back_keeping_every_sale_and_a_broken_one_stays_out(
        kits: Kits, tmp_path: Path) -> None:
    prefix, data = tmp_path / "opt", tmp_path / "lane"
    journal = data / "fairpos.db"
    assert install(kits.current.folder, prefix, data).returncode == 0
    lane_on(prefix, data)
    assert fairpos(prefix, data, "sell", "--line", "301", "--pay", "cash:USD:5").returncode == 0
    before = tree(prefix)
    mid_shift = install(kits.next.folder, prefix, data)
    assert mid_shift.returncode == 1
    assert mid_shift.stderr == (f"fairpos: a shift is open in {data}: close it before "
                                "updating: nothing was changed\n")
    assert tree(prefix) == before
    assert fairpos(prefix, data, "shift", "close", "--count", "USD:21.10").returncode == 0
    at_update = sales(journal)

    updated = install(kits.next.folder, prefix, data)
    assert updated.returncode == 0, updated.stderr
    backup = Path(updated.stdout.split("Journal backed up: ")[1].splitlines()[0])
    assert sales(backup) == at_update
    assert (prefix / "current").readlink() == Path("99.0.0")
    assert (prefix / "previous").readlink() == Path(kits.current.version)
    assert fairpos(prefix, data, "--version").stdout.strip() == "fairpos, version 99.0.0"
    # a sale on the new version, then the shift still open: no rollback
    assert fairpos(prefix, data, "shift", "open", "--volunteer", "Beto", "--float",
                   "USD:20").returncode == 0
    sold = fairpos(prefix, data, "--lang", "en", "sell", "--json", "--line", "301", "--pay",
                   "cash:USD:5")
    assert sold.returncode == 0, sold.stderr
    refused = install(kits.next.folder, prefix, data, "--rollback")
    assert refused.returncode == 1 and "a shift is open" in refused.stderr
    assert fairpos(prefix, data, "shift", "close", "--count", "USD:21.10").returncode == 0
    newer = sales(journal)
    assert len(newer) == len(at_update) + 1

    back = install(kits.next.folder, prefix, data, "--rollback")
    assert back.returncode == 0, back.stderr
    assert (prefix / "current").readlink() == Path(kits.current.version)
    assert sales(journal) == at_update  # the journal as it was backed up
    lost = newer[-1][1]
    said = back.stdout
    assert f"Sales made on 99.0.0 that are not in the journal put back (1): {lost}." in said
    kept = Path(said.split("They are kept in ")[1].split(";")[0])
    assert sales(kept / "fairpos.db") == newer  # kept whole, to send to the ledger
    status = fairpos(prefix, kept, "sync-status")
    assert status.returncode == 0 and "Waiting to sync:" in status.stdout, status.stderr
    # the old version goes on, and never gives that sale's number to another
    assert fairpos(prefix, data, "shift", "open", "--volunteer", "Caro", "--float",
                   "USD:20").returncode == 0
    sold = fairpos(prefix, data, "sell", "--line", "301", "--pay", "cash:USD:5")
    assert sold.returncode == 0, sold.stderr
    assert sales(journal)[-1][0] == newer[-1][0] + 1
    assert install(kits.next.folder, prefix, data, "--rollback").stderr == (
        "fairpos: there is no earlier version to go back to\n")  # (one step back, once)
    assert fairpos(prefix, data, "shift", "close", "--count", "USD:21.10").returncode == 0
    a_version_that_fails_its_check_leaves_the_lane_as_it_was(kits, prefix, data)


def a_version_that_fails_its_check_leaves_the_lane_as_it_was(kits: Kits, prefix: Path,
                                                              data: Path) -> None:
    """(On a lane with sales, its shift closed.)"""
    journal_before = sales(data / "fairpos.db")
    done = install(kits.broken.folder, prefix, data)
    assert done.returncode == 1
    assert done.stderr.startswith("fairpos: fairpos 99.1.0 did not pass its check (")
    assert f"the journal was put back and {kits.current.version} stays in use" in done.stderr
    assert (prefix / "current").readlink() == Path(kits.current.version)
    assert not (prefix / "99.1.0").exists()
    assert sales(data / "fairpos.db") == journal_before
    assert fairpos(prefix, data, "check").returncode == 0


def test_every_dependency_is_a_prebuilt_wheel_for_each_machine(kits: Kits) -> None:
    kit = kits.current.folder
    everything = [path.name for path in kit.rglob("*") if path.is_file()]
    assert not [name for name in everything if name.endswith((".tar.gz", ".zip", ".tar.bz2"))]
    for machine in ("x86_64", "aarch64"):
        folder = kit / "wheels" / f"cp{PYTHON.replace('.', '')}-{machine}"
        compiled = [path.name for path in folder.iterdir()]
        assert compiled and all(name.endswith(".whl") and machine in name
                                for name in compiled), compiled
        names = {re.split(r"-\d", name, maxsplit=1)[0].lower().replace("_", "-")
                 for name in [*compiled, *(p.name for p in (kit / "wheels" / "any").iterdir())]}
        for requirement in requirements():
            name = re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            assert name in names, (machine, name)
        assert "psycopg-binary" in names and "msgspec" in names


def test_the_kit_commands_refuse_in_one_line(tmp_path: Path) -> None:
    from harness.lanes import LaneDir

    cli = LaneDir(tmp_path / "nowhere")
    made = cli.run("kit", "keygen", "--out", str(tmp_path / "key")).stdout
    assert "Private key: " in made and "(keep it off the lanes)" in made
    assert oct((tmp_path / "key" / "kit-key.pem").stat().st_mode & 0o777) == "0o600"
    assert cli.fail("kit", "keygen", "--out", str(tmp_path / "key")) == (
        f"fairpos: {tmp_path / 'key' / 'kit-key.pem'} exists: a key is never overwritten")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    assert cli.fail("kit", "build", "--out", str(tmp_path / "full"), "--key",
                    str(tmp_path / "key" / "kit-key.pem")) == (
        f"fairpos: {tmp_path / 'full'} is not empty: a kit is built into a new folder")
    assert cli.fail("kit", "build", "--out", str(tmp_path / "new"), "--key",
                    str(tmp_path / "nokey.pem")) == (
        f"fairpos: there is no key at {tmp_path / 'nokey.pem'} (fairpos kit keygen)")
    assert cli.fail("kit", "build", "--out", str(tmp_path / "new"), "--key",
                    str(tmp_path / "key" / "kit-key.pem"), "--python", "three") == (
        "fairpos: --python takes a version such as 3.11")
    assert cli.fail("kit", "install", str(tmp_path / "full")) == (
        f"fairpos: {tmp_path / 'full'} is not a fairpos kit (no installer.py)")
    assert "no network" in cli.run("kit", "--help").stdout


def test_the_install_benchmark_runs_at_a_tiny_size(kits: Kits) -> None:
    """``benchmarks.kit_install`` on the kit built here (so that it cannot rot)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.kit_install", "--runs", "1",
                           "--kit", str(kits.current.folder)], cwd=source_root(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"ratio kit / pip +\d+\.\d\dx", done.stdout), done.stdout
    assert f"kit of fairpos {kits.current.version} for Python {PYTHON} on x86_64,aarch64" in (
        done.stdout)
