"""`.docx`: the paragraphs of a Word document (python-docx), ZIP bombs refused."""

from __future__ import annotations

import zipfile

from unspin.core.errors import InputError
from unspin.io.loaders.common import _import, _unreadable

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most a DOCX may unpack to: python-docx reads every part into memory, so a ZIP
bomb posing as a document (a few MB holding gigabytes) is refused before it is opened.
Far above any real document's text (the input limit is 5M characters); images count."""


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
