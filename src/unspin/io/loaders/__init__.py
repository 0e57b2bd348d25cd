"""Documents from files: the one loader behind `check`, `screen`, `index` and `trace`.

A document is `(id, text)`. A path is a file or a directory; a directory is searched
recursively, in sorted order, for files of the formats below (hidden files and folders
and other files are left out), and a file in it is named by its path inside the
directory, "/"-separated. The formats, by file name (case-insensitive):

- `.txt`: UTF-8 text, one document (a leading BOM dropped).
- `.jsonl`, `.ndjson`: one `{"id", "text"}` object a line (an integer id becomes a string).
- `.parquet`: columns `id` and `text`, one document a row, read in record batches.
- `.pdf`: the text layer of every page (a PDF without one, a scan, is skipped).
- `.html`, `.htm`: the main text, as trafilatura extracts it (menus and footers left out).
- `.docx`: the paragraphs, separated by blank lines.
- `.xml`: a JATS article: title, abstract and the `<body>`'s section titles and
  paragraphs (no references, figures, tables or back matter).
- `.warc`, `.warc.gz`: every `response` or `resource` record with an HTML or plain-text
  body (HTTP status 2xx), id = its WARC-Target-URI; a URI seen again in the same file
  gets "#2", "#3"... appended, so ids stay unique.

A single-document file given as a path is named by its file name; the rows of a
JSON Lines or Parquet file and the records of a WARC file by their own ids, whether
given directly or found in a directory.

One module per format (`text`, `pdf`, `html`, `docx`, `jats`, `jsonl`, `parquet`,
`warc`), over `files` (walking a path) and `common` (the format tables, errors and
extras). Names with a leading underscore are private to the package, shared by its
modules.

Everything but text and JSON Lines needs the optional `formats` extra
(`pip install 'unspin[formats]'`); its libraries are imported only when a file needs
them.

Errors. A missing or unreadable path, a file of an unsupported type given directly, a
directory without documents or a missing extra is an `InputError` raised before the
first document. A bad document (undecodable, a corrupt PDF, a malformed row) is
reported to the `warn` callback as one line, `LOCATION: problem`, and skipped, or,
with `strict=True`, raised as an `InputError` (an index is built from a whole corpus
or not at all). A document with nothing to read (empty text, a scanned PDF, an HTML
page without main text, an XML file that is not a JATS article) is always reported
and skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import cast

from unspin.core.errors import InputError
from unspin.io.inputs import (
    STDIN,
    count_rows,
    emptiness,
    read_bytes,
    read_text,
)
from unspin.io.loaders.common import (
    MULTI_KINDS,
    SINGLE_KINDS,
    SUFFIXES,
    MissingExtra,
    Warn,
    _File,
    _NothingToRead,
    _require,
    kind_of,
)
from unspin.io.loaders.docx import _docx_text
from unspin.io.loaders.files import _files
from unspin.io.loaders.html import _html_file_text
from unspin.io.loaders.jats import _jats_text
from unspin.io.loaders.jsonl import _jsonl_documents
from unspin.io.loaders.parquet import _parquet_documents, _parquet_file
from unspin.io.loaders.pdf import _pdf_text
from unspin.io.loaders.text import _text
from unspin.io.loaders.warc import _warc_documents

__all__ = ["MULTI_KINDS", "SINGLE_KINDS", "SUFFIXES", "MissingExtra", "Unread", "Warn",
           "count_documents", "holds_many", "iter_documents", "iter_sources", "kind_of",
           "read_document"]


def holds_many(path: str) -> bool:
    """Whether `path` is a directory or a file of many documents (JSON Lines, Parquet,
    WARC), as opposed to one document (or "-", standard input)."""
    return path != STDIN and (os.path.isdir(path) or kind_of(path) in MULTI_KINDS.values())


def read_document(path: str) -> str:
    """The text of the one document at `path` ("-": UTF-8 text from stdin), for `check`.

    `.pdf`, `.html`/`.htm`, `.docx` and JATS `.xml` files give their extracted text; any
    other file is read as UTF-8 text, as `read_text` does. A file that holds many
    documents (JSON Lines, Parquet, WARC), a bad or unreadable file, a missing extra or
    a document without text raises `InputError`.
    """
    kind = None if path == STDIN else kind_of(path)
    if kind in MULTI_KINDS.values():
        raise InputError(f"{path}: holds many documents, not one "
                         "(`unspin screen` reads such files)")
    if kind in (None, "text"):
        return read_text(path)
    _require(kind, path)
    read_bytes(path, limit=0)  # a missing file or a directory: the usual message
    return Unread(path, kind).read()


def iter_documents(paths: Sequence[str], warn: Warn, *, strict: bool = False
                   ) -> Iterator[tuple[str, str]]:
    """The documents of every path in `paths`, in order, as `(id, text)`.

    Every path is checked before this returns (it exists and is readable, its type is
    supported, a directory holds documents, the needed extra is installed), so a
    usage error raises `InputError` before any work. Documents that cannot be read are
    reported to `warn` as `LOCATION: problem` and skipped; with `strict`, they raise
    `InputError` instead. Documents without text are always reported and skipped.
    """
    sources = [_files(path, direct=True) for path in paths]
    return cast(Iterator[tuple[str, str]], _documents(sources, warn, strict, defer=False))


def iter_sources(paths: Sequence[str], warn: Warn) -> Iterator[tuple[str, str | Unread]]:
    """`iter_documents`, with each one-document file (text, PDF, HTML, DOCX, JATS) left
    unread: `(id, Unread)`, whose `read()` gives the text or raises the `InputError`
    that `iter_documents` would have reported. A corpus run reads those files in its
    worker processes, so extraction (pypdf, trafilatura) runs in parallel too."""
    sources = [_files(path, direct=True) for path in paths]
    return _documents(sources, warn, strict=False, defer=True)


def count_documents(paths: Sequence[str]) -> int | None:
    """A cheap count of the documents `iter_documents(paths)` yields, for a progress bar.

    Rows of JSON Lines files (lines read, not parsed), rows of Parquet files (from their
    metadata), one per other file; None if a WARC file is among them or a path cannot
    be looked at. Skipped documents are counted too.
    """
    total = 0
    try:
        for path in paths:
            for file in _files(path, direct=False):
                count = _count(file)
                if count is None:
                    return None
                total += count
    except (InputError, OSError):
        return None
    return total


def _count(file: _File) -> int | None:
    """How many documents `file` holds (None: not known cheaply)."""
    if file.kind == "jsonl":
        return count_rows(file.path)
    if file.kind == "parquet":
        try:
            return int(_parquet_file(file.path).metadata.num_rows)
        except InputError:
            return None
    if file.kind == "warc":
        return None
    return 1


def _documents(sources: list[list[_File]], warn: Warn, strict: bool, defer: bool
               ) -> Iterator[tuple[str, str | Unread]]:
    """The body of `iter_documents` and `iter_sources`, run lazily."""

    def bad(error: InputError) -> None:
        if strict and not isinstance(error, _NothingToRead):
            raise error
        warn(str(error))

    for files in sources:
        for file in files:
            if file.kind in MULTI_KINDS.values():
                yield from _MULTI[file.kind](file.path, bad)
                continue
            unread = Unread(file.path, file.kind)
            if defer:
                yield file.id, unread
                continue
            try:
                text = unread.read()
            except MissingExtra:
                raise
            except InputError as error:
                bad(error)
            else:
                yield file.id, text


@dataclass(frozen=True)
class Unread:
    """A one-document file not read yet (from `iter_sources`)."""

    path: str
    kind: str
    """Its format: "text", "pdf", "html", "docx" or "jats"."""

    def read(self) -> str:
        """The file's text; `InputError` (its message "PATH: problem") if it cannot be
        read or holds no text."""
        text = _EXTRACTORS[self.kind](self.path)
        problem = emptiness(text)
        if problem:
            raise _NothingToRead(f"{self.path}: {problem}")
        return text

    @cached_property
    def size(self) -> int:
        """The file's size in bytes (0 if it cannot be looked at): the stand-in for its
        length where a run bounds the text in flight (looked up once)."""
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0


_EXTRACTORS: dict[str, Callable[[str], str]] = {
    "text": _text, "pdf": _pdf_text, "html": _html_file_text, "docx": _docx_text,
    "jats": _jats_text}
_MULTI: dict[str, Callable[[str, Callable[[InputError], None]], Iterator[tuple[str, str]]]] = {
    "jsonl": _jsonl_documents, "parquet": _parquet_documents, "warc": _warc_documents}
