"""The install kit: its size, and an offline install from it against the same wheels installed
with plain pip in the same run.

A kit is built for this machine's Python (``--machines`` adds the other lane machines, for
the size of a whole kit). Then, ``--runs`` times each, taken in turn, with no network at all
(``unshare --net``), into fresh folders:

* the kit's installer: the signature and every checksum verified, a venv made, fairpos and its
  dependencies installed from the kit's wheels, ``fairpos check`` run, the link switched, the
  systemd units written;
* the baseline: a venv made and the same wheels installed with pip alone (nothing verified,
  nothing checked).

    python -m benchmarks.kit_install [--runs N] [--machines x86_64,aarch64] [--kit FOLDER]

``--kit`` measures a kit already built (for this machine's Python) instead of building one.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fairpos.kit.build import Kit, build
from fairpos.kit.installer import ABOUT
from fairpos.kit.signing import keygen


def offline(*argv: str | Path) -> None:
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--net", *map(str, argv)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, argv))}\n{done.stderr}")


def by_kit(kit: Path, folder: Path) -> float:
    started = time.perf_counter()
    offline(kit / "install", "--prefix", folder / "opt", "--data", folder / "lane",
            "--no-system", "--lang", "en")
    return time.perf_counter() - started


def by_pip(kit: Path, folder: Path, version: str) -> float:
    started = time.perf_counter()
    target = f"cp{sys.version_info.major}{sys.version_info.minor}-{platform.machine()}"
    pip = next((kit / "wheels" / "any").glob("pip-*.whl"))
    offline(sys.executable, "-m", "venv", "--without-pip", folder / "venv")
    offline(folder / "venv" / "bin" / "python", f"{pip}/pip", "install", "--quiet",
            "--no-index", "--disable-pip-version-check", "--no-cache-dir", "--find-links",
            kit / "wheels" / target, "--find-links", kit / "wheels" / "any",
            f"fairpos=={version}")
    return time.perf_counter() - started


def size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--machines", default=platform.machine(),
                        help="comma-separated: the lane machines the kit serves")
    parser.add_argument("--kit", type=Path, help="a kit already built: measure its install")
    args = parser.parse_args()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        if args.kit is not None:
            about = json.loads((args.kit / ABOUT).read_text())
            args.machines = ",".join(about["machines"])
            files = [path for path in args.kit.rglob("*") if path.is_file()]
            kit = Kit(args.kit, about["version"], len(files),
                      sum(path.stat().st_size for path in files))
        else:
            key, _public = keygen(root / "key")
            kit = build(root / "kit", key, args.machines.split(","), (python,))
        built = time.perf_counter() - started
        mine, plain = [], []
        for run in range(args.runs):  # in turn, so that both see the same machine
            mine.append(by_kit(kit.folder, root / f"kit-{run}"))
            plain.append(by_pip(kit.folder, root / f"pip-{run}", kit.version))
        wheels = kit.folder / "wheels"
        parts = ", ".join(f"{part.name} {size_mb(part):.1f} MB"
                          for part in sorted(wheels.iterdir()))
        print(f"kit of fairpos {kit.version} for Python {python} on {args.machines}: "
              f"{kit.size / 1e6:.1f} MB in {kit.files} files ({parts})"
              + ("" if args.kit else f"; built in {built:.1f} s"))
        kit_s, pip_s = statistics.median(mine), statistics.median(plain)
        print(f"offline install, median of {args.runs}")
        print(f"  plain pip from the same wheels   {pip_s:6.2f} s")
        print(f"  the kit's installer              {kit_s:6.2f} s")
        print(f"  ratio kit / pip                  {kit_s / pip_s:5.2f}x")


if __name__ == "__main__":
    main()
