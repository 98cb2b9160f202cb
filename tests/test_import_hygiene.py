"""The domain never imports the UI, network or device libraries (checked in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fairpos

PACKAGE = Path(fairpos.__file__).parent
FORBIDDEN = ("textual", "httpx", "escpos", "serial")
HEADLESS = sorted(
    "fairpos." + str(p.relative_to(PACKAGE).with_suffix("")).replace("/", ".")
    .removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
    if (p.parts[len(PACKAGE.parts)] != "tui" and p.parent != PACKAGE) or
    (p.name not in ("__init__.py", "__main__.py") and p.parent == PACKAGE)
)
# Device and network packages may use their own library; the lane service and the command line
# use them all.
DEVICES = ("fairpos.printer", "fairpos.scale", "fairpos.scanner", "fairpos.display",
           "fairpos.sync", "fairpos.ledger", "fairpos.cli", "fairpos.lane")
PURE = ("fairpos.printer.layout", "fairpos.scale.frames", "fairpos.scale.weighing")
DOMAIN = [m for m in HEADLESS
          if m in PURE or not any(m == d or m.startswith(d + ".") for d in DEVICES)]


def test_the_lists_cover_the_domain() -> None:
    for module in ("fairpos.domain.money", "fairpos.domain.catalog", "fairpos.domain.cart",
                   "fairpos.domain.tenders", "fairpos.domain.shift", "fairpos.domain.reports",
                   "fairpos.settings", "fairpos.i18n", "fairpos.journal.sales",
                   "fairpos.journal.db", "fairpos.domain.typed", "fairpos.printer.layout",
                   "fairpos.scale.weighing"):
        assert module in DOMAIN
    for module in ("fairpos.cli.selling", "fairpos.lane", "fairpos.printer.render"):
        assert module in HEADLESS


# One interpreter per group: it loads the libraries a group may use, then forks a child per
# module, which imports that module and says which top-level packages are loaded. A child
# starts from the same state each time, and the libraries are loaded once, not once a module.
PROBE = """
import importlib, json, os, sys
for library in sys.argv[1].split():
    importlib.import_module(library)
found = {}
for module in sys.argv[2:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            said = sorted({m.split('.')[0] for m in sys.modules})
        except BaseException as err:
            said = {"error": repr(err)}
        os.write(write, json.dumps(said).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        found[module] = json.loads(pipe.read())
    os.waitpid(pid, 0)
print(json.dumps(found))
"""
# What each group may load (preloaded in the parent; none of them is what the test looks for).
ALLOWED = "babel click msgspec sqlite_utils tomllib zoneinfo decimal json sqlite3"
ALLOWED_DEVICES = ALLOWED + " httpx escpos.printer serial starlette.applications uvicorn psycopg"


def imported(modules: list[str], libraries: str) -> dict[str, list[str]]:
    """The top-level packages loaded by importing each module in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", PROBE, libraries, *modules],
                         capture_output=True, text=True, check=True)
    found: dict[str, list[str]] = json.loads(out.stdout)
    assert [m for m, said in found.items() if isinstance(said, dict)] == [], found
    return found


def test_domain_modules_import_no_ui_network_or_device_library() -> None:
    found = imported(DOMAIN, ALLOWED)
    assert set(found) == set(DOMAIN)
    assert {m: [p for p in said if p in FORBIDDEN] for m, said in found.items()
            if set(said) & set(FORBIDDEN)} == {}


@pytest.mark.slow
def test_device_modules_and_the_command_line_do_not_import_the_ui() -> None:
    modules = sorted(set(HEADLESS) - set(DOMAIN))
    found = imported(modules, ALLOWED_DEVICES)
    assert set(found) == set(modules)
    assert [m for m, said in found.items() if "textual" in said] == []


def test_the_probe_sees_a_forbidden_import() -> None:
    """The check is not blind: a module that loads the UI is seen doing so."""
    assert "textual" in imported(["fairpos.tui.app"], ALLOWED)["fairpos.tui.app"]
    assert "httpx" in imported(["fairpos.sync.relay"], ALLOWED)["fairpos.sync.relay"]
