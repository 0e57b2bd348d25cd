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
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from unspin.tokens import STOPWORDS

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
    return [[Unit(symbol, start, end, tuple(words)) for symbol, start, end, words in units]
            for units in _sentences(text)]


def _sentences(text: str) -> list[list[tuple[str, int, int, list[str]]]]:
    """The skeleton as plain tuples (symbol, start, end, run words): the fast path."""
    sentences: list[list[tuple[str, int, int, list[str]]]] = []
    current: list[tuple[str, int, int, list[str]]] = []
    run: list[str] = []
    run_start = run_end = 0
    stopwords = STOPWORDS
    for m in _TOKEN.finditer(text):
        word = m.group()
        first = word[0]
        if not first.isalnum():  # sentence end
            if run:
                current.append((PLACEHOLDER, run_start, run_end, run))
                run = []
            if current:
                sentences.append(current)
                current = []
            continue
        lower = word.lower()
        if first.isdigit() or (not word.isalpha() and any(c.isdigit() for c in word)):
            symbol = "#" + lower
        elif first.isupper() and (current or run):
            symbol = "^" + lower
        elif lower in stopwords:
            symbol = lower
        else:
            if not run:
                run_start = m.start()
            run.append(lower)
            run_end = m.end()
            continue
        if run:
            current.append((PLACEHOLDER, run_start, run_end, run))
            run = []
        current.append((symbol, m.start(), m.end(), []))
    if run:
        current.append((PLACEHOLDER, run_start, run_end, run))
    if current:
        sentences.append(current)
    return sentences


_GRAM_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                              0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD], dtype=np.uint64)
_PAIR_MULTIPLIERS = np.array([0xC4CEB9FE1A85EC53, 0x94D049BB133111EB], dtype=np.uint64)


def fingerprints(text: str) -> npt.NDArray[np.uint32]:
    """The sorted, unique 32-bit fingerprints of `text`.

    Each unit's symbol is hashed once (CRC-32); an n-gram's fingerprint mixes its
    units' hashes with fixed odd multipliers (wrapping 64-bit arithmetic, top 32 bits),
    so the same n-gram gets the same fingerprint in every document and process.
    """
    symbols: list[str] = []
    sentence: list[int] = []
    for number, units in enumerate(_sentences(text)):
        symbols += [u[0] for u in units]
        sentence += [number] * len(units)
    if not symbols:
        return np.zeros(0, dtype=np.uint32)
    hashes = np.array([zlib.crc32(s.encode()) for s in symbols], dtype=np.uint64)
    kinds = np.array([s[0] for s in symbols])
    anchor = (kinds == "#") | (kinds == "^")
    parts = [_anchor_pairs(hashes[anchor])]
    n = SKELETON_N
    if len(symbols) >= n:
        sent = np.array(sentence)
        kept = np.concatenate(([0], np.cumsum(kinds != PLACEHOLDER)))
        anchors = np.concatenate(([0], np.cumsum(anchor)))
        count = len(symbols) - n + 1
        inside = sent[: count] == sent[n - 1 :]
        wanted = ((kept[n:] - kept[:count]) >= MIN_KEPT) | ((anchors[n:] - anchors[:count]) > 0)
        mixed = np.zeros(count, dtype=np.uint64)
        for k in range(n):
            mixed += hashes[k : k + count] * _GRAM_MULTIPLIERS[k]
        parts.append(mixed[inside & wanted])
    return np.unique((np.concatenate(parts) >> np.uint64(32)).astype(np.uint32))


def _anchor_pairs(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Mixed hashes of each pair of consecutive anchors."""
    if len(hashes) < 2:
        return np.zeros(0, dtype=np.uint64)
    return hashes[:-1] * _PAIR_MULTIPLIERS[0] + hashes[1:] * _PAIR_MULTIPLIERS[1]


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
