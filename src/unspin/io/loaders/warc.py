"""`.warc`, `.warc.gz`: every HTML or plain-text response or resource record (warcio), id =
its target URI, made unique within the file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from unspin.core.errors import InputError
from unspin.io.inputs import emptiness
from unspin.io.loaders.common import _import, _NothingToRead, _one_line
from unspin.io.loaders.html import _html_text

_HTML_TYPES = ("text/html", "application/xhtml+xml")


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
