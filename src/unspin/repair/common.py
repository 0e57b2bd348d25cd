"""Shared ground of the repairers: token classes, thresholds and the small text helpers
every family uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from unspin.core.records import Finding, Kind, Replacement, Spans

WORDS_FILE = "words.tsv.gz"
"""The dictionary words that fill gaps, with their unigram log10 (tools/build_words.py)."""
MAX_SHIFT = 6
"""The farthest (in characters) a pasted token lands before its real place."""

DOUBLE_QUOTES = '"\u201c\u201d'
SINGLE_QUOTES = "'\u2018\u2019"
QUOTES = DOUBLE_QUOTES + SINGLE_QUOTES
APOSTROPHES = "'\u2019"

_IMAGE_ID = (r"_\d{6,}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ID_TOKEN = re.compile(rf"(?<!\S){_IMAGE_ID}(?!\S)")
_WIDGETS = (
    r"advertisement|share(?: this(?: article| story| page| post)?)?"
    r"|share (?:on|via) (?:facebook|twitter|whatsapp|linkedin|messenger|e-?mail)"
    r"|getty images|media playback is unsupported on your device"
)
_CAPTION = r"(?i:image|media) (?i:caption|copyright)(?: [A-Z0-9\"'\u201c\u2018(][^\n]{0,200})?"
"""A caption widget and its caption: a capitalised line of at most 200 characters, not
prose that begins with the words ("Image caption generation has gathered ...")."""
_RESIDUE_LINE = re.compile(
    rf"^[ \t]*(?:{_IMAGE_ID}|(?i:{_WIDGETS})|{_CAPTION})[ \t]*(?:\r?\n|$)", re.MULTILINE)
_CITATION_CUE = re.compile(r"(?:\b(?:id|doi|ref|see|image|photo|fig\.?|figure)\s*:?\s*|[(\[])$",
                           re.IGNORECASE)

_QUOTE = re.compile(f"[{QUOTES}]")
_ESCAPED_OPEN = re.compile(r'(?:^|(?<=[\s(\[]))""(?=[^\W_])')
"""An opening quote typed twice before a word: the document escapes its quotes by
doubling them (text that went through CSV), so a doubled mark there is no stale copy
and its quotes do not alternate as prose's do."""
_DOUBLE = re.compile(f"[{DOUBLE_QUOTES}]")
_SPACES = re.compile(r"(\s+)")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SCORED_WORD = re.compile(f"[^\\W\\d_]+(?:[{QUOTES}][^\\W\\d_]+)*")  # a glued quote spoils a word
_POSSESSIVE_END = re.compile(r"(?<=[^\W\d_])['\u2019]s")
_CODE_LINE = re.compile(r"[{}=`\\]|\w\(|^(?: {4}|\t)")
_URL = re.compile(r"https?://|www\.|\w\.\w+/")

COMMON_WORDS = 100
"""How many of the most frequent words of each length the repair may invent whole (no
letter of it seen): filling a gap with a rare word is never well supported."""
KNOWN_LOGPROB = -6.5
"""Unigram log10 floor for dictionary words that complete a partial word."""
OOV_LOGPROB = -7.0
DOC_WORD_LOGPROB = -4.0
"""What a word the LM does not know scores when the document uses it elsewhere."""
DOC_BONUS = 1.0
"""log10 bonus per repaired word that the document uses intact elsewhere."""
DOC_PAIR_BONUS = 1.0
"""log10 bonus per word pair of a reading that the document writes elsewhere."""
STRUCTURE_WEIGHT = 2.0
"""log10 cost of each quote that breaks the open/close alternation of its paragraph."""
MIN_GAIN = 1.5
"""Evidence (log10) a quote must add by being called pasted before it is repaired."""
WORD_MARGIN = 0.5
"""How much better (log10) the best reading must score than the next before letters
that finish a cut word are invented; below it a quote is left alone, while a pasted
possessive (certain damage) still gets the best reading, marked as a guess with
confidence 0.5 and its rivals as further replacements."""
WHOLE_WORD_MARGIN = 1.5
"""The same for a reading that invents a whole word (the 3-gram LM often cannot tell
"of" from "in"): on dev damage, readings above it were right 19 times in 20."""
WINDOW_WORDS = 2
"""Words of context on each side of a damaged stretch that the LM reads."""
PUNCT_COST = 0.7
"""log10 cost of each punctuation mark a reading puts between words."""
COMMON_FRAGMENT_LOGPROB = -5.0
"""A piece of a split word this frequent on its own (unigram log10) is a word, not a piece."""
LINE_REACH = 1000
"""How far (characters) either side of a suspect its line is read (quote structure,
code): bounds the work on text with very long lines."""
MAX_MARKS_PER_KCHAR = 60
"""Quote marks and apostrophes per 1,000 characters of a line (beyond 10) above which it
is not prose (damaged dev news peaks near 25): nothing there is repaired."""
ALTERNATIVES = 2
"""Readings offered after the best one, as further replacements for a reviewer."""
NO_RIVAL_MARGIN = 3.0
"""The margin (log10) credited to a reading no other reading competes with."""
MOJIBAKE_PIECE = 2000
"""Longest stretch (characters) that ftfy fixes and the character diff compares at
once: long enough for any mis-decoded sequence, short enough to bound the diff's
fallback, which is superlinear in what it compares."""
POSSESSIVE_RANK = 100.0
"""Possessive stutters are certain damage: their repairs win over overlapping quotes."""

_SEPARATORS = (" ", ", ", ". ", "-", "; ", ": ")
_BARE_MARKS = (",", ".", ";", ":")  # end a reading that a surviving space follows
_CLOSING_PUNCT = ",.?!;:"
_WHOLE_POSSESSIVE = re.compile(r"(?<![^\W\d_])[^\W\d_]+['\u2019]s(?![^\W\d_])")
_GLUED_POSSESSIVE = re.compile(r"(?<![^\W\d_])([^\W\d_]+['\u2019]s)[^\W\d_]*")
_GLUED_QUOTE = re.compile(r"(?<=[^\W\d_])[\"\u201c\u201d](?=[^\W\d_])")
_INNER_APOSTROPHE = re.compile(r"(?<![\w'\u2019])([^\W\d_]+)(['\u2019])([^\W\d_]+)(?![\w'\u2019])")
_CONTRACTION_TAILS = frozenset({"s", "t", "ll", "re", "ve", "d", "m", "n"})
# Whole words only: without the look-behind each letter of a long run restarts the scan.
_SPLIT_WORD = re.compile(r"(?<![^\W\d_])([^\W\d_]+)([\"\u201d]) ([^\W\d_]+)")
# A moved token's place left empty, 0-4 characters on: a double space, a space before
# punctuation ("Thecountry's" + "  deal", "afTrump'ster" + " .").
_EMPTIED = re.compile(r"[^\n]{0,4}? [ ,.;:!?]")
_LOOSE_HYPHEN = re.compile(r"^-|-$|\W-|-\W")
_SPEECH_GOES_ON = re.compile(
    r"[a-z]|(?:\S+ ){0,3}(?:said|says|added|adds|told|asked|explained|according)\b")


@dataclass(frozen=True, slots=True)
class _Paste:
    """A candidate stale paste: `token` pasted at `start`, `shift` characters early;
    `split` when a space came with it, the two over one character ("cruise\" .\"" for
    "cruises.\"")."""

    start: int
    shift: int
    token: str
    split: bool = False

    @property
    def after(self) -> int:
        """One past what the paste wrote (the token, and its space when split)."""
        return self.start + len(self.token) + self.split

    @property
    def end(self) -> int:
        """One past the real token's last character (the damaged stretch's end)."""
        return self.start + self.shift + len(self.token)

    @property
    def unknown(self) -> int:
        """How many original characters the paste overwrote and left no trace of."""
        return min(self.shift, len(self.token))

    def kept(self) -> str:
        """The token's head the paste overwrote but which is known (it is the token)."""
        return self.token[: len(self.token) - self.shift] if len(self.token) > self.shift else ""


def _free(candidates: Sequence[Finding], taken: Sequence[Finding]) -> list[Finding]:
    """The candidates that overlap none of `taken` (nor each other, first come first);
    `taken` must not overlap itself."""
    spans = Spans((t.offset, t.end) for t in taken)
    kept: list[Finding] = []
    for f in candidates:
        if not spans.overlaps(f.offset, f.end):
            spans.add(f.offset, f.end)
            kept.append(f)
    return kept


def _fix(text: str, start: int, end: int, value: str, conf: float, evidence: dict[str, Any],
         kind: Kind = "mechanical") -> Finding:
    """The finding that repairs text[start:end] into `value`, its evidence repair's."""
    return Finding(start, end - start, text[start:end], kind, conf,
                   (Replacement(value, conf),), {"source": "repair", **evidence})


def _protected(text: str, i: int) -> bool:
    """Whether position `i` is in code or a URL, where quotes mean something else."""
    line_start, line_end = _line(text, i, i)
    if _CODE_LINE.search(text[line_start:line_end]):
        return True
    start, end = i, i + 1
    while start > line_start and not text[start - 1].isspace():
        start -= 1
    while end < line_end and not text[end].isspace():
        end += 1
    return bool(_URL.search(text, start, end))


def _line(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the line(s) holding text[start:end], at most `LINE_REACH` either side."""
    line_start = text.rfind("\n", max(start - LINE_REACH, 0), start) + 1
    line_end = text.find("\n", end, end + LINE_REACH)
    return (max(line_start, start - LINE_REACH),
            min(len(text), end + LINE_REACH) if line_end < 0 else line_end)


def _letters_before(text: str, i: int) -> str:
    """The letters just before `i` (the start of a word the paste cut)."""
    start = i
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:i]


def _letters_after(text: str) -> str:
    """The letters `text` starts with."""
    end = 0
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[:end]


def _sentence_start(before: str) -> bool:
    """Whether a word written after `before` begins a sentence."""
    before = before.rstrip(" " + QUOTES)
    return not before or before[-1] in ".!?\n"
