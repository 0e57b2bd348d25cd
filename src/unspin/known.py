"""The known-phrase list: Problematic Paper Screener pairs matched in one pass.

Phrases are indexed by their first word, so the scan costs one dict lookup per
token. The screener's context operators are honoured where they are plain
("AND x" needs x elsewhere in the text, "NOT x" needs it absent); proximity
operators ("~10") are ignored, which only makes matching stricter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from unspin.tokens import Token, words

_OP = re.compile(r'\b(AND|ADN|NOT)\s+(?:"([^"]+)"|(\S+(?:\s+(?!AND\b|NOT\b|OR\b)\S+)*))')


@dataclass(frozen=True, slots=True)
class KnownPhrase:
    """One curated pair; `requires`/`forbids` are the screener's context conditions."""

    tortured: str
    expected: str
    nb_papers: int
    requires: tuple[tuple[str, ...], ...]
    forbids: tuple[tuple[str, ...], ...]
    note: str


@dataclass(frozen=True, slots=True)
class KnownMatch:
    """A known phrase found at tokens[start:stop]."""

    start: int
    stop: int
    phrase: KnownPhrase


def _parse_ops(ops: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    requires, forbids = [], []
    for m in _OP.finditer(ops):
        phrase = tuple(words(m.group(2) or m.group(3)))
        if phrase:
            (forbids if m.group(1) == "NOT" else requires).append(phrase)
    return tuple(requires), tuple(forbids)


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))


class KnownList:
    """Index of known tortured phrases by their first lower-case word."""

    def __init__(self, phrases: list[KnownPhrase]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], KnownPhrase]]] = {}
        for phrase in phrases:
            key = tuple(words(phrase.tortured))
            if key:
                self._by_first.setdefault(key[0], []).append((key, phrase))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))  # longest match first
        self.size = len(phrases)

    @classmethod
    def from_tsv(cls, text: str) -> KnownList:
        """Parse the shipped TSV format (see tools/build_known.py)."""
        phrases = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            tortured, expected, nb, ops, note = (line.split("\t") + [""] * 5)[:5]
            requires, forbids = _parse_ops(ops)
            phrases.append(KnownPhrase(tortured, expected, int(nb or 0), requires, forbids, note))
        return cls(phrases)

    def without(self, exclude: frozenset[str]) -> KnownList:
        """A copy lacking the given (lower-case) tortured phrases."""
        kept = [p for entries in self._by_first.values() for _, p in entries
                if p.tortured.lower() not in exclude]
        return KnownList(kept)

    def find(self, tokens: list[Token]) -> Iterator[KnownMatch]:
        """Non-overlapping matches over the document's tokens, left to right."""
        norms = [t.norm for t in tokens]
        i = 0
        while i < len(norms):
            for key, phrase in self._by_first.get(norms[i], ()):
                if tuple(norms[i : i + len(key)]) == key and self._context_ok(phrase, norms):
                    yield KnownMatch(i, i + len(key), phrase)
                    i += len(key)
                    break
            else:
                i += 1

    @staticmethod
    def _context_ok(phrase: KnownPhrase, norms: list[str]) -> bool:
        return all(_contains(norms, r) for r in phrase.requires) and not any(
            _contains(norms, f) for f in phrase.forbids
        )


@cache
def default_known_list() -> KnownList:
    """The shipped list, parsed once per process."""
    return KnownList.from_tsv(files("unspin").joinpath("data/known_phrases.tsv").read_text("utf-8"))
