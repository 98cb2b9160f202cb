"""Whether this kernel lets a user make the namespaces a test needs (``unshare``): a mount
namespace for a filesystem of the test's own, a network namespace with no network at all."""

from __future__ import annotations

import subprocess


def namespaces_work(*kinds: str) -> bool:
    """``kinds``: ``--mount``, ``--net``… (as a user mapped to root in its own namespace)."""
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", *kinds, "true"],
                              capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False
