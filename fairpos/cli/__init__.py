"""The ``fairpos`` command: every job at the stall, scriptable, one module per job.

Every command takes ``--data-dir`` (or ``FAIRPOS_HOME``) so several lanes, and tests, never
share a journal. Bad input ends with one clear line on stderr, a non-zero exit, and nothing
changed.
"""

from __future__ import annotations

from fairpos.cli import (  # noqa: F401 - each module adds its commands
    catalog,
    demo,
    devices,
    selling,
    shifts,
    sync,
    till,
)
from fairpos.cli.base import main
from fairpos.cli.ledger import ledger

main.add_command(ledger)

__all__ = ["main"]
