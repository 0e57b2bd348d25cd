"""Reverse thesaurus: for an observed wording, the originals a spinner may have replaced.

The data file (built by tools/build_lexicon.py from Moby, MyThes and WordNet) has one
line per observed form, `observed<TAB>orig=bits:fanout;...`. Loading keeps each
line's tail as a raw string and parses it only on lookup, so start-up stays fast.

A second, small file (built by tools/learn_maps.py) holds inverse maps learned from
Problematic Paper Screener pairs, `observed<TAB>original<TAB>support`; they join the
thesaurus links as source bit 8 ("pps-learned"), merged per observed form on lookup.
"""

from __future__ import annotations

import functools
import gzip
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

HEADER_PREFIX = "#unspin-thesaurus v2"
DATA_FILE = "thesaurus.tsv.gz"
LEARNED_FILE = "learned_maps.tsv"
MOBY, MYTHES, WORDNET = 1, 2, 4
LEARNED = 8
"""Source bit of the maps learned from Problematic Paper Screener pairs."""
GLOVE = 16
"""Source bit of GloVe neighbours (unspin.discovery.neighbours)."""
SHAPE = 32
"""Source bit of case-pattern rules (unspin.discovery.shapes: "Home windows", "LAPTOP")."""
SOURCE_NAMES = {MOBY: "moby", MYTHES: "mythes", WORDNET: "wordnet", LEARNED: "pps-learned",
                GLOVE: "glove", SHAPE: "shape"}
SOURCE_BITS = {name: bit for bit, name in SOURCE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Link:
    """One candidate original for an observed form, with the thesauri that give it."""

    original: str
    """Candidate original wording, lower case."""
    sources: int
    """Bitmask of sources listing the link (`SOURCE_NAMES`: 1=Moby 2=MyThes 4=WordNet
    8=PPS-learned 16=GloVe 32=shape)."""
    fanout: int = 1
    """How many synonyms the thesauri give for `original` (a spinner picks one of them);
    for an original only the learned maps know, how many observed forms they give it."""


def source_names(bits: int) -> list[str]:
    """Names of the sources in a bitmask, lowest bit first."""
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


def parse_learned(text: str, name: str = LEARNED_FILE) -> dict[str, dict[str, int]]:
    """observed -> {original: support} from learned-map text (`#` lines are comments)."""
    learned: dict[str, dict[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[2].isdigit():
            raise ValueError(f"{name}:{number}: expected observed<TAB>original<TAB>support")
        learned.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    return learned


class ReverseThesaurus:
    """Observed lower-case word or phrase -> candidate originals, best first."""

    __slots__ = ("_tails", "_learned", "_learned_fanout", "_merged", "_max_words")

    def __init__(
        self, tails: dict[str, str], learned: Mapping[str, Mapping[str, int]] | None = None
    ) -> None:
        """`tails`: observed -> raw thesaurus tail; `learned`: observed -> {original: support}."""
        self._tails = tails
        self._learned = learned or {}
        self._learned_fanout = Counter(o for originals in self._learned.values() for o in originals)
        self._merged: dict[str, tuple[Link, ...]] = {}
        self._max_words: int | None = None

    @classmethod
    def load(
        cls, path: Path | None = None, learned: Path | bool | None = None
    ) -> ReverseThesaurus:
        """Read a thesaurus file; default: the one shipped in unspin/data.

        `learned`: a learned-map file to merge, True for the shipped one, False for none;
        by default the shipped maps join the shipped thesaurus and no other.
        """
        if path is None:
            data = resources.files("unspin").joinpath("data", DATA_FILE).read_bytes()
        else:
            data = Path(path).read_bytes()
        header, _, body = gzip.decompress(data).decode("utf-8").partition("\n")
        if not header.startswith(HEADER_PREFIX):
            raise ValueError(f"{path or DATA_FILE}: not an unspin thesaurus file")
        tails = dict(line.split("\t", 1) for line in body.splitlines())
        if learned is None:
            learned = path is None
        if learned is True:
            text = resources.files("unspin").joinpath("data", LEARNED_FILE).read_text("utf-8")
            return cls(tails, parse_learned(text))
        if learned is False:
            return cls(tails)
        return cls(tails, parse_learned(Path(learned).read_text("utf-8"), str(learned)))

    def originals(self, observed: str) -> tuple[Link, ...]:
        """Candidate originals of `observed`, most trusted first; () if unknown.

        Links given by more sources come first; among equals, thesaurus links keep
        their file order (likelier original first), then learned-only links by support.
        """
        if observed in self._learned:
            links = self._merged.get(observed)
            if links is None:
                links = self._merged[observed] = self._merge(observed)
            return links
        tail = self._tails.get(observed)
        return _cached_parse_tail(tail) if tail else ()

    def _merge(self, observed: str) -> tuple[Link, ...]:
        """The thesaurus links of `observed` with its learned maps merged in."""
        learned = self._learned[observed]
        tail = self._tails.get(observed)
        links = [
            Link(link.original, link.sources | LEARNED, link.fanout)
            if link.original in learned else link
            for link in (_parse_tail(tail) if tail else ())
        ]
        have = {link.original for link in links}
        new = sorted((o for o in learned if o not in have), key=lambda o: (-learned[o], o))
        links += [Link(o, LEARNED, self._fanout(o)) for o in new]
        links.sort(key=lambda link: -link.sources.bit_count())  # stable: keeps file order
        return tuple(links)

    def _fanout(self, original: str) -> int:
        """Thesaurus fan-out of `original`, else the observed forms learned for it.

        Every thesaurus link to `original` carries the same fan-out; synonym links are
        nearly always symmetric, so one is found among the links of its own synonyms.
        """
        tail = self._tails.get(original)
        for synonym in _parse_tail(tail) if tail else ():
            back = self._tails.get(synonym.original)
            for link in _cached_parse_tail(back) if back else ():
                if link.original == original:
                    return link.fanout
        return max(self._learned_fanout[original], 1)

    @property
    def max_phrase_words(self) -> int:
        """Longest observed form, in words (bounds the n-grams worth looking up)."""
        if self._max_words is None:
            self._max_words = 1 + max(
                (k.count(" ") for keys in (self._tails, self._learned) for k in keys), default=0
            )
        return self._max_words

    def forward(self, sources: int = MOBY | MYTHES | WORDNET) -> dict[str, list[str]]:
        """Original -> its synonyms (the inverted map), for a test/evaluation spinner.

        Thesaurus links given by any of the `sources` bits only: the learned maps would
        make the spinner write exactly what they reverse.
        """
        forward: dict[str, list[str]] = {}
        for observed, tail in self._tails.items():
            for item in tail.split(";"):
                original, _, rest = item.rpartition("=")
                if int(rest.partition(":")[0]) & sources:
                    forward.setdefault(original, []).append(observed)
        return forward


@functools.cache
def default_thesaurus() -> ReverseThesaurus:
    """The shipped thesaurus, loaded once per process."""
    return ReverseThesaurus.load()
