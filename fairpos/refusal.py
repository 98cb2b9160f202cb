"""How every command refuses: one clear line on stderr, exit status 1, nothing changed."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import click


class Refused(click.ClickException):
    """One clear line on stderr and exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"fairpos: {self.message}", err=True)


def refuse(message: str) -> NoReturn:
    raise Refused(message)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
