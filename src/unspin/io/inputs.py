"""Reading user input at the byte level (a text file, stdin, JSON Lines) with one-line
errors; `unspin.io.loaders` builds the document formats and corpora on top of it.

Every problem a user can cause becomes an `InputError` whose message names the
path, so the adapters can print it as is instead of a traceback.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterator

from unspin.core.errors import InputError

STDIN = "-"
"""The path that means standard input."""

_SAMPLE_BYTES = 8192
"""How much of a file the binary sniff looks at."""

_MAX_CONTROL_SHARE = 0.1
"""Share of control bytes above which a sample is taken for binary, not text."""

_CONTROL_BYTES = (frozenset(range(0x20)) - frozenset(b"\t\n\v\f\r")) | {0x7F}


def read_text(path: str) -> str:
    """The UTF-8 text of `path` ("-" for stdin), without a leading BOM.

    Raises `InputError` for a missing, unreadable or binary file, undecodable
    UTF-8 (naming the byte offset) and empty or whitespace-only text.
    """
    label = name_of(path)
    text = decode(label, sys.stdin.buffer.read() if path == STDIN else read_bytes(path))
    problem = emptiness(text)
    if problem:
        raise InputError(f"{label}: {problem}")
    return text


def iter_jsonl(path: str) -> Iterator[tuple[int, dict[str, str] | InputError]]:
    """The rows of a JSON Lines file as `(line_number, row)`, blank lines skipped.

    A good row is `{"id": str, "text": str}` (an integer id is turned into a
    string); a malformed one comes back as an `InputError` in its place, so the
    caller can report it and go on. A missing, unreadable or binary file raises
    `InputError` here, before the first row is read.
    """
    _reject_binary(path, read_bytes(path, limit=_SAMPLE_BYTES))
    return _rows(path)


def count_rows(path: str) -> int:
    """Number of non-blank lines in `path`: the rows `iter_jsonl` will yield."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _rows(path: str) -> Iterator[tuple[int, dict[str, str] | InputError]]:
    """Parse `path` line by line (the body of `iter_jsonl`, run lazily)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if line.strip():
                yield number, parse_row(line)


def parse_row(line: bytes) -> dict[str, str] | InputError:
    """One JSON Lines row as `{"id", "text"}`, or the error that says what is wrong
    (shared with the Spark engine, so both word a bad row alike)."""
    try:
        row = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as error:
        return InputError(f"not valid UTF-8 at byte {error.start} of the line")
    except json.JSONDecodeError as error:
        return InputError(f"invalid JSON ({error.msg} at column {error.colno})")
    if not isinstance(row, dict):
        return InputError("row is not a JSON object")
    return make_row(row.get("id"), row.get("text"))


def make_row(row_id: object, text: object) -> dict[str, str] | InputError:
    """A `{"id", "text"}` row from its two fields (an integer id as a string), or the
    error that says which is wrong; shared by every row format (JSON Lines, Parquet)."""
    if isinstance(row_id, bool) or not isinstance(row_id, str | int):
        return InputError('missing or invalid "id" (need a string or an integer)')
    if not isinstance(text, str):
        return InputError('missing or non-string "text"')
    try:  # JSON escapes can smuggle in lone surrogates, which no UTF-8 output can hold
        f"{row_id}{text}".encode()
    except UnicodeEncodeError:
        return InputError("row contains an unpaired surrogate escape (\\ud800-\\udfff)")
    return {"id": str(row_id), "text": text}


def decode(label: str, data: bytes) -> str:
    """`data` (read from `label`) as UTF-8 text without a leading BOM; `InputError`
    (naming `label`) if binary or undecodable."""
    _reject_binary(label, data[:_SAMPLE_BYTES])
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skipped + error.start
        raise InputError(
            f"{label}: not valid UTF-8 at byte {offset} (0x{data[offset]:02x})"
        ) from None


def emptiness(text: str) -> str | None:
    """Why `text` holds nothing to work on, or None if it does."""
    if text.strip():
        return None
    return "input is empty" if not text else "input contains only whitespace"


def read_bytes(path: str, limit: int = -1) -> bytes:
    """The bytes of `path` (at most `limit`), with filesystem errors as `InputError`."""
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory")
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None


def _reject_binary(label: str, sample: bytes) -> None:
    """Raise `InputError` if `sample` holds NUL bytes or too many control bytes."""
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    if b"\0" in sample or controls > _MAX_CONTROL_SHARE * len(sample):
        raise InputError(f"{label}: looks like a binary file, not text")


def name_of(path: str) -> str:
    """How `path` is named in messages ("<stdin>" for "-")."""
    return "<stdin>" if path == STDIN else path
