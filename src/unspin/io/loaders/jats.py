"""`.xml`: a JATS article's title, abstract, section titles and paragraphs."""

from __future__ import annotations

from xml.etree import ElementTree

from unspin.core.errors import InputError
from unspin.io.loaders.common import _NothingToRead, _one_line

_JATS_SKIPPED = frozenset({
    "ref-list", "fig", "fig-group", "table-wrap", "table-wrap-group", "disp-formula",
    "supplementary-material", "fn-group", "tex-math", "math", "graphic", "media",
    "alternatives", "object-id", "label"})
"""JATS elements whose text is not prose: left out wherever they occur."""


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
