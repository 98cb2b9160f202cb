"""The layering is enforced, not only described: the project's own import contracts break when
a screen reaches past the lane service into the journal's writer, and the front ends import of
the journal only its records."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from harness.lanes import ROOT

CONTRACT = "The till and the command line reach the journal through the lane service"


def contracts_of(pyproject: Path, named: str) -> list[dict[str, object]]:
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    return [c for c in config["contracts"] if str(c["name"]).startswith(named)]


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of the package in ``tree``, with the project's contract."""
    [contract] = contracts_of(ROOT / "pyproject.toml", CONTRACT)
    lines = ['[importlinter]', 'root_package = fairpos', 'include_external_packages = True', '',
             '[importlinter:contract:lane]', f'name = {contract["name"]}',
             f'type = {contract["type"]}']
    for key in ("source_modules", "forbidden_modules"):
        lines.append(f"{key} =\n" + "\n".join(f"    {m}" for m in contract[key]))  # type: ignore[attr-defined]
    lines.append(f'allow_indirect_imports = {contract["allow_indirect_imports"]}')
    (tree / ".importlinter").write_text("\n".join(lines) + "\n")
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache",
                           "--config", str(tree / ".importlinter")], cwd=tree,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})


def test_a_screen_that_imports_the_journals_writer_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fairpos", tmp_path / "fairpos",
                    ignore=shutil.ignore_patterns("__pycache__", "locale", "fixtures"))
    kept = lint(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "1 kept, 0 broken" in kept.stdout
    screen = tmp_path / "fairpos" / "tui" / "screens" / "sales.py"
    screen.write_text(screen.read_text() + "\nfrom fairpos.journal.sales import SalesBook\n")
    broken = lint(tmp_path)
    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout and "fairpos.tui.screens.sales -> fairpos.journal.sales" \
        in broken.stdout, broken.stdout


def test_the_front_ends_import_of_the_journal_only_its_records() -> None:
    """(The package itself re-exports the writer: importing from it is reaching past the
    lane service as surely, which a contract on submodules would not see.)"""
    found = []
    front_ends = [*(ROOT / "fairpos" / "tui").rglob("*.py"),
                  *(ROOT / "fairpos" / "cli").rglob("*.py")]
    for path in front_ends:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module is not None and \
                    node.module.startswith("fairpos.journal") and \
                    node.module != "fairpos.journal.records":
                found.append(f"{path.relative_to(ROOT)}: {node.module}")
            if isinstance(node, ast.Import):
                found += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names
                          if a.name.startswith("fairpos.journal")]
    assert found == []


def test_the_front_ends_never_hold_the_journal_the_lane_opened() -> None:
    """An import contract cannot see ``lane.journal.…``: the journal object reached through
    the lane service is the writer all the same. The till and the command line ask the lane;
    the sync layer gets the journal as the lane's outbox."""
    front_ends = [*(ROOT / "fairpos" / "tui").rglob("*.py"),
                  *(ROOT / "fairpos" / "cli").rglob("*.py")]
    found = [f"{path.relative_to(ROOT)}:{node.lineno}"
             for path in front_ends for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Attribute) and node.attr == "journal"]
    assert found == []
