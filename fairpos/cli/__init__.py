"""The ``fairpos`` command: every job at the stall, scriptable, one module per job.

Every command takes ``--data-dir`` (or ``FAIRPOS_HOME``) so several lanes, and tests, never
share a journal. Bad input ends with one clear line on stderr, a non-zero exit, and nothing
changed. Each module adds its commands to :data:`~fairpos.cli.base.main` when it is loaded
(see ``COMMANDS`` in ``base.py``).
"""

from __future__ import annotations

from fairpos.cli.base import main

__all__ = ["main"]
