"""Candidate sources behind one call: which originals a spinner's wording may stand for.

Each source gives `Link`s for an observed span: the reverse thesaurus (Moby, MyThes,
WordNet) and the maps learned from PPS pairs (unspin.discovery.lexicon), GloVe neighbours
(unspin.discovery.neighbours) and case-pattern rules (unspin.discovery.shapes).
`Config.sources` names the ones used, so an evaluation can switch off the source its
spinner draws from. Links are merged per original (their source bits OR-ed) and ordered
by how many sources agree, then by each source's own order; that rank is the channel
prior's input.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from unspin.core.config import Config
from unspin.core.lm import NGramLM, default_lm
from unspin.core.tokens import Token
from unspin.discovery.lexicon import (
    GLOVE,
    SHAPE,
    SOURCE_BITS,
    Link,
    ReverseThesaurus,
    default_thesaurus,
)
from unspin.discovery.neighbours import NeighbourSource, default_neighbours
from unspin.discovery.shapes import ShapeSource


class Sources:
    """The enabled candidate sources of one configuration."""

    def __init__(self, thesaurus: ReverseThesaurus, lm: NGramLM, config: Config) -> None:
        unknown = set(config.sources) - set(SOURCE_BITS)
        if unknown:
            raise ValueError(f"unknown candidate source(s): {', '.join(sorted(unknown))}")
        self.thesaurus = thesaurus
        self.bits = sum(SOURCE_BITS[name] for name in config.sources)
        self.links = config.links
        table = default_neighbours() if self.bits & (GLOVE | SHAPE) else None
        self.neighbours = (
            NeighbourSource(table, config.glove_min_similarity)
            if table is not None and self.bits & GLOVE else None
        )
        self.glove_links = config.glove_links
        self.shapes = ShapeSource(table, lm) if table is not None and self.bits & SHAPE else None
        self.max_phrase_words = thesaurus.max_phrase_words
        self._cache: dict[str, tuple[dict[str, list[int]], tuple[Link, ...]]] = {}

    def anomalous(self, span: Sequence[Token], sentence: Sequence[Token]) -> str:
        """The spinner's case pattern the span shows, "" for none or with the shape
        source off (unspin.discovery.shapes)."""
        return "" if self.shapes is None else self.shapes.anomalous(span, sentence)

    def originals(self, span: Sequence[Token], sentence: Sequence[Token]) -> tuple[Link, ...]:
        """Candidate originals of `span`, most trusted first (see the module docstring)."""
        if self.shapes is not None and self.shapes.capitalised_word(span, sentence):
            return self.shapes.originals(span, sentence)  # an acronym, or nothing
        entries, ranked = self._lexical(" ".join(t.norm for t in span))
        shape = self.shapes.originals(span, sentence) if self.shapes is not None else ()
        if not shape:
            return ranked
        merged = {original: list(entry) for original, entry in entries.items()}
        _add(merged, shape)
        return _ranked(merged)

    def _lexical(self, observed: str) -> tuple[dict[str, list[int]], tuple[Link, ...]]:
        """The thesaurus and GloVe links of `observed`, merged (and ranked), once per form:
        the decoder asks for the same words in sentence after sentence."""
        cached = self._cache.get(observed)
        if cached is None:
            merged: dict[str, list[int]] = {}
            _add(merged, self._thesaurus(observed))
            if self.neighbours is not None:
                _add(merged, self.neighbours.originals(observed)[: self.glove_links])
            if len(self._cache) >= _CACHE_SIZE:  # bounded: long runs keep flat memory
                self._cache.clear()
            cached = self._cache[observed] = (merged, _ranked(merged))
        return cached

    def _thesaurus(self, observed: str) -> tuple[Link, ...]:
        """Thesaurus and learned links restricted to the enabled sources."""
        return _restricted(self.thesaurus.originals(observed), self.bits)[: self.links]


_CACHE_SIZE = 65536


def _add(merged: dict[str, list[int]], links: Sequence[Link]) -> None:
    """Merge `links` into original -> [source bits, first place, fanout]."""
    for link in links:
        entry = merged.get(link.original)
        if entry is None:
            merged[link.original] = [link.sources, len(merged), link.fanout]
        else:
            entry[0] |= link.sources


def _ranked(merged: dict[str, list[int]]) -> tuple[Link, ...]:
    """The merged links, most sources agreeing first, then in the order first given."""
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1][0].bit_count(), kv[1][1]))
    return tuple(Link(original, bits, fanout) for original, (bits, _, fanout) in ordered)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _restricted(links: tuple[Link, ...], bits: int) -> tuple[Link, ...]:
    """`links` given by any of `bits`, their masks cut to those bits."""
    return tuple(Link(x.original, x.sources & bits, x.fanout) for x in links if x.sources & bits)


@functools.cache
def sources_for(config: Config) -> Sources:
    """The shared sources of a configuration (models loaded once per process)."""
    return Sources(default_thesaurus(), default_lm(), config)
