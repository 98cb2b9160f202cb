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
    for p in PACKAGE.rglob("*.py")
    if p.parts[len(PACKAGE.parts)] != "tui" and p.name not in ("__init__.py", "__main__.py")
)


def test_the_list_covers_the_domain() -> None:
    for module in ("fairpos.money", "fairpos.catalog", "fairpos.cart", "fairpos.tenders",
                   "fairpos.shift", "fairpos.reports", "fairpos.settings", "fairpos.i18n",
                   "fairpos.store", "fairpos.cli"):
        assert module in HEADLESS


@pytest.mark.parametrize("module", HEADLESS)
def test_module_imports_no_ui_network_or_device_library(module: str) -> None:
    code = (f"import sys, json, importlib; importlib.import_module({module!r}); "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{FORBIDDEN!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == []
