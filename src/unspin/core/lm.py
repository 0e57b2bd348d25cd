"""The fast-path language model: the CMU 3-gram LM shipped inside `pocketsphinx`.

It is memory-mapped from the wheel (loads in ~30 ms) and answers a trigram query
in about a microsecond, so discovery can afford to score many candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from pocketsphinx import NGramModel, get_model_path

_LOG10_BASE = math.log10(1.0001)  # sphinx log-math uses base 1.0001
_OOV = -536870912  # sphinx's score for a word outside the vocabulary


class NGramLM:
    """log10 probabilities of lower-case words given up to two words of history."""

    order = 3

    def __init__(self, path: str | None = None) -> None:
        self._model = NGramModel.readfile(path or get_model_path("en-us/en-us.lm.bin"))
        self._prob = self._model.prob

    def known(self, word: str) -> bool:
        """Whether `word` is in the model's vocabulary."""
        return self._prob([word]) != _OOV

    def logprob(self, word: str, history: Sequence[str]) -> float:
        """log10 P(word | last two words of history); None-free, OOV words get -7."""
        query = [word]
        query.extend(reversed(history[-2:]))
        raw = self._prob(query)
        return -7.0 if raw == _OOV else raw * _LOG10_BASE

    def score(self, words: Sequence[str], start: int, stop: int) -> float:
        """Sum of log10 P(words[k] | history) for k in [start, stop).

        The hot loop of discovery: it calls the model directly instead of `logprob`.
        """
        prob = self._prob
        total = 0.0
        for k in range(start, stop):
            if k >= 2:
                raw = prob([words[k], words[k - 1], words[k - 2]])
            elif k == 1:
                raw = prob([words[1], words[0]])
            else:
                raw = prob([words[0]])
            total += -7.0 if raw == _OOV else raw * _LOG10_BASE
        return total


@cache
def default_lm() -> NGramLM:
    """The shared model instance (loaded once per process)."""
    return NGramLM()
