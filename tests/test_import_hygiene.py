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
DEVICES = ("fairpos.printer", "fairpos.scale", "fairpos.sync", "fairpos.ledger", "fairpos.cli",
           "fairpos.lane")
PURE = ("fairpos.printer.layout", "fairpos.scale.frames", "fairpos.scale.weighing")
DOMAIN = [m for m in HEADLESS
          if m in PURE or not any(m == d or m.startswith(d + ".") for d in DEVICES)]


def test_the_lists_cover_the_domain() -> None:
    for module in ("fairpos.money", "fairpos.catalog", "fairpos.cart", "fairpos.tenders",
                   "fairpos.shift", "fairpos.reports", "fairpos.settings", "fairpos.i18n",
                   "fairpos.journal.sales", "fairpos.journal.db", "fairpos.entry",
                   "fairpos.printer.layout", "fairpos.scale.weighing"):
        assert module in DOMAIN
    for module in ("fairpos.cli.selling", "fairpos.lane", "fairpos.printer.render"):
        assert module in HEADLESS


def imported(module: str) -> list[str]:
    code = (f"import sys, json, importlib; importlib.import_module({module!r}); "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_module_imports_no_ui_network_or_device_library(module: str) -> None:
    assert [m for m in imported(module) if m in FORBIDDEN] == []


@pytest.mark.parametrize("module", sorted(set(HEADLESS) - set(DOMAIN)))
def test_device_modules_and_the_command_line_do_not_import_the_ui(module: str) -> None:
    assert "textual" not in imported(module)
