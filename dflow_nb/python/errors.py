"""Exceptions an OP raises to tell the engine whether a retry may help."""
from __future__ import annotations


class TransientError(Exception):
    """A failure worth retrying (network blip, busy resource): retry_on_transient_error."""


class FatalError(Exception):
    """A failure no retry can fix: the step fails at once."""
