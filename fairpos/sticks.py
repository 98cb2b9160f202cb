"""Removable drives where a lane's settings say they are mounted (``/media/*`` …): a folder
matching one of the patterns that is a mount point of its own and can be written."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path


def mounted(patterns: Sequence[str], is_mount: Callable[[str], bool] = os.path.ismount
            ) -> list[Path]:
    """The mount points matching ``patterns`` that this process can write, once each."""
    found: dict[str, None] = {}
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.expanduser(pattern))):
            if os.path.isdir(path) and is_mount(path) and os.access(path, os.W_OK | os.X_OK):
                found.setdefault(os.path.realpath(path), None)
    return [Path(path) for path in found]
