"""A small article spinner for tests and evaluation, with exact gold edits.

`spin` swaps eligible words (and 2-3 word phrases) for random thesaurus synonyms,
the way commercial spinners do (common synonyms more often than rare ones);
`substitute_pairs` plants known tortured phrases (e.g. Problematic Paper Screener pairs)
in place of their expected wording.
"""

from __future__ import annotations

import argparse
import functools
import random
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from unspin.core.tokens import match_case

_STOPWORD_TEXT = """
    a about above after again against all also although am an and any are around as at
    be because been before being below between both but by can cannot could did do does
    doing done down during each either else ever every few for from further get gets got
    had has have having he her here hers herself him himself his how however i if in into
    is it its itself just least less let like may me might mine more most much must my
    myself neither no nor not now of off on once one only onto or other others otherwise
    our ours ourselves out over own per rather same shall she should since so some such
    than that the their theirs them themselves then there these they this those though
    through thus till to too toward towards under unless until up upon us very via was
    we were what whatever when where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Function words, auxiliaries, pronouns, determiners and common prepositions: never spun."""

SAMPLE_FORWARD: dict[str, list[str]] = {
    "big": ["huge", "enormous", "large"],
    "company": ["organization", "firm", "enterprise"],
    "data": ["information", "facts"],
    "deep learning": ["profound learning", "deep studying"],
    "growth": ["development", "expansion"],
    "important": ["significant", "vital", "essential"],
    "market": ["marketplace", "exchange"],
    "method": ["technique", "strategy"],
    "neural network": ["neural organization", "neural system"],
    "results": ["outcomes", "consequences"],
    "sales": ["deals", "trades"],
    "show": ["demonstrate", "display"],
    "shares": ["offers", "stocks"],
    "year": ["twelvemonth", "yr"],
}
"""A tiny forward map (original -> synonyms) used when the shipped lexicon is unavailable."""

_TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*")
_SYNONYM = re.compile(r"[a-z]+(?:[ '-][a-z]+)*")
_OPENERS = "\"'([{\u201c\u2018"
_MAX_PHRASE = 3


@dataclass
class Edit:
    """One substitution; `offset`/`length` index the spun text (code points)."""

    offset: int
    length: int
    observed: str
    original: str


@dataclass
class Spun:
    """A spun text and the exact edits that produced it from the original."""

    text: str
    edits: list[Edit]

    def edited(self, start: int, end: int) -> bool:
        """Whether text[start:end] overlaps one of the edits."""
        return any(e.offset < end and start < e.offset + e.length for e in self.edits)


def load_forward() -> dict[str, list[str]]:
    """The lexicon's forward map, or `SAMPLE_FORWARD` (with a note) if it is unavailable."""
    try:
        from unspin.discovery.lexicon import default_thesaurus
    except ImportError:
        print("note: unspin.discovery.lexicon unavailable; using spinner.SAMPLE_FORWARD",
              file=sys.stderr)
        return SAMPLE_FORWARD
    return default_thesaurus().forward()


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at `start` opens a sentence, line or the text."""
    i = start - 1
    while i >= 0 and (text[i].isspace() or text[i] in _OPENERS):
        if text[i] == "\n":
            return True
        i -= 1
    return i < 0 or text[i] in ".!?"


def _plain(word: str, initial: bool, names: bool = False) -> bool:
    """Whether `word` is alphabetic and lower-case (Title-case allowed when `initial`;
    Title-case and ALL-CAPS words anywhere when `names`)."""
    if not word.isalpha():
        return False
    title = word[0].isupper() and word[1:].islower()
    return word.islower() or ((initial or names) and title) or (names and word.isupper())


def _eligible(word: str, initial: bool, names: bool = False) -> bool:
    """Whether a single word may be spun: a plain content word (3+ letters; 2+ for an
    acronym when `names`)."""
    shortest = 2 if names and word.isupper() else 3
    return (len(word) >= shortest and word.lower() not in STOPWORDS
            and _plain(word, initial, names))


def _phrase_ok(words: Sequence[str], initial: bool, names: bool = False) -> bool:
    """Whether a multi-word unit may be spun: plain words, not all stopwords."""
    plain = all(_plain(w, initial and i == 0, names) for i, w in enumerate(words))
    return plain and any(w.lower() not in STOPWORDS for w in words)


@functools.lru_cache(maxsize=65536)
def _commonness(synonym: str) -> float:
    """How likely a dictionary spinner is to pick `synonym`: the unigram probability of
    its rarest word under the 3-gram LM. Spinner dictionaries list everyday words
    ("stated" for "said"), not a thesaurus's rarest ("returned for answer")."""
    from unspin.core.lm import default_lm

    lm = default_lm()
    return 10.0 ** min(lm.logprob(w, ()) for w in synonym.split())


def _synonyms(forward: Mapping[str, Sequence[str]], key: str) -> list[str]:
    """Usable synonyms of `key`: plain lower-case words, different from the key."""
    return [s for s in forward.get(key, ()) if s != key and _SYNONYM.fullmatch(s)]


def spin(
    text: str,
    forward: Mapping[str, Sequence[str]],
    rng: random.Random,
    rate: float = 0.4,
    names: Mapping[str, Sequence[str]] | None = None,
) -> Spun:
    """Replace eligible words/phrases of `text` by random synonyms with probability `rate`,
    each synonym drawn in proportion to its `_commonness`.

    At each word the longest spinnable unit (3, 2 or 1 words, consecutive and
    separated by single spaces) gets one draw; replaced units are skipped over,
    so edits never overlap. With `names` (a forward map of its own), capitalised
    words and acronyms inside a sentence are spun too, their case pattern copied onto
    the synonym ("Bank" -> "Financial institution", "PC" -> "LAPTOP"), as dictionary
    spinners do.
    """
    tokens = list(_TOKEN.finditer(text))
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        start = tokens[i].start()
        # A capital word before another ("Time Warner said") is a name, even sentence-first.
        named = i + 1 < len(tokens) and tokens[i + 1].group()[0].isupper()
        initial = _sentence_initial(text, start) and not named
        choice: tuple[int, list[str]] | None = None
        for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            unit = tokens[i : i + n]
            if any(text[a.end() : b.start()] != " " for a, b in zip(unit, unit[1:], strict=False)):
                continue
            words = [m.group() for m in unit]
            spin_names = names is not None
            ok = (_eligible(words[0], initial, spin_names) if n == 1
                  else _phrase_ok(words, initial, spin_names))
            capital = spin_names and not initial and any(w[0].isupper() for w in words)
            table = names if capital and names is not None else forward
            options = _synonyms(table, " ".join(words).lower()) if ok else []
            if options:
                choice = (n, options)
                break
        if choice is None or rng.random() >= rate:
            i += 1
            continue
        n, options = choice
        end = tokens[i + n - 1].end()
        choice = rng.choices(options, weights=[_commonness(o) for o in options])[0]
        spans.append((start, end, match_case(text[start:end], choice)))
        i += n
    return _assemble(text, spans)


def _assemble(text: str, spans: list[tuple[int, int, str]]) -> Spun:
    """Apply sorted, non-overlapping (start, end, observed) replacements to `text`."""
    out: list[str] = []
    edits: list[Edit] = []
    cursor = size = 0
    for start, end, observed in spans:
        size += start - cursor
        out += [text[cursor:start], observed]
        edits.append(Edit(size, len(observed), observed, text[start:end]))
        size += len(observed)
        cursor = end
    out.append(text[cursor:])
    return Spun("".join(out), edits)


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Case-insensitive word-boundary pattern for `phrase` (any whitespace between words)."""
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


def substitute_pairs(text: str, pairs: list[tuple[str, str]], rng: random.Random) -> Spun:
    """Replace every occurrence of each `expected` phrase by its `tortured` counterpart.

    `pairs` are (tortured, expected). Longer expected phrases claim their spans first
    and matches never overlap; when one expected phrase has several tortured
    variants, each occurrence gets one at random. Initial capitals are kept.
    """
    variants: dict[str, list[str]] = {}
    for tortured, expected in pairs:
        key = " ".join(expected.lower().split())
        variants.setdefault(key, [])
        if tortured not in variants[key]:
            variants[key].append(tortured)
    claimed: list[tuple[int, int, str]] = []
    for key in sorted(variants, key=lambda k: (-len(k), k)):
        for m in _phrase_pattern(key).finditer(text):
            if all(m.end() <= a or m.start() >= b for a, b, _ in claimed):
                claimed.append((m.start(), m.end(), key))
    spans = [
        (start, end, match_case(text[start:end], rng.choice(variants[key])))
        for start, end, key in sorted(claimed)
    ]
    return _assemble(text, spans)


def main(argv: list[str] | None = None) -> int:
    """CLI: spin a file (or stdin) with the lexicon's forward map and print the result."""
    parser = argparse.ArgumentParser(description="Spin text with thesaurus synonyms.")
    parser.add_argument("file", help="text file to spin, or - for stdin")
    parser.add_argument("--rate", type=float, default=0.4, help="replacement probability")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    spun = spin(text, load_forward(), random.Random(args.seed), args.rate)
    sys.stdout.write(spun.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
