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

from collections.abc import Sequence

from unspin.discovery.neighbours import Neighbours
from unspin.lexicon import SHAPE, Link
from unspin.lm import NGramLM
from unspin.tokens import Token


def title_phrase(tokens: Sequence[Token], lm: NGramLM) -> bool:
    """A mid-sentence "Financial institution": a known Title-case word, then lower-case ones."""
    first, rest = tokens[0], tokens[1:]
    return (
        bool(rest)
        and not first.sentence_start
        and first.text[:1].isupper()
        and first.text.isalpha()
        and first.text[1:].islower()
        and lm.known(first.norm)
        and all(t.text.isalpha() and t.text.islower() for t in rest)
    )


class ShapeSource:
    """Candidate source "shape": originals implied by a case anomaly of the span."""

    name = "shape"
    bit = SHAPE

    def __init__(self, table: Neighbours, lm: NGramLM) -> None:
        self.table = table
        self.lm = lm
        self._acronym_words = frozenset(
            table.words[j] for j in set(table._acronyms.ravel().tolist())
        )

    def capitalised_word(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> bool:
        """One ALL-CAPS common word ("LAPTOP") in a sentence not itself in capitals."""
        if len(tokens) != 1:
            return False
        t = tokens[0]
        caps = sum(s.text.isupper() and len(s.text) > 1 for s in sentence)
        return (
            len(t.text) >= 4
            and t.text.isalpha()
            and t.text.isupper()
            and caps * 3 < len(sentence)
            and self.lm.known(t.norm)
            and t.norm not in self._acronym_words
        )

    def anomalous(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> bool:
        """Whether the span shows a spinner's case pattern."""
        return title_phrase(tokens, self.lm) or self.capitalised_word(tokens, sentence)

    def originals(self, tokens: Sequence[Token], sentence: Sequence[Token]) -> tuple[Link, ...]:
        """The phrase's last word for a Title phrase; the nearest acronyms for a caps word."""
        if self.capitalised_word(tokens, sentence):
            return tuple(Link(a, SHAPE, rank + 1)
                         for rank, a in enumerate(self.table.acronyms(tokens[0].norm)))
        if title_phrase(tokens, self.lm) and len(tokens) == 2:
            return (Link(tokens[-1].norm, SHAPE, 1),)
        return ()
