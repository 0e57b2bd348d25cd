"""Files of many documents: JSON Lines, Parquet and WARC, each row or record one document."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from unspin.core.errors import InputError
from unspin.io.inputs import (
    emptiness,
    iter_jsonl,
    make_row,
)
from unspin.io.loaders.common import (
    _HTML_TYPES,
    _import,
    _NothingToRead,
    _one_line,
)
from unspin.io.loaders.single import _html_text

PARQUET_BATCH_ROWS = 256
"""Rows read from a Parquet file at a time (documents can be long: keep memory flat)."""


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
