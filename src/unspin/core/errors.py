"""Errors the adapters report as one line: `InputError` (exit status 2), `JobError` (1)."""


class InputError(ValueError):
    """Input that cannot be checked: empty, too large, undecodable, malformed."""


class JobError(RuntimeError):
    """A corpus job that failed after its inputs were accepted (a Spark worker crashed,
    the cluster went away): one line, naming the likeliest cause."""
