"""The one base of every refusal: a request that cannot be done, in words a person can act on.

A :class:`FairposError` is shown to the volunteer (or printed as one line by the command line)
and changes nothing. Any other exception is a bug and is shown as one.
"""

from __future__ import annotations


class FairposError(Exception):
    """A refusal; ``str(error)`` is the sentence the volunteer or the treasurer reads."""
