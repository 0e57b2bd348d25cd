"""Candidate originals from GloVe neighbours: the words a spinner's synonym could stand for.

The thesauri miss many swaps real spinners make ("stated" for "said" is there, "clients"
for "customers" is, "expertise" for "experience" is not). Distributional neighbours
cover much of the rest: the data file (tools/build_neighbours.py, GloVe 6B 50d, PDDL 1.0)
holds, for the 40,000 most frequent words, their 20 nearest neighbours by cosine, their 3
nearest acronyms, and whether WordNet knows the word only in lower case. A word's
candidates are its neighbours and the words that list it among theirs (a spinner drawing
from neighbours picks from the original's list).
"""

from __future__ import annotations

import functools
import io
from importlib import resources

import numpy as np

from unspin.discovery.lexicon import GLOVE, Link

DATA_FILE = "neighbours.npz"


class Neighbours:
    """Word -> nearest neighbours and acronyms, from the compiled GloVe table."""

    __slots__ = ("words", "_index", "_near", "_sims", "_acronyms", "_acronym_sims",
                 "_rev_start", "_rev", "acronym_words", "lowercase_words")

    def __init__(self, words: list[str], near: np.ndarray, sims: np.ndarray,
                 acronyms: np.ndarray, acronym_sims: np.ndarray, lowercase: np.ndarray) -> None:
        self.words = words
        self.acronym_words = frozenset(words[j] for j in set(acronyms.ravel().tolist()))
        """Every acronym of the table ("pc", "tv")."""
        self.lowercase_words = frozenset(w for w, low in zip(words, lowercase.tolist(),
                                                            strict=True) if low)
        """Words WordNet knows only in lower case ("home", not "german" or "smith")."""
        self._index = {w: i for i, w in enumerate(words)}
        self._near, self._sims, self._acronyms = near, sims, acronyms
        self._acronym_sims = acronym_sims
        # The reverse lists (who lists word i) as one sorted array with row starts.
        flat = near.ravel()  # uint16: numpy's stable sort is a radix sort, 4x timsort's speed
        order = np.argsort(flat, kind="stable")
        self._rev = (order // near.shape[1]).astype(np.int32)
        self._rev_start = np.searchsorted(flat[order], np.arange(len(words) + 1))

    @classmethod
    def load(cls) -> Neighbours:
        """The shipped table."""
        data = resources.files("unspin").joinpath("data", DATA_FILE).read_bytes()
        with np.load(io.BytesIO(data)) as table:
            words = str(table["words"]).split("\n")
            return cls(words, table["neighbours"], table["sims"], table["acronyms"],
                       table["acronym_sims"], table["lowercase"])

    def similar(self, word: str) -> list[tuple[str, float]]:
        """(candidate, cosine) for `word`'s neighbours and the words listing it, best first."""
        i = self._index.get(word)
        if i is None:
            return []
        near = self._near[i]
        found = {self.words[j]: s / 250 for j, s in zip(near.tolist(), self._sims[i].tolist(),
                                                         strict=True)}
        for j in self._rev[self._rev_start[i] : self._rev_start[i + 1]].tolist():
            k = int(np.flatnonzero(self._near[j] == i)[0])
            found.setdefault(self.words[j], self._sims[j, k] / 250)
        return sorted(found.items(), key=lambda item: -item[1])

    def acronyms(self, word: str, min_similarity: float = 0.0) -> list[str]:
        """The acronyms nearest `word` ("laptop" -> "pc", ...), best first."""
        i = self._index.get(word)
        if i is None:
            return []
        near = zip(self._acronyms[i].tolist(), self._acronym_sims[i].tolist(), strict=True)
        return [self.words[j] for j, s in near if s / 250 >= min_similarity]


def same_stem(a: str, b: str) -> bool:
    """Inflections and derivations of one stem ("attempt", "attempting"): not synonyms."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 4 and n >= 0.6 * min(len(a), len(b))


class NeighbourSource:
    """Candidate source "glove": neighbours of a single observed word, as links.

    A link's `fanout` is its rank among the word's candidates (1: the nearest), shown
    as `candidate_rank` in evidence; `Config.glove_min_similarity` bounds how far it
    looks.
    """

    def __init__(self, table: Neighbours, min_similarity: float) -> None:
        self.table = table
        self.min_similarity = min_similarity

    def originals(self, observed: str) -> tuple[Link, ...]:
        """Candidate originals of one observed word (a phrase has none here)."""
        if " " in observed:
            return ()
        similar = [
            w for w, s in self.table.similar(observed)
            if s >= self.min_similarity and not same_stem(w, observed)
        ]
        return tuple(Link(w, GLOVE, rank + 1) for rank, w in enumerate(similar))


@functools.cache
def default_neighbours() -> Neighbours:
    """The shipped neighbour table, loaded once per process."""
    return Neighbours.load()
