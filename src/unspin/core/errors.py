"""Errors a user can cause; adapters turn them into one line and exit code 2."""


class InputError(ValueError):
    """Input that cannot be checked: empty, too large, undecodable, malformed."""
