"""The words repair may restore: the CMU dictionary compiled into `data/words.tsv.gz`,
the document's own words, and LM scoring of windows."""

from __future__ import annotations

import bisect
import gzip
from collections import Counter
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources

from unspin.core.lm import NGramLM
from unspin.repair.common import (
    _SCORED_WORD,
    _WORD,
    COMMON_FRAGMENT_LOGPROB,
    COMMON_WORDS,
    DOC_BONUS,
    DOC_PAIR_BONUS,
    DOC_WORD_LOGPROB,
    KNOWN_LOGPROB,
    WORDS_FILE,
    _letters_after,
    _letters_before,
    _sentence_start,
)

_SENTENCE_PUNCTUATION = frozenset(".,;:!?")


def _joins_word(text: str, i: int, doc: _DocVocabulary, lm: NGramLM, *,
                loose: bool = False) -> bool:
    """Whether the mark at `i` sits between letters whose join is a known word of 4+
    letters ("resu"lt"), not a typed possessive ("week"s"); unless `loose`, not two
    frequent words of their own either ("we"ll"). `loose` (a double quote, whose place
    the paragraph's alternation also checks) takes words of 2+ letters ("s"o.")."""
    head, tail = _letters_before(text, i), _letters_after(text[i + 1 :])
    word = (head + tail).lower()
    plural = text[i + 2 : i + 3] in _SENTENCE_PUNCTUATION  # "other"s." but "week"s news"
    return (bool(head and tail) and len(word) >= (2 if loose else 4) and (tail != "s" or plural)
            and doc.known(word)
            and (loose or not (_common(head, lm) and _common(tail, lm))))


def _common(word: str, lm: NGramLM) -> bool:
    """Whether `word` is a frequent word on its own (then it was not cut)."""
    return lm.logprob(word.lower(), ()) > COMMON_FRAGMENT_LOGPROB


class _Dictionary:
    """Lower-case words of the CMU dictionary that the pocketsphinx LM knows (compiled
    into `WORDS_FILE` by tools/build_words.py, most frequent first)."""

    def __init__(self, by_frequency: Sequence[str], known: int) -> None:
        """`by_frequency`: every word, most frequent first; the first `known` of them
        have a unigram log10 of at least `KNOWN_LOGPROB`."""
        self._known = sorted(by_frequency[:known])
        self._reversed = sorted(w[::-1] for w in self._known)
        self._common: dict[int, list[str]] = {}
        for w in by_frequency:
            same = self._common.setdefault(len(w), [])
            if len(same) < COMMON_WORDS and (len(w) > 1 or w in ("a", "i")):
                same.append(w)

    @classmethod
    def load(cls) -> _Dictionary:
        """The shipped word list."""
        data = resources.files("unspin").joinpath("data", WORDS_FILE).read_bytes()
        lines = gzip.decompress(data).decode("utf-8").splitlines()
        logprobs = [-float(line.rpartition("\t")[2]) for line in lines]
        known = bisect.bisect_right(logprobs, -KNOWN_LOGPROB)
        return cls([line.partition("\t")[0] for line in lines], known)

    def starting(self, prefix: str, length: int) -> list[str]:
        """Known words of `length` that start with `prefix`."""
        lo = bisect.bisect_left(self._known, prefix)
        hi = bisect.bisect_left(self._known, prefix + "\uffff")
        return [w for w in self._known[lo:hi] if len(w) == length]

    def ending(self, suffix: str, length: int) -> list[str]:
        """Known words of `length` that end with `suffix`."""
        key = suffix[::-1]
        lo = bisect.bisect_left(self._reversed, key)
        hi = bisect.bisect_left(self._reversed, key + "\uffff")
        return [w[::-1] for w in self._reversed[lo:hi] if len(w) == length]

    def common(self, length: int) -> list[str]:
        """Frequent words of `length`: the only ones invented with no letter seen."""
        return self._common.get(length, [])


@cache
def _dictionary() -> _Dictionary:
    """The shared dictionary (read once per process, on the first suspected paste)."""
    return _Dictionary.load()


def _words_of(text: str) -> list[str]:
    """Lower-case words of `text` with typographic apostrophes made straight."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


class _DocVocabulary:
    """The document's own words: a name written intact elsewhere restores a broken one."""

    def __init__(self, text: str) -> None:
        words = _words_of(text)
        self.counts: Counter[str] = Counter(words)
        self.pairs: Counter[tuple[str, str]] = Counter(zip(words, words[1:], strict=False))
        forms = {(m.group().lower(), m.group()[:1].isupper()) for m in _WORD.finditer(text)
                 if not _sentence_start(text[max(m.start() - 4, 0) : m.start()])}
        self.capitalised = {w for w, upper in forms if upper and (w, False) not in forms}
        self.counts.update(w[:-2] for w in words if w.endswith("'s"))
        self._by_length: dict[int, list[str]] = {}
        for word in self.counts:
            if len(word) >= 3:
                self._by_length.setdefault(len(word), []).append(word)

    def known(self, word: str) -> bool:
        """Whether `word` (lower case) is in the document or the dictionary."""
        return bool(self.counts[word] or _dictionary().starting(word, len(word)))

    def matching(self, prefix: str, tail: str, length: int) -> list[str]:
        """Document words (3+ letters) of `length` with this prefix and ending."""
        return [w for w in self._by_length.get(length, ())
                if w.startswith(prefix) and w.endswith(tail)]


def _lm_score(window: str, lm: NGramLM, doc: _DocVocabulary,
              local: tuple[Counter[str], Counter[tuple[str, str]]],
              changed: tuple[int, int]) -> float:
    """LM log10 of the window's words, with the document's vocabulary as evidence.

    Words touching window[changed[0]:changed[1]] that the document uses elsewhere
    (outside the damaged window, counted in `local`) score at least
    `DOC_WORD_LOGPROB` and earn `DOC_BONUS`.
    """
    local_words, local_pairs = local
    total = 0.0
    history: list[str] = []
    touched_before = False
    for m in _SCORED_WORD.finditer(window):
        word = m.group().lower().replace("\u2019", "'")
        logprob = _trigram(lm, word, tuple(history[-2:]))
        touched = m.start() <= changed[1] and changed[0] <= m.end()
        if touched and doc.counts[word] > local_words[word]:
            logprob = max(logprob, DOC_WORD_LOGPROB) + DOC_BONUS * (len(word) > 3)
        if (touched or touched_before) and history:
            pair = (history[-1], word)
            logprob += DOC_PAIR_BONUS * (doc.pairs[pair] > local_pairs[pair])
        total += logprob
        history.append(word)
        touched_before = touched
    return total


@lru_cache(maxsize=1 << 16)
def _trigram(lm: NGramLM, word: str, history: tuple[str, ...]) -> float:
    """`lm.logprob`, cached: the readings of one place share most of their words."""
    return lm.logprob(word, history)
