"""The ``fairpos`` group and what every command shares: the lane it works on, and how it
refuses — one clear line on stderr, exit status 1, nothing changed.

Every :class:`~fairpos.errors.FairposError` that reaches the group is such a refusal; any other
exception is a bug and is shown as one.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from contextlib import suppress
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import click
from platformdirs import user_data_dir

from fairpos import i18n
from fairpos.errors import FairposError
from fairpos.lane import SETTINGS_NAME, Lane


class CommandRefused(click.ClickException):
    """One clear line on stderr and exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"fairpos: {self.message}", err=True)


def refuse(message: str) -> NoReturn:
    raise CommandRefused(message)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


# Which module adds each command: a command's module is loaded only when it runs (or when
# --help lists them all), so that the till, and every command, starts quickly.
COMMANDS = {
    "init": "catalog", "settings": "catalog", "catalog": "catalog", "rate": "catalog",
    "shift": "shifts", "report": "shifts",
    "sell": "selling", "held": "selling", "void": "selling", "refund": "selling",
    "printer": "devices", "reprint": "devices", "scale": "devices",
    "connect": "sync", "sync": "sync", "sync-status": "sync", "export": "sync",
    "sync-worker": "sync",
    "demo": "demo", "till": "till", "display": "till", "ledger": "ledger",
    "station": "station", "backup": "backups", "restore": "backups", "check": "backups",
    "kit": "kit",
}


class FairposGroup(click.Group):
    """Like click.Group, but a usage error or a refusal is one line on stderr, not a dump;
    commands are loaded when first used (see ``COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"fairpos.cli.{COMMANDS[cmd_name]}")
        return self.commands.get(cmd_name)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            where = err.ctx.command_path if err.ctx else "fairpos"
            click.echo(f"fairpos: {err.format_message()} ({where} --help)", err=True)
            sys.exit(err.exit_code)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except FairposError as err:
            click.echo(f"fairpos: {err}", err=True)
            sys.exit(1)
        except click.Abort:
            click.echo("fairpos: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def default_data_dir() -> Path:
    return Path(user_data_dir("fairpos", appauthor=False))


def fixtures_dir() -> Path:
    """The fixtures shipped with the package (or beside it, in a source checkout)."""
    packaged = Path(str(resources.files("fairpos") / "fixtures"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "fixtures"


pass_lane = click.make_pass_decorator(Lane)


@click.group(cls=FairposGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="FAIRPOS_HOME", default=default_data_dir, show_default="per-user data folder",
              help="Folder with this lane's fairpos.toml and journal (env: FAIRPOS_HOME).")
@click.option("--lang", type=click.Choice(i18n.LANGUAGES), default=None,
              help="Language of messages and reports (default: [ui] locale, else es).")
@click.version_option(package_name="fairpos")
@click.pass_context
def main(ctx: click.Context, data_dir: Path, lang: str | None) -> None:
    """fairpos: the point of sale for family food fairs.

    With no command, opens the till. Sales are written to a local journal first; nothing
    waits on the network.
    """
    lane = Lane(data_dir)
    ctx.obj = lane
    ctx.call_on_close(lane.close)
    language = lang or os.environ.get("FAIRPOS_UI__LOCALE")
    if language is None and (data_dir / SETTINGS_NAME).exists():
        # A broken fairpos.toml is reported by the command that needs it, not here.
        with suppress(FairposError):
            language = lane.settings.ui.locale
    i18n.use(language or i18n.DEFAULT_LANGUAGE)
    if ctx.invoked_subcommand is None:
        till = main.get_command(ctx, "till")
        assert till is not None
        ctx.invoke(till)
