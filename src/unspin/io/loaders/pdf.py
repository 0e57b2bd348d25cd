"""`.pdf`: the text layer of every page (pypdf)."""

from __future__ import annotations

from unspin.core.errors import InputError
from unspin.io.loaders.common import _import, _NothingToRead, _quiet, _unreadable


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
