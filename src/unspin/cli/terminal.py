"""What the commands share at the terminal: exit codes, the one-line error, quoting, the
progress bar, and UTF-8 output whatever the locale."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

from unspin.core.errors import InputError
from unspin.io.inputs import name_of

PROG = "unspin"
EXIT_OK = 0
EXIT_SPUN = 1
EXIT_JOB_FAILED = 1  # screen --engine spark: the Spark job failed
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a command killed by SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a command killed by it


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill PID`), raised like Ctrl-C so that every cleanup runs: the hidden
    temporary outputs beside an output file go, an existing output stays as it was."""


_stopped: list[type[KeyboardInterrupt]] = []
"""The interruption a signal raised, kept: raised inside a finalizer, Python prints and
drops it, so `Progress` raises it again at the next document."""


def on_signal(signum: int, frame: object) -> None:
    """The SIGINT and SIGTERM handler of the `unspin` process: Ctrl-C and `kill PID`
    stop it the same way, every cleanup running."""
    stop = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    _stopped.append(stop)
    raise stop


def catch_signals() -> dict[int, Any]:
    """Install `on_signal` for SIGINT and SIGTERM; the handlers it replaced."""
    _stopped.clear()
    return {signum: signal.signal(signum, on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)}


def raise_if_stopped() -> None:
    """Raise again an interruption a signal raised before (see `_stopped`)."""
    if _stopped:
        raise _stopped[-1]


T = TypeVar("T")


class Progress:
    """A `[#####.....] 512/1000 docs` bar on stderr (`[#####.....] 51% of the text` for
    one long document), redrawn at most 10 times a second.

    Inert when `total` is None (stderr is not a terminal), so logs stay clean.
    """

    WIDTH = 30
    INTERVAL_S = 0.1

    def __init__(self, total: int | None, unit: str = "docs") -> None:
        self.total = total
        self.unit = unit
        self.done = 0
        self._drawn_at = -self.INTERVAL_S
        self._dirty = False

    def advance(self) -> None:
        """Count one document; redraw if the last redraw is old enough."""
        self.reach(self.done + 1)

    def reach(self, done: int, total: int | None = None) -> None:
        """Set how much is done (of `total`, when it is known only now); redraw if the
        last redraw is old enough. The library's `progress` callbacks take this."""
        raise_if_stopped()
        self.done = done
        if self.total is not None and total is not None:
            self.total = total
        if self.total is not None and time.monotonic() - self._drawn_at >= self.INTERVAL_S:
            self._draw()

    def skip(self, message: str) -> None:
        """Report a skipped document (`report_skip`) on a line of its own, above the bar."""
        self.clear()
        report_skip(message)

    def clear(self) -> None:
        """Erase the bar so a warning can take its line; it comes back on `advance`."""
        if self._dirty:
            sys.stderr.write("\r" + " " * (self.WIDTH + 40) + "\r")
            self._dirty = False
            self._drawn_at = -self.INTERVAL_S

    def close(self) -> None:
        """Draw the final state and end the bar's line."""
        if self.total is not None and self.done:
            self._draw()
            sys.stderr.write("\n")

    def _draw(self) -> None:
        total = max(self.total or 0, self.done)
        filled = self.WIDTH * self.done // total if total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        count = (f"{100 * self.done // max(total, 1)}% {self.unit}" if self.unit != "docs"
                 else f"{self.done}/{total} docs")
        sys.stderr.write(f"\r[{bar}] {count}")
        sys.stderr.flush()
        self._drawn_at = time.monotonic()
        self._dirty = True


def for_path(path: str, call: Callable[[], T]) -> T:
    """Run a library call, naming `path` in any `InputError` it raises."""
    try:
        return call()
    except InputError as error:
        raise InputError(f"{name_of(path)}: {error}") from None


def report_skip(message: str) -> None:
    """The line every corpus command prints for a document it leaves out."""
    print(f"{PROG}: {message}, skipped", file=sys.stderr)


def fail(message: str, status: int = EXIT_ERROR) -> int:
    """Print the one-line error and return `status` (default: the error exit status)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status


def quote(value: str) -> str:
    """`value` in double quotes, with newlines and quotes escaped, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False)


def silence_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit cannot raise again."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def use_utf8() -> None:
    """Write UTF-8 whatever the locale says, so output is the same everywhere."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")
