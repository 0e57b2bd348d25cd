"""Reading user input (a text file, stdin, JSON Lines, a corpus) with one-line errors.

Every problem a user can cause becomes an `InputError` whose message names the
path, so the adapters can print it as is instead of a traceback.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import PurePath

from unspin.errors import InputError

STDIN = "-"
"""The path that means standard input."""

TEXT_SUFFIX = ".txt"
"""Files of a corpus directory that are documents (compared case-insensitively)."""

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
    text = _decode(label, sys.stdin.buffer.read() if path == STDIN else _read_file(path))
    problem = _emptiness(text)
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
    _reject_binary(path, _read_file(path, limit=_SAMPLE_BYTES))
    return _rows(path)


def iter_corpus(path: str, skipped: Callable[[str], None] | None = None
                ) -> Iterator[tuple[str, str]]:
    """The documents of the corpus at `path` as `(id, text)`, to build an index from.

    `path` is a directory (every `*.txt` file under it, in path order, hidden files and
    folders left out; id = the path relative to `path`, "/"-separated), one `.txt` file
    (id = its file name) or a JSON Lines file of `{"id", "text"}` rows. An index is built
    from a whole corpus or not at all, so a malformed row raises `InputError` naming
    `path:line`, and an unreadable, binary or non-UTF-8 file one naming the file. A
    document with no text (empty or whitespace only) has nothing to trace to: it is
    left out, and `skipped` (if given) gets a message naming it. A missing `path` or a
    directory without `.txt` files raises here, before the first document.
    """
    if os.path.isdir(path):
        files = _text_files(path)
        if not files:
            raise InputError(f"{path}: no .txt files in this directory")
        return _file_documents(files, skipped)
    if path.lower().endswith(TEXT_SUFFIX):
        _read_file(path, limit=0)
        return _file_documents([(os.path.basename(path), path)], skipped)
    return _row_documents(path, iter_jsonl(path), skipped)


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
                yield number, _parse_row(line)


def _text_files(root: str) -> list[tuple[str, str]]:
    """`(id, path)` of every non-hidden `.txt` file under `root`, sorted by id."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.lower().endswith(TEXT_SUFFIX) and not name.startswith("."):
                file = os.path.join(folder, name)
                found.append((PurePath(os.path.relpath(file, root)).as_posix(), file))
    return sorted(found)


def _file_documents(files: list[tuple[str, str]], skipped: Callable[[str], None] | None
                    ) -> Iterator[tuple[str, str]]:
    """Read each `(id, path)` of `files` (the body of `iter_corpus` for text files)."""
    for doc_id, file in files:
        text = _decode(file, _read_file(file))
        problem = _emptiness(text)
        if not problem:
            yield doc_id, text
        elif skipped:
            skipped(f"{file}: {problem}")


def _row_documents(path: str, rows: Iterator[tuple[int, dict[str, str] | InputError]],
                   skipped: Callable[[str], None] | None) -> Iterator[tuple[str, str]]:
    """The documents of parsed JSON Lines `rows` (the body of `iter_corpus` for JSONL)."""
    for number, row in rows:
        if isinstance(row, InputError):
            raise InputError(f"{path}:{number}: {row}")
        problem = _emptiness(row["text"])
        if not problem:
            yield row["id"], row["text"]
        elif skipped:
            skipped(f"{path}:{number}: {problem}")


def _parse_row(line: bytes) -> dict[str, str] | InputError:
    """One JSON Lines row as `{"id", "text"}`, or the error that says what is wrong."""
    try:
        row = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as error:
        return InputError(f"not valid UTF-8 at byte {error.start} of the line")
    except json.JSONDecodeError as error:
        return InputError(f"invalid JSON ({error.msg} at column {error.colno})")
    if not isinstance(row, dict):
        return InputError("row is not a JSON object")
    row_id = row.get("id")
    if isinstance(row_id, bool) or not isinstance(row_id, str | int):
        return InputError('missing or invalid "id" (need a string or an integer)')
    text = row.get("text")
    if not isinstance(text, str):
        return InputError('missing or non-string "text"')
    try:  # JSON escapes can smuggle in lone surrogates, which no UTF-8 output can hold
        f"{row_id}{text}".encode()
    except UnicodeEncodeError:
        return InputError("row contains an unpaired surrogate escape (\\ud800-\\udfff)")
    return {"id": str(row_id), "text": text}


def _decode(label: str, data: bytes) -> str:
    """`data` as UTF-8 text without a leading BOM; `InputError` if binary or undecodable."""
    _reject_binary(label, data[:_SAMPLE_BYTES])
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skipped + error.start
        raise InputError(
            f"{label}: not valid UTF-8 at byte {offset} (0x{data[offset]:02x})"
        ) from None


def _emptiness(text: str) -> str | None:
    """Why `text` holds nothing to work on, or None if it does."""
    if text.strip():
        return None
    return "input is empty" if not text else "input contains only whitespace"


def _read_file(path: str, limit: int = -1) -> bytes:
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
