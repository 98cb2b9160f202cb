"""The ledger's named accounts, at its command line: add a treasurer or an admin (the password
asked twice, never on the command line), list them, disable one."""

from __future__ import annotations

import click

from fairpos.cli.ledger import command_line, db_option, ledger, opened
from fairpos.i18n import N_, _

ROLE_WORDS = {"treasurer": N_("treasurer"), "admin": N_("admin")}


@ledger.group()
def user() -> None:
    """Named accounts for the pages: a treasurer reads them and settles the quarantine; an
    admin also enrols and revokes lanes there."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["treasurer", "admin"]), required=True,
              help="What the account may do on the pages.")
@db_option
def user_add(name: str, role: str, db: str) -> None:
    """Add an account; its password is asked for twice (at least 10 characters; only its
    scrypt hash is kept)."""
    password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True,
                            err=True)
    with opened(db) as store:
        added = store.add_account(name, role, password, command_line())
    click.echo(_("Account {name} ({role}) added: sign in at /login.").format(
        name=added.name, role=_(ROLE_WORDS[added.role])))


@user.command("list")
@db_option
def user_list(db: str) -> None:
    """Every account, its role, and whether it is disabled."""
    with opened(db) as store:
        found = store.accounts()
    if not found:
        click.echo(_("No accounts yet: fairpos ledger user add NAME --role treasurer"))
    for account in found:
        state = _("disabled {at}").format(at=account.disabled_at[:16]) \
            if account.disabled_at else _("active")
        role = _(ROLE_WORDS[account.role])
        click.echo("\t".join((account.name, role, state)))


@user.command("disable")
@click.argument("name")
@db_option
def user_disable(name: str, db: str) -> None:
    """Disable an account: it signs in no more and its sessions end (kept for the audit)."""
    with opened(db) as store:
        store.disable_account(name.strip(), command_line())
    click.echo(_("Account {name} disabled.").format(name=name.strip()))

