"""Substitution-invariant fingerprints: what a spinner leaves alone.

Spinners swap content words for synonyms (often several words for one) but leave
names, numbers and function words in place. A document's *skeleton* keeps those and
collapses every run of content words into one placeholder, so "the bank said on
Monday" and "the financial institution stated on Monday" share the skeleton
"the _ on ^monday". Fingerprints are 32-bit hashes of skeleton n-grams and of pairs of
consecutive anchors (names, numbers); a spun copy keeps most of them, while exact
word shingles (the usual near-duplicate feature) break at every swap.

`sentence_features` gives the per-sentence view used to align passages.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from unspin.core.tokens import STOPWORDS

SKELETON_N = 5
"""Skeleton n-gram length. Longer n-grams are rarer in unrelated text (fewer false
candidates) but break more often under spinning (a swap that adds or drops a function
word breaks every n-gram over it); 5 kept dev recall at 0.99 with rare collisions."""
MIN_KEPT = 4
"""An n-gram without an anchor is a fingerprint only if this many of its units are
kept words: placeholder-heavy n-grams ("_ of the _ in") occur in every document."""

PLACEHOLDER = "_"
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[.!?]+|\n\s*\n")


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of a skeleton: its symbol and where it stands in the text.

    The symbol is "#" + a number, "^" + a name (a capitalised word not starting a
    sentence), a function word, or the placeholder for a run of content words.
    `words` holds that run's lower-case words (empty for other units).
    """

    symbol: str
    start: int
    end: int
    words: tuple[str, ...] = ()


def skeleton(text: str) -> list[list[Unit]]:
    """The skeleton of `text`, one list of units per sentence."""
    matches = list(_TOKEN.finditer(text))
    words = [m.group() for m in matches]
    units = _batch_units([words])
    sentences: dict[int, list[Unit]] = {}
    for symbol, first, last, meta in zip(units.symbols(), units.first.tolist(),
                                         units.last.tolist(), units.meta.tolist(), strict=True):
        run = tuple(w.lower() for w in words[first : last + 1]) if symbol == PLACEHOLDER else ()
        unit = Unit(symbol, matches[first].start(), matches[last].end(), run)
        sentences.setdefault(meta >> 2, []).append(unit)
    return list(sentences.values())


_CRC: dict[str, int] = {}
_CACHE_LIMIT = 1 << 20
"""Distinct tokens (and symbols) remembered; a cache is emptied when full (memory stays
flat)."""


def _symbol(word: str, initial: bool) -> str | None:
    """A token's symbol ("" ends a sentence, None is a content word)."""
    if not word[0].isalnum():
        return ""
    lower = word.lower()
    if any(c.isdigit() for c in word):
        return "#" + lower
    if word[0].isupper() and not initial:
        return "^" + lower
    return lower if lower in STOPWORDS else None


def _crc(symbol: str) -> int:
    """CRC-32 of a symbol, remembered."""
    value = _CRC.get(symbol)
    if value is None:
        if len(_CRC) >= _CACHE_LIMIT:
            _CRC.clear()
        value = _CRC[symbol] = zlib.crc32(symbol.encode())
    return value


_GRAM_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                              0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD], dtype=np.uint64)
_PAIR_MULTIPLIERS = np.array([0xC4CEB9FE1A85EC53, 0x94D049BB133111EB], dtype=np.uint64)


def fingerprints(text: str) -> npt.NDArray[np.uint32]:
    """The sorted, unique 32-bit fingerprints of `text`."""
    return fingerprint_pairs([text])[1]


def fingerprint_pairs(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint32],
                                                      npt.NDArray[np.uint32]]:
    """The unique (document, fingerprint) pairs of `texts`, sorted: two aligned arrays.

    Each unit's symbol is hashed once (CRC-32); an n-gram's fingerprint mixes its
    units' hashes with fixed odd multipliers (wrapping 64-bit arithmetic, top 32 bits),
    so the same n-gram gets the same fingerprint in every document and process. Tokens
    are classified through `_Vocabulary` and the whole batch is one pass of array
    operations: per-token Python and numpy's per-call overhead, not the arithmetic,
    dominate otherwise.
    """
    units = _batch_units([_TOKEN.findall(text) for text in texts])
    h, m, docs = units.hashes, units.meta, units.owner
    if not len(h):
        empty = np.zeros(0, dtype=np.uint32)
        return empty, empty
    anchor = np.flatnonzero(m & 2)
    same = docs[anchor[:-1]] == docs[anchor[1:]]
    keys = [_key(docs[anchor[:-1]][same], h[anchor[:-1]][same] * _PAIR_MULTIPLIERS[0]
                 + h[anchor[1:]][same] * _PAIR_MULTIPLIERS[1])]
    n = SKELETON_N
    if len(h) >= n:
        count = len(h) - n + 1
        kept = np.concatenate(([0], np.cumsum(m & 1)))
        anchors = np.concatenate(([0], np.cumsum((m & 2) > 0)))
        inside = (m[:count] >> 2) == (m[n - 1 :] >> 2)
        wanted = inside & (((kept[n:] - kept[:count]) >= MIN_KEPT)
                           | (anchors[n:] > anchors[:count]))
        mixed = np.zeros(count, dtype=np.uint64)
        for k in range(n):
            mixed += h[k : k + count] * _GRAM_MULTIPLIERS[k]
        keys.append(_key(docs[:count][wanted], mixed[wanted]))
    unique = np.unique(np.concatenate(keys))
    return (unique >> np.uint64(32)).astype(np.uint32), unique.astype(np.uint32)


class _Vocabulary:
    """Every distinct token seen, with what `_symbol` makes of it at a sentence start and
    inside a sentence, as arrays: a batch's tokens are classified by indexing, not one
    by one. Emptied when `_CACHE_LIMIT` tokens are held (memory stays flat)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.ids: dict[str, int] = {}
        self.symbols: list[tuple[str, str]] = []  # (at a sentence start, inside)
        self.end = np.zeros(1024, dtype=bool)
        self.hashes = np.zeros((2, 1024), dtype=np.uint64)  # [initial, inner]
        self.flags = np.zeros((2, 1024), dtype=np.int64)  # anchor << 1 | kept

    def lookup(self, tokens: list[str]) -> npt.NDArray[np.int64]:
        """The ids of `tokens`, adding the new ones."""
        new = set(tokens).difference(self.ids)
        if new:
            if len(self.ids) + len(new) > _CACHE_LIMIT:
                self._reset()
                new = set(tokens)
            for token in sorted(new):
                self._add(token)
        get = self.ids.__getitem__
        return np.array([get(t) for t in tokens], dtype=np.int64)

    def _add(self, token: str) -> None:
        number = len(self.ids)
        if number == len(self.end):
            self.end = np.concatenate((self.end, np.zeros_like(self.end)))
            self.hashes = np.concatenate((self.hashes, np.zeros_like(self.hashes)), axis=1)
            self.flags = np.concatenate((self.flags, np.zeros_like(self.flags)), axis=1)
        self.ids[token] = number
        symbols = [_symbol(token, initial) or PLACEHOLDER for initial in (True, False)]
        self.symbols.append((symbols[0], symbols[1]))
        if not token[0].isalnum():  # a sentence end: no unit
            self.end[number] = True
            return
        for row, symbol in enumerate(symbols):
            self.hashes[row, number] = _crc(symbol)
            self.flags[row, number] = (symbol[0] in "#^") << 1 | (symbol != PLACEHOLDER)


_VOCABULARY = _Vocabulary()


@dataclass(frozen=True, slots=True)
class _Units:
    """A batch's units, aligned arrays: each unit's symbol hash, its meta (sentence
    number << 2 | anchor << 1 | kept; sentence numbers are unique across the batch), its
    document, its first and last token (batch-wide indexes) and its vocabulary entry."""

    hashes: npt.NDArray[np.uint64]
    meta: npt.NDArray[np.int64]
    owner: npt.NDArray[np.uint64]
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]

    def symbols(self) -> list[str]:
        """Each unit's symbol."""
        table = _VOCABULARY.symbols
        return [table[i][r] for i, r in zip(self.ids.tolist(), self.rows.tolist(), strict=True)]


def _batch_units(documents: Sequence[list[str]]) -> _Units:
    """The units of every document (a list of tokens) at once: runs of content words
    collapse into one placeholder unit, sentence ends make no unit."""
    tokens: list[str] = []
    starts = [0]
    for words in documents:
        tokens += words
        starts.append(len(tokens))
    vocabulary = _VOCABULARY
    ids = vocabulary.lookup(tokens)
    end = vocabulary.end[ids]
    first = np.zeros(len(ids), dtype=bool)
    first[np.array(starts[:-1], dtype=np.int64)[np.diff(starts) > 0]] = True  # first tokens
    initial = first.copy()
    initial[1:] |= end[:-1]
    row = np.where(initial, 0, 1)
    flags = vocabulary.flags[row, ids]
    content = ~end & ((flags & 1) == 0)
    run_goes_on = np.zeros(len(ids), dtype=bool)
    run_goes_on[1:] = content[1:] & content[:-1] & ~first[1:]
    unit = ~end & ~run_goes_on
    sentence = np.cumsum(end | first)
    owner = np.repeat(np.arange(len(documents), dtype=np.uint64), np.diff(starts))
    where = np.flatnonzero(unit)
    breaks = np.flatnonzero(~run_goes_on)  # a unit ends before the next of these
    after = np.searchsorted(breaks, where, side="right")
    last = np.append(breaks, len(ids))[after] - 1
    return _Units(vocabulary.hashes[row[unit], ids[unit]], sentence[unit] << 2 | flags[unit],
                  owner[unit], where, last, ids[unit], row[unit])


def _key(docs: npt.NDArray[np.uint64], mixed: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """(document << 32) | fingerprint, the fingerprint being the top 32 bits of `mixed`."""
    return (docs << np.uint64(32)) | (mixed >> np.uint64(32))


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """A sentence's span and the features that survive spinning best, for alignment."""

    start: int
    end: int
    features: frozenset[str]


def sentence_features(text: str) -> list[SentenceFeatures]:
    """Per sentence: its anchors, kept words, content words and skeleton trigrams.

    Content words are included because a spinner swaps only some of them; the rest
    match the source sentence exactly.
    """
    out: list[SentenceFeatures] = []
    for units in skeleton(text):
        symbols = [u.symbol for u in units]
        features = {s for s in symbols if s != PLACEHOLDER and s not in STOPWORDS}
        features.update(w for u in units for w in u.words)
        features.update(" ".join(symbols[i : i + 3]) for i in range(len(symbols) - 2))
        out.append(SentenceFeatures(units[0].start, units[-1].end, frozenset(features)))
    return out
