"""`.html`, `.htm`: the main text of a page, as trafilatura extracts it (also the body of a
WARC record)."""

from __future__ import annotations

from unspin.core.errors import InputError
from unspin.io.inputs import read_bytes
from unspin.io.loaders.common import _import, _NothingToRead, _quiet, _unreadable


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
