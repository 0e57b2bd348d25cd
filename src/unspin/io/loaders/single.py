"""Files of one document: text, PDF, HTML, DOCX and JATS XML."""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

from unspin.core.errors import InputError
from unspin.io.inputs import (
    decode,
    read_bytes,
)
from unspin.io.loaders.common import (
    _JATS_SKIPPED,
    _import,
    _NothingToRead,
    _one_line,
    _quiet,
    _unreadable,
)

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""The most a DOCX may unpack to: python-docx reads every part into memory, so a ZIP
bomb posing as a document (a few MB holding gigabytes) is refused before it is opened.
Far above any real document's text (the input limit is 5M characters); images count."""


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
