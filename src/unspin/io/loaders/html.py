"""`.html`, `.htm`: the main text of a page, as trafilatura extracts it (also the body of a
WARC record); a page nested deeper than its HTML parser goes gives its visible text."""

from __future__ import annotations

from html.parser import HTMLParser

from unspin.core.errors import InputError
from unspin.io.inputs import read_bytes
from unspin.io.loaders.common import _import, _NothingToRead, _quiet, _unreadable

_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"})
LOST = 2
"""When the visible text has this many times the words of the parsed tree's text, the
tree parser gave up (libxml2 stops at a nesting depth of a few hundred elements) and
the visible text is taken instead."""


def _html_text(html: str | bytes, path: str) -> str | None:
    """The main text of an HTML page (trafilatura), or None if it finds none.

    Where trafilatura finds nothing because the page is nested too deep for its parser
    (500 nested divs round the article), the page's visible text, block by block."""
    trafilatura = _import("trafilatura", path)
    with _quiet():
        text = trafilatura.extract(html, include_comments=False)
    if text is not None:
        return str(text)
    from lxml import html as lxml_html
    from trafilatura.utils import decode_file

    page = html if isinstance(html, str) else decode_file(html)
    visible = _visible_text(page)
    try:
        parsed = lxml_html.fromstring(page).text_content()
    except Exception:  # lxml refuses the page outright (empty, or no element)
        parsed = ""
    if len(visible.split()) > LOST * len(parsed.split()):
        return visible
    return None


class _Visible(HTMLParser):
    """The text of a page outside hidden elements, a paragraph per block element; the
    standard library's parser keeps no tree, so it has no depth limit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = [[]]
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS and self.blocks[-1]:
            self.blocks.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS and self.blocks[-1]:
            self.blocks.append([])

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.blocks[-1].append(data)


def _visible_text(page: str) -> str:
    """The visible text of `page`, its blocks separated by blank lines."""
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return "\n\n".join(" ".join("".join(block).split()) for block in parser.blocks if block)


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
