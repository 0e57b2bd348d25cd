"""Word tokens with code-point offsets, grouped into sentences.

One tokenizer serves the known-list matcher, discovery and the evaluation, so
they agree on what a word is. Hyphens split words ("state-of-the-art" is four
tokens) because the language model's vocabulary has no hyphenated words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Function words: spinners rarely touch them alone, and the LM favours them.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall upon per via""".split()
)

# A word: letters/digits, optionally with an inner apostrophe ("user's", "don't").
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# Where a sentence (an LM context) ends: terminal punctuation or a blank line.
_SENTENCE_END = re.compile(r"[.!?;:]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n\s*\n|\n(?=\s*[-*\u2022#])")


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the input: its text, where it is, and its lower-case LM form."""

    text: str
    offset: int
    norm: str
    sentence_start: bool
    joined: bool
    """Only spaces separate it from the previous token, so both may form one phrase."""

    @property
    def end(self) -> int:
        """Offset one past the token."""
        return self.offset + len(self.text)

    @property
    def is_capitalized(self) -> bool:
        """First letter upper case (names, sentence starts, acronyms)."""
        return self.text[:1].isupper()


def sentences(text: str) -> list[list[Token]]:
    """Split `text` into sentences of word tokens (offsets into `text`)."""
    bounds = sorted({m.end() for m in _SENTENCE_END.finditer(text)})
    result: list[list[Token]] = []
    current: list[Token] = []
    b = 0
    for m in _WORD.finditer(text):
        while b < len(bounds) and bounds[b] <= m.start():
            if current:
                result.append(current)
                current = []
            b += 1
        word = m.group()
        gap = text[current[-1].end : m.start()] if current else ""
        joined = bool(current) and gap.isspace() and "\n" not in gap
        norm = word.lower().replace("\u2019", "'")
        current.append(Token(word, m.start(), norm, not current, joined))
    if current:
        result.append(current)
    return result


def words(text: str) -> list[str]:
    """Lower-case word forms of `text`, for matching phrases against phrases."""
    return [m.group().lower().replace("\u2019", "'") for m in _WORD.finditer(text)]


def match_case(observed: str, replacement: str) -> str:
    """Give `replacement` the case pattern of `observed` (Title, UPPER or lower)."""
    if len(observed) > 1 and observed.isupper():
        return replacement.upper()
    if observed[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement
