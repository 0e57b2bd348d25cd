"""Case-pattern anomalies a spinner leaves when it swaps a name or an acronym.

A spinner looks words up in lower case and copies the case of the first letter (or of
the whole word) onto its synonym. So a name spun into a phrase keeps one capital:
"Windows" -> "Home windows", "World Bank" -> "World Financial institution", where real
names capitalise every word; and an acronym spun into a word stays in capitals:
"PC" -> "LAPTOP". These patterns are evidence of their own (`Config.shape_bonus`), and
they give candidates no thesaurus has: the phrase's last word ("Windows") and the
acronyms nearest the capitalised word ("PC").
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from unspin.core.lm import NGramLM
from unspin.core.tokens import Token
from unspin.discovery.lexicon import SHAPE, Link
from unspin.discovery.neighbours import Neighbours

TITLE_PHRASE = "title-phrase"
"""A mid-sentence Title word before lower-case ones ("Home windows")."""
CAPS_WORD = "caps-word"
"""An ALL-CAPS common word in a lower-case sentence ("LAPTOP")."""
ACRONYM_SIMILARITY = 0.65
"""Least GloVe cosine of an acronym to the caps word it may stand for: "laptop"/"pc" is
0.70; system names of science papers ("BERT", "BLEU") have no acronym above 0.4."""


class ShapeSource:
    """Candidate source "shape": originals implied by a case anomaly of the span."""

    def __init__(self, table: Neighbours, lm: NGramLM) -> None:
        self.table = table
        self.lm = lm
        self._shouting: tuple[Sequence[Token], bool] = ((), False)  # (sentence, in capitals?)

    def title_phrase(self, tokens: Sequence[Token]) -> bool:
        """A mid-sentence "Financial institution": a Title-case word that WordNet knows only
        in lower case (so not "German films", "Smith said"), then lower-case words."""
        first, rest = tokens[0], tokens[1:]
        return (
            bool(rest)
            and not first.sentence_start
            and first.text[:1].isupper()
            and first.text[1:].islower()
            and first.norm in self.table.lowercase_words
            and all(t.text.isalpha() and t.text.islower() for t in rest)
        )

    def capitalised_word(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> bool:
        """One ALL-CAPS common word ("LAPTOP") in a sentence not itself in capitals."""
        if len(tokens) != 1:
            return False
        t = tokens[0]
        if not (len(t.text) >= 4 and t.text.isalpha() and t.text.isupper()
                and self.lm.known(t.norm) and t.norm not in self.table.acronym_words):
            return False
        return not self._in_capitals(sentence)

    def _in_capitals(self, sentence: Sequence[Token]) -> bool:
        """Whether a third or more of the sentence's words are in capitals (a headline),
        counted once per sentence: the decoder asks for every span of it."""
        if self._shouting[0] is not sentence:
            caps = sum(s.text.isupper() and len(s.text) > 1 for s in sentence)
            self._shouting = (sentence, caps * 3 >= len(sentence))
        return self._shouting[1]

    def anomalous(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> str:
        """The spinner's case pattern the span shows: "title-phrase", "caps-word" or ""."""
        if self.title_phrase(tokens):
            return TITLE_PHRASE
        return CAPS_WORD if self.capitalised_word(tokens, sentence) else ""

    def originals(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> tuple[Link, ...]:
        """The nearest acronyms for a caps word; for a two-word Title phrase after a
        lower-case word ("making Home windows", not "World Financial institution", the
        end of a longer name), its last word."""
        if self.capitalised_word(tokens, sentence):
            near = self.table.acronyms(tokens[0].norm, ACRONYM_SIMILARITY)
            return tuple(Link(a, SHAPE, rank + 1) for rank, a in enumerate(near))
        if len(tokens) == 2 and self.title_phrase(tokens):
            at = bisect.bisect_left(sentence, tokens[0].offset, key=lambda t: t.offset)
            if at > 0 and sentence[at - 1].text[:1].islower():
                return (Link(tokens[-1].norm, SHAPE, 1),)
        return ()
