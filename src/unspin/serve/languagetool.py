"""LanguageTool's HTTP API (`/v2/check`) over unspin's findings: the request's plain or
annotated text in, LanguageTool's matches out, offsets in UTF-16 code units as its
clients (Java, JavaScript) count them."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from unspin import __version__
from unspin.core.records import Finding

CONTEXT_CHARS = 40
"""Characters of text either side of a finding in a LanguageTool match's context."""

_RULES = {
    "lexical": ("UNSPIN_TORTURED_PHRASE", "Tortured phrase: a term replaced by a synonym "
                "(machine-spun wording)", "style", "UNSPIN", "Tortured phrases"),
    "mechanical": ("UNSPIN_REPAIR", "Mechanical damage: a stale paste or mojibake",
                   "typographical", "UNSPIN_REPAIR", "Mechanical damage"),
    "residue": ("UNSPIN_REPAIR", "Scraping residue: widget text or image ids",
                "typographical", "UNSPIN_REPAIR", "Mechanical damage"),
}
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)]*\s+|\n\s*\n")


LANGUAGES = [
    {"name": "English", "code": "en", "longCode": "en"},
    {"name": "English (US)", "code": "en", "longCode": "en-US"},
    {"name": "English (GB)", "code": "en", "longCode": "en-GB"},
    {"name": "English (Australian)", "code": "en", "longCode": "en-AU"},
    {"name": "English (Canadian)", "code": "en", "longCode": "en-CA"},
    {"name": "English (New Zealand)", "code": "en", "longCode": "en-NZ"},
    {"name": "English (South African)", "code": "en", "longCode": "en-ZA"},
]
"""LanguageTool's `/v2/languages` answer: the English variants, the one language unspin
reads (clients ask for it first, and offer the user only what it lists)."""


def _language(code: str) -> dict[str, Any]:
    """LanguageTool's `language` object; unspin checks English only (400 otherwise)."""
    code = code.strip() or "auto"
    if code != "auto" and not code.lower().startswith("en"):
        raise HTTPException(400, f"unsupported language {code!r}: unspin checks English only")
    named = "en-US" if code in ("auto", "en") else code
    language = {"name": "English", "code": named}
    return {**language, "detectedLanguage": {**language, "confidence": 1.0}}


def _lt_input(text: str | None, data: str | None) -> tuple[str, str, Callable[[int], int]]:
    """(plain text to check, the text as the client sent it, plain -> sent offsets).

    `data` is LanguageTool's annotated text, `{"annotation": [{"text": ...},
    {"markup": ..., "interpretAs": ...}]}`: markup is read as its `interpretAs`
    (default nothing) and offsets point into the concatenation of all parts.
    """
    if text is not None:
        return text, text, lambda i: i
    if data is None:
        raise HTTPException(400, "missing 'text' or 'data' parameter")
    try:
        parts = json.loads(data)["annotation"]
        pieces = [(str(p["text"]), None) if "text" in p
                  else (str(p.get("interpretAs", "")), str(p["markup"])) for p in parts]
    except (ValueError, KeyError, TypeError) as error:
        raise HTTPException(400, f"malformed 'data' parameter: {error}") from None
    plain_starts, sent_starts, texts = [], [], []
    plain = sent = 0
    for value, markup in pieces:
        plain_starts.append(plain)
        sent_starts.append(sent)
        texts.append(markup is None)
        plain += len(value)
        sent += len(value if markup is None else markup)

    def to_sent(i: int) -> int:
        k = max(bisect.bisect_right(plain_starts, i) - 1, 0)
        return sent_starts[k] + (i - plain_starts[k] if texts[k] else 0)

    original = "".join(v if m is None else m for v, m in pieces)
    return "".join(v for v, _ in pieces), original, to_sent


def _utf16(text: str, i: int) -> int:
    """Code-point offset `i` of `text` as a UTF-16 code-unit offset."""
    return i + sum(1 for c in text[:i] if ord(c) > 0xFFFF)


def _lt_match(original: str, plain: str, f: Finding,
              to_original: Callable[[int], int]) -> dict[str, Any]:
    """One finding as a LanguageTool match (offsets in UTF-16 code units of `original`)."""
    rule_id, description, issue_type, category_id, category = _RULES[f.kind]
    start, end = to_original(f.offset), to_original(f.end)
    best = f.replacements[0].value if f.replacements else None
    if f.kind == "lexical":
        message = ("Possibly a tortured phrase (machine-spun wording)"
                   + (f"; the original was likely \u201c{best}\u201d." if best else "."))
        short = "Tortured phrase"
    else:
        short = "Mechanical damage" if f.kind == "mechanical" else "Scraping residue"
        rule = f.evidence.get("rule", f.kind)
        message = (f"{short} ({rule}); delete it." if best == ""
                   else f"{short} ({rule}); likely \u201c{best}\u201d." if best
                   else f"{short} ({rule}).")
    c_start, c_end = max(start - CONTEXT_CHARS, 0), min(end + CONTEXT_CHARS, len(original))
    context = original[c_start:c_end]
    s_start, s_end = _sentence(plain, f.offset, f.end)
    return {
        "message": message,
        "shortMessage": short,
        "offset": _utf16(original, start),
        "length": _utf16(original, end) - _utf16(original, start),
        "replacements": [{"value": r.value} for r in f.replacements],
        "context": {"text": context, "offset": _utf16(context, start - c_start),
                    "length": _utf16(context, end - c_start) - _utf16(context, start - c_start)},
        "sentence": plain[s_start:s_end].strip(),
        "type": {"typeName": "Other"},
        "rule": {"id": rule_id, "description": description, "issueType": issue_type,
                 "category": {"id": category_id, "name": category}},
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
        "confidence": f.confidence,
    }


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence(s) around `text[start:end]`."""
    begin = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        begin = m.end()
    after = _SENTENCE_END.search(text, end)
    return begin, after.start() + len(after.group().rstrip()) if after else len(text)


def _lt_response(language: dict[str, Any], matches: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "software": {"name": "unspin", "version": __version__, "buildDate": None,
                     "apiVersion": 1, "premium": False, "status": ""},
        "warnings": {"incompleteResults": False},
        "language": language,
        "matches": matches,
    }
