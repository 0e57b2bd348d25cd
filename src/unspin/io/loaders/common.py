"""What every loader shares: the format tables, the errors, the extras' imports, quiet
logging, and a row of a JSON Lines or Parquet file as a document."""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from unspin.core.errors import InputError
from unspin.io.inputs import emptiness

Warn = Callable[[str], None]
"""Receives one line, `LOCATION: problem`, per document skipped."""

SINGLE_KINDS = {".txt": "text", ".pdf": "pdf", ".html": "html", ".htm": "html",
                ".docx": "docx", ".xml": "jats"}
"""File suffix -> kind, for files that hold one document."""

MULTI_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
               ".warc": "warc", ".warc.gz": "warc"}
"""File suffix -> kind, for files that hold many documents."""

SUFFIXES = tuple(SINGLE_KINDS) + tuple(MULTI_KINDS)

_EXTRA = {"pdf": ("pypdf",), "html": ("trafilatura",), "docx": ("docx",),
          "parquet": ("pyarrow",), "warc": ("warcio", "trafilatura")}
"""Kind -> the modules of the `formats` extra it needs."""

_QUIET_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "justext", "warcio")
"""Libraries whose warnings about a malformed file would otherwise reach stderr."""


class MissingExtra(InputError):
    """A format's library is not installed: never a per-document problem."""


class _NothingToRead(InputError):
    """A document that is fine but holds no text (always skipped, never fatal)."""


@dataclass(frozen=True)
class _File:
    """A file to read: its id (for a one-document file), path and kind."""

    id: str
    path: str
    kind: str


def kind_of(path: str) -> str | None:
    """The kind of file `path` names by its suffix ("text", "pdf", "jsonl", ...), or None."""
    name = path.lower()
    if name.endswith(".warc.gz"):
        return "warc"
    suffix = os.path.splitext(name)[1]
    return SINGLE_KINDS.get(suffix) or MULTI_KINDS.get(suffix)


def _require(kind: str, path: str) -> None:
    """Raise `MissingExtra` if a library that `kind` needs is not installed."""
    for module in _EXTRA.get(kind, ()):
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(_missing(path))


def _import(module: str, path: str) -> ModuleType:
    """`module`, imported now (the extras are heavy); `MissingExtra` if absent."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(_missing(path)) from None


def _missing(path: str) -> str:
    name = path.lower()
    suffix = ".warc.gz" if name.endswith(".warc.gz") else os.path.splitext(name)[1]
    return f"{path}: reading {suffix} files needs the formats extra: pip install 'unspin[formats]'"


def _unreadable(path: str, what: str, error: Exception) -> InputError:
    if isinstance(error, OSError) and not os.path.exists(path):
        return InputError(f"{path}: no such file")
    return InputError(f"{path}: not a readable {what} file ({_one_line(error)})")


def _one_line(error: BaseException) -> str:
    """`error` as a short single line for a message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the format libraries' own warnings while one file is read."""
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _row_document(location: str, row: dict[str, str] | InputError,
                  bad: Callable[[InputError], None]) -> Iterator[tuple[str, str]]:
    """`row` as a document, or its problem reported at `location`."""
    if isinstance(row, InputError):
        bad(InputError(f"{location}: {row}"))
        return
    problem = emptiness(row["text"])
    if problem:
        bad(_NothingToRead(f"{location}: {problem}"))
    else:
        yield row["id"], row["text"]
