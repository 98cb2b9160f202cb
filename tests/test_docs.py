"""The docs speak of the program as it is: every command and every key is in them, the
guides name keys exactly as the footer shows them, and every command the README shows runs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from textual.binding import Binding

from fairpos import i18n
from fairpos.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GUIDES = {"es": ROOT / "docs" / "guia-de-caja.md", "en": ROOT / "docs" / "cash-desk-guide.md"}
# the footer's names of keys: `f2 Pay`, `esc Back`, `^q Quit`, `↑↓ Method`
KEY = re.compile(r"`((?:f\d{1,2}|esc|\^[a-z]|↑↓) [^`]+)`")
# the sale's F3 and F4 carry the names of the catalog's first two price classes
CLASSES = {"es": ("Feria grande", "Mini-feria"), "en": ("Large fair price", "Mini fair price")}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        if command.hidden:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def bindings() -> Iterator[tuple[str, Binding]]:
    """Every binding with a name, of every screen and app: (its id or action, binding)."""
    screens = importlib.import_module("fairpos.tui.screens")
    modules = ["fairpos.tui.app", "fairpos.tui.base", "fairpos.tui.station",
               "fairpos.tui.customer",
               *(m.name for m in pkgutil.walk_packages(screens.__path__, "fairpos.tui.screens."))]
    for name in modules:
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == name and "BINDINGS" in vars(cls):
                for binding in cls.BINDINGS:
                    if isinstance(binding, Binding) and binding.description:
                        yield binding.id or binding.action, binding


def shown(binding: Binding) -> str:
    """The key as the footer writes it."""
    if binding.key_display:
        return binding.key_display
    key = binding.key
    return "esc" if key == "escape" else "^" + key[5:] if key.startswith("ctrl+") else key


def footer(language: str) -> set[str]:
    i18n.use(language)
    try:
        named = {f"{shown(b)} {i18n._(b.description)}" for _id, b in bindings()}
    finally:
        i18n.use("en")
    return named | {f"f{3 + n} {name}" for n, name in enumerate(CLASSES[language])}


def text(paths: list[Path]) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_guides_name_every_key_as_the_footer_shows_it(language: str) -> None:
    guide = GUIDES[language].read_text(encoding="utf-8")
    named = KEY.findall(guide)
    assert len(named) >= 20  # open, sell, weigh, pay, change, hold, void, reprint, close
    assert [key for key in named if key not in footer(language)] == []
    for task in ("f1", "f2", "f5", "f6", "f7", "f8", "f3", "f4"):
        assert any(key.startswith(task + " ") for key in named), task


def test_the_guides_are_twins() -> None:
    """The same sections, the same keys, in each language."""
    es, en = (GUIDES[lang].read_text(encoding="utf-8") for lang in ("es", "en"))
    assert len(re.findall(r"^#+ ", es, re.MULTILINE)) == len(re.findall(r"^#+ ", en,
                                                                        re.MULTILINE))
    assert [k.split(" ")[0] for k in KEY.findall(es)] == [k.split(" ")[0]
                                                          for k in KEY.findall(en)]


def test_every_key_binding_is_in_the_docs() -> None:
    docs = text(DOCS)
    missing = [f"{shown(b)} {b.description}" for _id, b in bindings()
               if f"`{shown(b)} {b.description}`" not in docs]
    assert missing == []


def test_every_command_is_in_the_docs() -> None:
    docs = text(DOCS)
    found = list(commands(main))
    assert ("ledger", "serve") in found and ("station", "report") in found
    options = r"(?:\s+--(?:data-dir|lang)\s+\S+)*"
    missing = [" ".join(path) for path in found
               if not re.search(r"fairpos" + options + r"\s+" + r"\s+".join(map(re.escape, path))
                                + r"\b", docs)]
    assert missing == []


def readme_commands() -> list[list[str]]:
    """Every ``fairpos …`` line in the README's code blocks and inline code, as words."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|text)?\n(.*?)```", readme, re.DOTALL)
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    lines += re.findall(r"`(fairpos [^`]+)`", readme)
    found = []
    for line in lines:
        line = line.strip().rstrip("\\").strip()
        if not line.startswith("fairpos "):
            continue
        try:
            words = shlex.split(line.replace("…", "").replace("|", " "))
        except ValueError:
            continue
        found.append(words[1:])
    return found


def test_every_command_the_readme_shows_runs() -> None:
    shown_commands = readme_commands()
    assert len(shown_commands) > 40
    runner = CliRunner()
    paths = set()
    for words in shown_commands:
        path: list[str] = []
        group: click.Command = main
        rest = list(words)
        while rest:
            word = rest.pop(0)
            if word in ("--data-dir", "--lang"):
                rest.pop(0) if rest else None
                continue
            if not isinstance(group, click.Group):
                break
            sub = group.get_command(click.Context(group), word)
            if sub is None:
                break
            path.append(word)
            group = sub
        paths.add(tuple(path))
    assert ("ledger", "serve") in paths and ("sell",) in paths
    for path in sorted(paths):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
