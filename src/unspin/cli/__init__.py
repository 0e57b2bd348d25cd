"""The `unspin` command: check, restore, repair, screen, index and trace, 1:1 over
the library, and serve (the web service of `unspin.serve`).

`parser` declares the commands and their options, `commands` runs each one over the
library, and `terminal` holds what they share at the terminal: exit codes, the one-line
error, the progress bar.

Thin by design: it reads input, calls `unspin.check`/`restore`/`repair` or
`unspin.Index` and prints the result, so the CLI and the library can never disagree.
Every error a user can cause is one `unspin: error: ...` line on stderr and exit
status 2.
"""

from __future__ import annotations

import signal
import sys
import threading

from unspin.cli.parser import build_parser
from unspin.cli.terminal import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_JOB_FAILED,
    EXIT_TERMINATED,
    Terminated,
    catch_signals,
    fail,
    silence_stdout,
    use_utf8,
)
from unspin.core.errors import InputError, JobError

__all__ = ["build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv` (default: `sys.argv[1:]`) and return the exit status.

    0: done (for `check`: clean or uncertain), 1: `check` found the text spun,
    1 also: `screen --engine spark` whose Spark job failed; 2: usage or input error,
    130: interrupted (Ctrl-C), 143: terminated (SIGTERM); either way temporary files
    are removed and existing outputs are left as they were.
    """
    use_utf8()
    if threading.current_thread() is not threading.main_thread():
        return _run(argv)
    previous = catch_signals()
    try:
        return _run(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(argv: list[str] | None) -> int:
    """`main` once the signals are set."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        status: int = args.run(args)
        sys.stdout.flush()  # surface a broken pipe here, not at interpreter exit
        return status
    except Terminated:
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except InputError as error:
        return fail(str(error))
    except JobError as error:
        return fail(str(error), EXIT_JOB_FAILED)
    except OSError as error:
        return fail(f"{error.filename}: {error.strerror}" if error.filename else str(error))
    except Exception as error:  # a bug: still one line, never a traceback
        return fail(f"internal error: {type(error).__name__}: {error}")
