"""Reverse thesaurus: for an observed wording, the originals a spinner may have replaced.

The data file (built by tools/build_lexicon.py from Moby, MyThes and WordNet) has one
line per observed form, `observed<TAB>orig=bits:fanout;...`. Loading keeps each
line's tail as a raw string and parses it only on lookup, so start-up stays fast.
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

HEADER_PREFIX = "#unspin-thesaurus v2"
DATA_FILE = "thesaurus.tsv.gz"
SOURCE_NAMES = {1: "moby", 2: "mythes", 4: "wordnet"}


@dataclass(frozen=True, slots=True)
class Link:
    """One candidate original for an observed form, with the thesauri that give it."""

    original: str
    """Candidate original wording, lower case."""
    sources: int
    """Bitmask of thesauri listing the link: 1=Moby 2=MyThes 4=WordNet."""
    fanout: int = 1
    """How many synonyms the thesauri give for `original` (a spinner picks one of them)."""


def source_names(bits: int) -> list[str]:
    """Names of the thesauri in a source bitmask, lowest bit first."""
    return [name for bit, name in SOURCE_NAMES.items() if bits & bit]


def _parse_tail(tail: str) -> tuple[Link, ...]:
    """Parse a line's tail, `orig=bits:fanout;orig=bits:fanout;...`."""
    links = []
    for item in tail.split(";"):
        original, _, rest = item.rpartition("=")
        bits, _, fan = rest.partition(":")
        links.append(Link(original, int(bits), int(fan or 1)))
    return tuple(links)


_cached_parse_tail = functools.lru_cache(maxsize=65536)(_parse_tail)
"""Lookups repeat across a document; the bound keeps memory flat on long runs."""


class ReverseThesaurus:
    """Observed lower-case word or phrase -> candidate originals, best first."""

    __slots__ = ("_tails", "_max_words")

    def __init__(self, tails: dict[str, str]) -> None:
        self._tails = tails
        self._max_words: int | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> ReverseThesaurus:
        """Read a thesaurus file; default: the one shipped in unspin/data."""
        if path is None:
            data = resources.files("unspin").joinpath("data", DATA_FILE).read_bytes()
        else:
            data = Path(path).read_bytes()
        header, _, body = gzip.decompress(data).decode("utf-8").partition("\n")
        if not header.startswith(HEADER_PREFIX):
            raise ValueError(f"{path or DATA_FILE}: not an unspin thesaurus file")
        return cls(dict(line.split("\t", 1) for line in body.splitlines()))

    def originals(self, observed: str) -> tuple[Link, ...]:
        """Candidate originals of `observed`, most trusted first; () if unknown."""
        tail = self._tails.get(observed)
        return _cached_parse_tail(tail) if tail else ()

    @property
    def max_phrase_words(self) -> int:
        """Longest observed form, in words (bounds the n-grams worth looking up)."""
        if self._max_words is None:
            self._max_words = 1 + max((k.count(" ") for k in self._tails), default=0)
        return self._max_words

    def forward(self) -> dict[str, list[str]]:
        """Original -> its synonyms (the inverted map), for a test/evaluation spinner."""
        forward: dict[str, list[str]] = {}
        for observed, tail in self._tails.items():
            for item in tail.split(";"):
                forward.setdefault(item.rpartition("=")[0], []).append(observed)
        return forward


@functools.cache
def default_thesaurus() -> ReverseThesaurus:
    """The shipped thesaurus, loaded once per process."""
    return ReverseThesaurus.load()
