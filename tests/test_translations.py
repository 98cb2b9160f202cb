"""Every message the program can show has a Spanish translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import fairpos

PACKAGE = Path(fairpos.__file__).parent
PO = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "fairpos.po"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _messages() -> set[str]:
    """Every message of the code and of the ledger's page templates."""
    return {str(msg) for _f, _l, msg, _c, _x in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"_": None, "N_": None})}


def test_every_message_is_translated() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {str(m.id): str(m.string) for m in catalog if m.id and m.string}
    missing = sorted(_messages() - set(translated))
    assert missing == [], "add these to fairpos/locale/es/LC_MESSAGES/fairpos.po"
    for msgid, msgstr in translated.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_no_stale_translations() -> None:
    with PO.open("rb") as handle:
        ids = {str(m.id) for m in read_po(handle) if m.id}
    assert sorted(ids - _messages()) == []


def test_no_message_is_built_inside_an_fstring() -> None:
    """Babel cannot extract _() calls inside f-strings, so they would never be translated."""
    offenders = [
        f"{path.name}:{n}"
        for path in PACKAGE.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"""\bf["'][^"']*\{_\(""", line)
    ]
    assert offenders == []
