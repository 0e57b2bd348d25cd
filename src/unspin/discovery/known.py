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

from unspin.core.tokens import Token, words

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
        context = _Ngrams(norms)
        i = 0
        while i < len(norms):
            for key, phrase in self._by_first.get(norms[i], ()):
                if tuple(norms[i : i + len(key)]) == key and self._context_ok(phrase, context):
                    yield KnownMatch(i, i + len(key), phrase)
                    i += len(key)
                    break
            else:
                i += 1

    @staticmethod
    def _context_ok(phrase: KnownPhrase, context: _Ngrams) -> bool:
        return all(r in context for r in phrase.requires) and not any(
            f in context for f in phrase.forbids
        )


class _Ngrams:
    """The document's word n-grams, one set per length built on first use: a context
    test per match that scanned the whole document was quadratic on long ones."""

    def __init__(self, norms: list[str]) -> None:
        self._norms = norms
        self._by_length: dict[int, set[tuple[str, ...]]] = {}

    def __contains__(self, needle: tuple[str, ...]) -> bool:
        n = len(needle)
        grams = self._by_length.get(n)
        if grams is None:
            norms = self._norms
            grams = self._by_length[n] = {tuple(norms[i : i + n])
                                          for i in range(len(norms) - n + 1)}
        return needle in grams


@cache
def default_known_list() -> KnownList:
    """The shipped list, parsed once per process."""
    return KnownList.from_tsv(files("unspin").joinpath("data/known_phrases.tsv").read_text("utf-8"))
