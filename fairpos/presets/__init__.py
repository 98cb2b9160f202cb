"""Settings a new lane starts from: ``fairpos init --preset NAME``.

Each preset is a commented ``fairpos.toml`` with the fair's name and lane number, the locale and
the currencies filled in; everything else is what such a market usually needs, ready to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template


@dataclass(frozen=True)
class Preset:
    file: str
    currency: str
    tender_currencies: tuple[str, ...]
    locale: str


PRESETS = {
    "lane": Preset("lane.toml", "USD", (), "es"),
    "feria": Preset("feria.toml", "USD", ("VES",), "es"),
    "farmers-market": Preset("farmers-market.toml", "USD", (), "en"),
}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_preset(name: str, fair: str, lane: int, *, locale: str | None = None,
                  currency: str | None = None, tender_currencies: Sequence[str] | None = None
                  ) -> str:
    """The text of a ``fairpos.toml`` from preset ``name``; locale and currencies are the
    preset's unless given (the pricing currency is always accepted in payment)."""
    preset = PRESETS[name]
    code = currency or preset.currency
    others = preset.tender_currencies if tender_currencies is None else tender_currencies
    tender = [code, *(c for c in others if c != code)]
    template = Template((resources.files(__package__) / preset.file).read_text("utf-8"))
    return template.substitute(
        fair=_quoted(fair)[1:-1], lane=lane, locale=locale or preset.locale, currency=code,
        tender_currencies=", ".join(_quoted(c) for c in tender))


# The example lanes of the demo, the tests and the benchmarks.
EXAMPLES = {"feria": ("Feria de Consumo Familiar del Centro", 1),
            "farmers-market": ("Riverside Farmers Market", 3)}


def example(name: str) -> str:
    """Preset ``name`` for its example fair (see ``EXAMPLES``)."""
    fair, lane = EXAMPLES[name]
    return render_preset(name, fair, lane)
