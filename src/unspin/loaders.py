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

import importlib
import importlib.util
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

from unspin.errors import InputError
from unspin.inputs import (
    STDIN,
    count_rows,
    decode,
    emptiness,
    iter_jsonl,
    make_row,
    read_bytes,
    read_text,
)

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

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most a DOCX may unpack to: python-docx reads every part into memory, so a ZIP
bomb posing as a document (a few MB holding gigabytes) is refused before it is opened.
Far above any real document's text (the input limit is 5M characters); images count."""
_QUIET_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "justext", "warcio")
"""Libraries whose warnings about a malformed file would otherwise reach stderr."""

PARQUET_BATCH_ROWS = 256
"""Rows read from a Parquet file at a time (documents can be long: keep memory flat)."""

_HTML_TYPES = ("text/html", "application/xhtml+xml")

_JATS_SKIPPED = frozenset({
    "ref-list", "fig", "fig-group", "table-wrap", "table-wrap-group", "disp-formula",
    "supplementary-material", "fn-group", "tex-math", "math", "graphic", "media",
    "alternatives", "object-id", "label"})
"""JATS elements whose text is not prose: left out wherever they occur."""


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
    text = _EXTRACTORS[kind](path)
    problem = emptiness(text)
    if problem:
        raise InputError(f"{path}: {problem}")
    return text


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
    return _documents(sources, warn, strict)


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


# --- finding the files ------------------------------------------------------------------


def _files(path: str, direct: bool) -> list[_File]:
    """The files to read for `path`: itself, or those of the directory it names.

    With `direct`, also check up front what can be checked (readable, right type,
    extras installed) so that a usage error raises here.
    """
    if os.path.isdir(path):
        files = _walk(path)
        if not files:
            raise InputError(f"{path}: no documents in this directory (looked for "
                             f"{', '.join(SUFFIXES[:-1])} and {SUFFIXES[-1]} files)")
        for kind in sorted({file.kind for file in files}):
            _require(kind, next(file.path for file in files if file.kind == kind))
        return files
    if not direct:
        kind = kind_of(path)
        return [_File(os.path.basename(path), path, kind)] if kind else []
    read_bytes(path, limit=0)  # missing or unreadable: one line, now
    kind = kind_of(path)
    if kind is None:
        raise InputError(f"{path}: unsupported file type (need one of "
                         f"{', '.join(SUFFIXES)}, or a directory of them)")
    _require(kind, path)
    if kind == "jsonl":
        iter_jsonl(path)  # a binary file fails here
    elif kind == "parquet":
        _parquet_file(path)  # not Parquet, or no id/text columns
    return [_File(os.path.basename(path), path, kind)]


def _walk(root: str) -> list[_File]:
    """Every non-hidden file of a known kind under `root`, sorted by id."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            kind = kind_of(name)
            if kind and not name.startswith("."):
                file = os.path.join(folder, name)
                found.append(_File(PurePath(os.path.relpath(file, root)).as_posix(),
                                   file, kind))
    return sorted(found, key=lambda file: file.id)


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


# --- reading the documents --------------------------------------------------------------


def _documents(sources: list[list[_File]], warn: Warn, strict: bool
               ) -> Iterator[tuple[str, str]]:
    """The body of `iter_documents`, run lazily."""

    def bad(error: InputError) -> None:
        if strict and not isinstance(error, _NothingToRead):
            raise error
        warn(str(error))

    for files in sources:
        for file in files:
            if file.kind in MULTI_KINDS.values():
                yield from _MULTI[file.kind](file.path, bad)
                continue
            try:
                text = _EXTRACTORS[file.kind](file.path)
                problem = emptiness(text)
                if problem:
                    raise _NothingToRead(f"{file.path}: {problem}")
            except MissingExtra:
                raise
            except InputError as error:
                bad(error)
            else:
                yield file.id, text


def _jsonl_documents(path: str, bad: Callable[[InputError], None]
                     ) -> Iterator[tuple[str, str]]:
    """The rows of a JSON Lines file; malformed or empty ones go to `bad`."""
    try:
        rows = iter_jsonl(path)
    except InputError as error:
        bad(error)
        return
    for number, row in rows:
        yield from _row_document(f"{path}:{number}", row, bad)


def _parquet_documents(path: str, bad: Callable[[InputError], None]
                       ) -> Iterator[tuple[str, str]]:
    """The rows of a Parquet file, `PARQUET_BATCH_ROWS` at a time."""
    try:
        batches = _parquet_file(path).iter_batches(
            batch_size=PARQUET_BATCH_ROWS, columns=["id", "text"])
    except InputError as error:
        bad(error)
        return
    number = 0
    try:
        for batch in batches:
            ids = batch.column("id").to_pylist()
            texts = batch.column("text").to_pylist()
            for row_id, text in zip(ids, texts, strict=True):
                number += 1
                yield from _row_document(f"{path}: row {number}", make_row(row_id, text), bad)
    except Exception as error:  # a corrupt file fails in the middle: the rest is lost
        if isinstance(error, InputError):
            raise
        bad(InputError(f"{path}: unreadable after row {number} ({_one_line(error)})"))


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


def _parquet_file(path: str) -> Any:
    """`path` opened as a `pyarrow.parquet.ParquetFile` with `id` and `text` columns."""
    parquet = _import("pyarrow.parquet", path)
    try:
        file = parquet.ParquetFile(path)
    except OSError as error:
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file") from None
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None
    except Exception as error:
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None
    missing = [name for name in ("id", "text") if name not in file.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: no {' or '.join(repr(m) for m in missing)} column "
                         "(need columns 'id' and 'text')")
    return file


def _warc_documents(path: str, bad: Callable[[InputError], None]
                    ) -> Iterator[tuple[str, str]]:
    """The HTML and plain-text responses of a WARC file, as `(uri, text)`."""
    archive = _import("warcio.archiveiterator", path)
    seen: dict[str, int] = {}
    try:
        with open(path, "rb") as handle:
            for record in archive.ArchiveIterator(handle):
                document = _warc_record(path, record, bad)
                if document is None:
                    continue
                uri, text = document
                yield _unique(uri, seen), text
    except OSError as error:
        bad(InputError(f"{path}: cannot read ({error.strerror or error})"))
    except InputError:
        raise
    except Exception as error:  # a truncated or corrupt archive: the rest is lost
        bad(InputError(f"{path}: not a readable WARC file ({_one_line(error)})"))


def _warc_record(path: str, record: Any, bad: Callable[[InputError], None]
                 ) -> tuple[str, str] | None:
    """The `(uri, text)` of one WARC record, or None if it is not a text document."""
    if record.rec_type not in ("response", "resource"):
        return None
    headers = record.http_headers
    if headers is not None:
        status = headers.get_statuscode()
        if not (status or "").startswith("2"):
            return None
        content_type = headers.get_header("Content-Type") or ""
    else:
        content_type = record.rec_headers.get_header("Content-Type") or ""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in (*_HTML_TYPES, "text/plain"):
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    location = f"{path} [{uri or 'record without WARC-Target-URI'}]"
    if not uri:
        bad(InputError(f"{location}: no WARC-Target-URI"))
        return None
    body = record.content_stream().read()
    charset = _charset(content_type)
    try:
        if media_type == "text/plain":
            text = body.decode(charset or "utf-8")
        else:
            text = _html_text(body.decode(charset) if charset else body, path) or ""
    except (LookupError, UnicodeDecodeError) as error:
        bad(InputError(f"{location}: cannot decode the body ({_one_line(error)})"))
        return None
    except InputError:
        raise
    except Exception as error:  # the extractor choked on this page: the next may be fine
        bad(InputError(f"{location}: cannot extract text ({_one_line(error)})"))
        return None
    if not text.strip():
        problem = "no main text found" if media_type in _HTML_TYPES else emptiness(text)
        bad(_NothingToRead(f"{location}: {problem}"))
        return None
    return uri, text


def _unique(uri: str, seen: dict[str, int]) -> str:
    """`uri`, or `uri#2`, `uri#3`... if it was seen before in this file."""
    if uri not in seen:
        seen[uri] = 1
        return uri
    number = seen[uri]
    while True:
        number += 1
        candidate = f"{uri}#{number}"
        if candidate not in seen:
            seen[uri] = number
            seen[candidate] = 1
            return candidate


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


# --- one-document formats ---------------------------------------------------------------


def _text(path: str) -> str:
    return decode(path, read_bytes(path))


def _pdf_text(path: str) -> str:
    """The text of every page, pages separated by blank lines."""
    pypdf = _import("pypdf", path)
    try:
        with _quiet():
            reader = pypdf.PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(f"{path}: encrypted PDF (needs a password)")
            pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as error:
        raise _unreadable(path, "PDF", error) from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise _NothingToRead(f"{path}: no text layer (scanned?)")
    return text


def _html_text(html: str | bytes, path: str) -> str | None:
    """The main text of an HTML page (trafilatura), or None if it finds none."""
    trafilatura = _import("trafilatura", path)
    with _quiet():
        text = trafilatura.extract(html, include_comments=False)
    return str(text) if text is not None else None


def _html_file_text(path: str) -> str:
    try:
        text = _html_text(read_bytes(path), path)
    except InputError:
        raise
    except Exception as error:
        raise _unreadable(path, "HTML", error) from None
    if not text or not text.strip():
        raise _NothingToRead(f"{path}: no main text found")
    return text


def _docx_text(path: str) -> str:
    """The paragraphs of a Word document, separated by blank lines."""
    docx = _import("docx", path)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise InputError(f"{path}: DOCX unpacks to {unpacked:,} bytes, over the limit of "
                             f"{MAX_UNPACKED_BYTES:,} (a ZIP bomb?)")
        document = docx.Document(path)
        paragraphs = [paragraph.text.strip() for paragraph in document.paragraphs]
    except InputError:
        raise
    except Exception as error:
        raise _unreadable(path, "DOCX", error) from None
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _jats_text(path: str) -> str:
    """A JATS article's title, abstract, and body section titles and paragraphs."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise InputError(f"{path}: invalid XML ({_one_line(error)})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    article = next((element for element in root.iter() if _local(element.tag) == "article"),
                   None)
    if article is None:
        raise _NothingToRead(f"{path}: not a JATS article (no <article> element)")
    blocks: list[str] = []
    front = _child(article, "front")
    meta = _child(front, "article-meta") if front is not None else None
    if meta is not None:
        title_group = _child(meta, "title-group")
        title = _child(title_group, "article-title") if title_group is not None else None
        if title is not None:
            blocks.append(_prose(title))
        abstract = _child(meta, "abstract")
        if abstract is not None:
            _jats_blocks(abstract, blocks)
    body = _child(article, "body")
    if body is not None:
        _jats_blocks(body, blocks)
    return "\n\n".join(block for block in blocks if block)


def _jats_blocks(element: ElementTree.Element, blocks: list[str]) -> None:
    """Append the titles and paragraphs under `element`, in document order."""
    for child in element:
        tag = _local(child.tag)
        if tag in _JATS_SKIPPED:
            continue
        if tag in ("p", "title"):
            blocks.append(_prose(child))
        else:
            _jats_blocks(child, blocks)


def _prose(element: ElementTree.Element) -> str:
    """The text of `element` without its non-prose parts, whitespace collapsed."""
    parts: list[str] = []

    def collect(node: ElementTree.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if _local(child.tag) not in _JATS_SKIPPED:
                collect(child)
            if child.tail:
                parts.append(child.tail)

    collect(element)
    return " ".join("".join(parts).split())


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _local(tag: object) -> str:
    """An element's tag without its namespace ("" for comments and the like)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- helpers ----------------------------------------------------------------------------


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


_EXTRACTORS: dict[str, Callable[[str], str]] = {
    "text": _text, "pdf": _pdf_text, "html": _html_file_text, "docx": _docx_text,
    "jats": _jats_text}
_MULTI: dict[str, Callable[[str, Callable[[InputError], None]], Iterator[tuple[str, str]]]] = {
    "jsonl": _jsonl_documents, "parquet": _parquet_documents, "warc": _warc_documents}
