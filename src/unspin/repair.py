"""Mechanical repair: undo what spinning and scraping pipelines break.

Spinning pipelines protect quote marks and possessives, spin the text, then paste
the protected tokens back at offsets the spin has made stale: each token lands 1-6
characters early and overwrites what stood there, while the token's tail survives
at its real place ("all Ireland'sd's" for "all of Ireland's", `res"lt,"` for
`result,"`). Scrapers leave image ids, "Advertisement" and share widgets on lines
of their own, and mis-decoded UTF-8 (mojibake).

`find_repairs` is the pure core: each damaged stretch becomes a `Finding` of kind
"mechanical" or "residue" whose replacement is the repaired text. The overwritten
characters are recovered from the document's own vocabulary and the CMU dictionary
and 3-gram LM shipped in `pocketsphinx`. Precision first: a quote is only called
pasted when removing it fixes the quote structure or the words around it, and
letters are only invented when the LM clearly prefers one reading.
"""

from __future__ import annotations

import bisect
import difflib
import gzip
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from unspin.lm import NGramLM, default_lm
from unspin.records import Finding, Kind, Replacement, Spans, apply_findings

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
    r"|(?:image|media) (?:caption|copyright)(?: .*)?|getty images"
    r"|media playback is unsupported on your device"
)
_RESIDUE_LINE = re.compile(
    rf"^[ \t]*(?:{_IMAGE_ID}|(?i:{_WIDGETS}))[ \t]*(?:\r?\n|$)", re.MULTILINE)
_CITATION_CUE = re.compile(r"(?:\b(?:id|doi|ref|see|image|photo|fig\.?|figure)\s*:?\s*|[(\[])$",
                           re.IGNORECASE)

_QUOTE = re.compile(f"[{QUOTES}]")
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


# --- public core -----------------------------------------------------------------


def find_repairs(text: str) -> list[Finding]:
    """Every repair of `text`, non-overlapping and sorted, offsets into `text`."""
    findings = _residue(text)
    findings += _free(_mojibake(text), findings)
    findings += _free(_pastes(text), findings)
    return sorted(findings, key=lambda f: f.offset)


def repair_text(text: str) -> str:
    """`text` with every repair applied."""
    return apply_findings(text, find_repairs(text))


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


# --- scraping residue ------------------------------------------------------------


def _residue(text: str) -> list[Finding]:
    """Lines that are only an image id or a widget label, and inline image ids."""
    findings: list[Finding] = []
    for m in _RESIDUE_LINE.finditer(text):
        if m.start() == m.end():
            continue
        start, end = m.start(), m.end()
        line_before_blank = start == 0 or text[:start].endswith(("\n\n", "\n\r\n"))
        after = re.match(r"[ \t]*\r?\n", text[end:])
        if line_before_blank and after and m.group().endswith("\n"):
            end += after.end()  # drop one of the two blank lines around it
        label = m.group().strip()
        rule = "image-id" if label.startswith("_") else "widget"
        findings.append(_residue_finding(text, start, end, rule, 0.95))
    for m in _ID_TOKEN.finditer(text):
        if any(f.offset <= m.start() < f.end for f in findings):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start : m.start()]
        if _CITATION_CUE.search(before.rstrip()) or before.count("(") > before.count(")"):
            continue
        start, end = m.start(), m.end()
        if start > line_start and text[start - 1] == " ":
            start -= 1
        elif text[end : end + 1] == " ":
            end += 1
        findings.append(_residue_finding(text, start, end, "image-id", 0.9))
    return findings


def _residue_finding(text: str, start: int, end: int, rule: str, conf: float) -> Finding:
    return _fix(text, start, end, "", conf, {"rule": rule}, "residue")


def _fix(text: str, start: int, end: int, value: str, conf: float, evidence: dict[str, Any],
         kind: Kind = "mechanical") -> Finding:
    """The finding that repairs text[start:end] into `value`, its evidence repair's."""
    return Finding(start, end - start, text[start:end], kind, conf,
                   (Replacement(value, conf),), {"source": "repair", **evidence})


# --- mojibake --------------------------------------------------------------------


def _mojibake(text: str) -> list[Finding]:
    """ftfy's encoding fixes, one finding per changed word, offsets into `text`."""
    findings: list[Finding] = []
    for offset, piece in _pieces(text):
        if piece.isascii():
            continue
        ftfy, config = _ftfy()
        fixed = ftfy.fix_text(piece, config)
        if fixed == piece:
            continue
        for a1, a2, b1, b2 in _changed_words(piece, fixed):
            findings.append(_fix(text, offset + a1, offset + a2, fixed[b1:b2], 0.95,
                                 {"rule": "mojibake", "fixer": f"ftfy {ftfy.__version__}"}))
    return findings


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """`text` cut into lines, and long lines at a space near every `MOJIBAKE_PIECE`
    characters, with their offsets: ftfy and the diff behind a fix then see bounded
    pieces, and mis-decoded sequences never span a space."""
    offset = 0
    for line in text.splitlines(keepends=True):
        start = 0
        while len(line) - start > MOJIBAKE_PIECE:
            cut = line.rfind(" ", start + MOJIBAKE_PIECE // 2, start + MOJIBAKE_PIECE) + 1
            cut = cut or start + MOJIBAKE_PIECE
            yield offset + start, line[start:cut]
            start = cut
        yield offset + start, line[start:]
        offset += len(line)


@cache
def _ftfy() -> tuple[Any, Any]:
    """ftfy and its config with only the encoding fixes on (curly quotes stay curly, no
    normalisation), imported on the first non-ASCII line: it costs 50 ms of start-up."""
    import ftfy

    return ftfy, ftfy.TextFixerConfig(
        unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
        fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
        remove_control_chars=False, normalization=None, explain=False)


def _changed_words(a: str, b: str) -> list[tuple[int, int, int, int]]:
    """Words of `a` that differ from `b`, with their `b` spans.

    ftfy's fixes replace words in place, so word and space tokens pair up one to one
    and the cost is linear; when a fix joins or splits tokens, a token diff aligns
    them (autojunk on: a character diff is quadratic on repetitive text)."""
    tokens_a, tokens_b = _SPACES.split(a), _SPACES.split(b)
    starts_a = list(itertools.accumulate(map(len, tokens_a), initial=0))
    starts_b = list(itertools.accumulate(map(len, tokens_b), initial=0))
    if len(tokens_a) == len(tokens_b):
        ops = [(k, k + 1, k, k + 1) for k, (x, y) in enumerate(zip(tokens_a, tokens_b, strict=True))
               if x != y]
    else:
        matcher = difflib.SequenceMatcher(a=tokens_a, b=tokens_b)
        ops = [(i1, i2, j1, j2) for op, i1, i2, j1, j2 in matcher.get_opcodes()
               if op != "equal"]
    return [(starts_a[i1], starts_a[i2], starts_b[j1], starts_b[j2]) for i1, i2, j1, j2 in ops]


# --- stale pastes ----------------------------------------------------------------


def _pastes(text: str) -> list[Finding]:
    """Findings for stale pastes of quote marks and possessives, surest first."""
    judged: list[tuple[float, Finding]] = []
    doc = _DocVocabulary(text)
    crowded = _crowding(text)
    for group in _paste_candidates(text, doc, crowded):
        result = _judge(text, group, doc)
        if result is not None:
            judged.append(result)
    judged += _split_words(text, doc)
    judged += _glued_quotes(text, doc, crowded)
    judged += _doubled_possessives(text, doc, crowded)
    judged += _moved_possessives(text, doc, crowded)
    judged += _moved_apostrophes(text, doc, crowded)
    style_inside = _punctuation_inside(text)
    judged += _misplaced_quotes(text, doc, crowded, style_inside)
    judged += _stops_outside(text, crowded, style_inside)
    judged.sort(key=lambda pair: -pair[0])
    return _free([f for _, f in judged], [])


def _crowding(text: str) -> Callable[[int], bool]:
    """Whether a place lies where quote marks and apostrophes come every few characters
    (more than `MAX_MARKS_PER_KCHAR` per 1,000 characters of its line, plus 10): not
    prose, nothing to repair. Asked first, so such text costs no further look."""
    marks = [m.start() for m in _QUOTE.finditer(text)]

    def crowded(i: int) -> bool:
        lo, hi = _line(text, i, i)
        count = bisect.bisect_left(marks, hi) - bisect.bisect_left(marks, lo)
        return count > MAX_MARKS_PER_KCHAR * (hi - lo) / 1000 + 10

    return crowded


def _paste_candidates(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                      ) -> Iterator[list[_Paste]]:
    """Groups of alternative explanations, one group per suspicious place outside
    crowded stretches."""
    yield from _quote_candidates(text, crowded)
    yield from _possessive_candidates(text, doc, crowded)


def _quote_candidates(text: str, crowded: Callable[[int], bool]) -> Iterator[list[_Paste]]:
    """A quote mark with a twin 1-6 characters later: the first may be a stale copy.

    A single quote is only suspected inside a word that is not a known word
    ("res'lt", not "don't" or "O'Gara"): elsewhere it is too often an apostrophe.
    """
    for m in _QUOTE.finditer(text):
        i, char = m.start(), m.group()
        if char * 3 in text[max(i - 2, 0) : i + 3] or crowded(i):
            continue  # a run of three (a docstring), or no prose around: never a stale copy
        split = text[i + 1 : i + 2] == " " and (text[i - 1 : i].isalpha()
                                                 or text[i - 1 : i] == " ")
        group = [_Paste(i, k, char, cut) for cut in ((False, True) if split else (False,))
                 for k in range(1 + cut, MAX_SHIFT + 1 + cut)
                 if text[i + k : i + k + 1] == char and "\n" not in text[i : i + k]]
        if not group or _protected(text, i) or _unrecoverable(text, i):
            continue
        if char in SINGLE_QUOTES and not _broken_word(text, i):
            continue
        yield group


def _unrecoverable(text: str, i: int) -> bool:
    """Whether the quote at `i` sits between two digits or two capitals, where what it
    overwrote (a digit, a letter of an acronym) cannot be told."""
    pair = text[i - 1 : i] + text[i + 1 : i + 2]
    return len(pair) == 2 and (pair.isdigit() or pair.isupper())


def _broken_word(text: str, i: int) -> bool:
    """Whether the quote at `i` sits between letters of a word nobody writes."""
    if not (text[i - 1 : i].isalpha() and text[i + 1 : i + 2].isalpha()):
        return False
    start, end = i, i + 1
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] in APOSTROPHES):
        start -= 1
    while end < len(text) and (text[end].isalpha() or text[end] in APOSTROPHES):
        end += 1
    word = text[start:end]
    if re.fullmatch(r"[A-Z]['\u2019][A-Z]\w*", word):
        return False  # O'Gara, D'Arcy
    return not default_lm().known(word.lower().replace("\u2019", "'"))


def _split_words(text: str, doc: _DocVocabulary) -> Iterator[tuple[float, Finding]]:
    """A word cut by a closing quote and a space ("Janu\u201d ry" for "January\u201d"):
    the mark and a space were pasted over a letter; the word is put back together with
    the one letter that makes it a known word, and the mark goes to its end, unless its
    real copy survives a few characters on ("Oct\u201d ber,\u201d" for "October,\u201d")."""
    lm = default_lm()
    for m in _SPLIT_WORD.finditer(text):
        head, mark, tail = m.group(1), m.group(2), m.group(3)
        if _common(head, lm) and len(tail) > 1 and _common(tail, lm) or _protected(
                text, m.start(2)):
            continue
        words = [w for c in "abcdefghijklmnopqrstuvwxyz"
                 if doc.known(w := f"{head}{c}{tail}".lower())]
        if len(words) != 1:
            continue  # no letter, or more than one, makes a word
        word = words[0]
        survives = text.find(mark, m.end(), m.end() + MAX_SHIFT + 1)
        kept = survives >= 0 and "\n" not in text[m.end() : survives]
        value = head + word[len(head) : len(head) + 1] + tail + ("" if kept else mark)
        ws, we = _window(text, m.start(), m.end())
        near = _words_of(text[ws:we])
        local = Counter(near), Counter(zip(near, near[1:], strict=False))
        span = (m.start() - ws, m.end() - ws)
        damaged = _lm_score(text[ws:we], lm, doc, local, span)
        restored = _lm_score(text[ws : m.start()] + value + text[m.end() : we], lm, doc, local,
                             (span[0], span[0] + len(value)))
        gain = restored - damaged
        if gain < MIN_GAIN:
            continue
        yield gain, _fix(text, m.start(), m.end(), value, 0.9, {
            "rule": "split-word", "pasted": mark + " ", "overwritten": word[len(head)],
            "recovered_from": "document" if doc.counts[word] else "dictionary",
            "gain_log10": round(gain, 3)})


def _glued_quotes(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                  ) -> Iterator[tuple[float, Finding]]:
    """A double quote between two letters whose removal joins a known word ("resu"lt,"
    for "result,""): the mark was pasted early without overwriting anything. With its
    twin 1-6 characters on it is a copy and goes; without one it was moved, and goes
    back after the word and its punctuation (closing) or before the next word
    (opening), whichever alone mends the line's open/close alternation."""
    lm = default_lm()
    for m in _GLUED_QUOTE.finditer(text):
        i, mark = m.start(), m.group()
        head, tail = _letters_before(text, i), _letters_after(text[i + 1 :])
        word = (head + tail).lower()
        if not _joins_word(text, i, doc, lm) or crowded(i) or _protected(text, i):
            continue
        start, end = i - len(head), i + 1 + len(tail)
        twin = text.find(mark, i + 1, i + 1 + MAX_SHIFT + 1)
        if twin >= 0 and "\n" not in text[i:twin]:
            value, rule = head + tail, "doubled-quote"
        else:
            punct = re.match(r"[,.;:!?]*", text[end:]).group()
            end += len(punct)
            nxt = re.match(r" (?=[^\W\d_])", text[end:])
            readings = [head + tail + punct + mark]
            if nxt:
                readings.append(head + tail + punct + " " + mark)
                end += 1
                readings[0] += " "
            ls, le = _line(text, start, end)
            errors = sorted((_quote_errors(text[ls:start] + v + text[end:le]), v)
                            for v in readings)
            if errors[0][0] >= _quote_errors(text[ls:le]) or (
                    len(errors) > 1 and errors[0][0] == errors[1][0]):
                continue  # no better for the line's quotes, or either place would do
            value, rule = errors[0][1], "moved-quote"
        gain = lm.logprob(word, ()) - lm.logprob(head.lower(), ()) - lm.logprob(tail.lower(), ())
        if gain < MIN_GAIN:
            continue
        yield gain, _fix(text, start, end, value, 0.85, {"rule": rule, "pasted": mark})


def _moved_apostrophes(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                       ) -> Iterator[tuple[float, Finding]]:
    """A plural's possessive apostrophe moved early into its word ("S'tates" for
    "States'", "governm'ents" for "governments'"): an apostrophe inside a word, no
    contraction's or name's ("don't", "O'Neill", "it'll"), whose removal leaves a
    known word ending in s, goes back to that word's end."""
    for m in _INNER_APOSTROPHE.finditer(text):
        head, mark, tail = m.groups()
        joined = (head + tail).lower()
        if (tail.lower() in _CONTRACTION_TAILS or tail[0].isupper() or len(joined) < 4
                or not joined.endswith("s") or not doc.known(joined)
                or doc.counts[f"{head}{mark}{tail}".lower().replace("\u2019", "'")] > 1
                or crowded(m.start()) or _protected(text, m.start())):
            continue
        yield MIN_GAIN, _fix(text, m.start(), m.end(), head + tail + mark, 0.8,
                             {"rule": "moved-apostrophe", "pasted": mark, "shift": len(tail)})


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


def _doubled_possessives(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                         ) -> Iterator[tuple[float, Finding]]:
    """A possessive pasted early as a copy, its real one intact just after ("the" +
    "country's" + " country's", "sai" + "He's" + "d: He's"): the copy, glued into
    other letters, goes when the letters it split then join into a known word."""
    for m in _WHOLE_POSSESSIVE.finditer(text):
        token, real = m.group(), m.start()
        if crowded(real):
            continue
        first = text.rfind(token, max(real - len(token) - MAX_SHIFT - 1, 0), real)
        if first < 0 or first + len(token) > real or "\n" in text[first:real]:
            continue
        head, tail = _letters_before(text, first), _letters_after(text[first + len(token):])
        if not head and not tail:
            continue  # a word of its own: "Iraq's Iraq's" is not a paste
        joined = head + tail if head and tail else head or tail
        if len(joined) < 2 or not doc.known(joined.lower()):
            continue
        start, end = first - len(head), first + len(token) + len(tail)
        # Glued inside a word, the copy has no other reading: it outranks a stale paste.
        rank = POSSESSIVE_RANK + NO_RIVAL_MARGIN + 1.0 if head and tail else MIN_GAIN + 1.0
        yield rank, _fix(text, start, end, head + tail, 0.85,
                         {"rule": "doubled-possessive", "pasted": token})


def _moved_possessives(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                       ) -> Iterator[tuple[float, Finding]]:
    """A possessive moved early into or before the word before it, its place left empty
    ("Estimates" + "Iraq's" + " of  unemployment", "t" + "country's" + "he  budget",
    "England's" + "to  training"): a word holding 's whose stem no dictionary or other
    line of the document knows, or with letters glued on after it, is split into a
    fragment and a known possessive, and the possessive goes back 1-6 characters on,
    where the LM reads the stretch best with one space between words."""
    lm = default_lm()
    for m in _GLUED_POSSESSIVE.finditer(text):
        word, first = m.group(1), m.start()
        glued_on = m.end() > m.end(1)  # "England's" + "to  training"
        line_end = text.find("\n", m.end(1))
        rest = text[m.end(1) : min(m.end(1) + MAX_SHIFT + 12,
                                   len(text) if line_end < 0 else line_end)]
        emptied = _EMPTIED.match(rest) is not None
        if (not (glued_on or emptied) and _known_elsewhere(word[:-2].lower(), doc)
                or crowded(first)):
            continue
        glued_before = first > 0 and not text[first - 1].isspace() and text[
            first - 1] not in QUOTES + "([{"  # "RHB," + "Malaysia's" + "  third"
        options = [k for k in range(1, min(MAX_SHIFT, len(rest)) + 1)
                   if rest[k - 1] == " " and not rest[k : k + 1].isalpha()]
        readings = {(j, k): word[:j] + rest[:k] + word[j:] + rest[k:]
                    for j in range(0 if glued_on or emptied and glued_before else 1,
                                   len(word) - 3)
                    if (_known_elsewhere(word[j:-2].lower(), doc)
                        or glued_on and emptied and word[j].isupper())  # "BASIX'sand  "
                    and word[j:] not in rest  # its twin follows: a copy, not a move
                    for k in options}
        if not readings:
            continue
        best = max(readings, key=lambda jk: _fluency(readings[jk], lm, doc))
        gain = _fluency(readings[best], lm, doc) - _fluency(word + rest, lm, doc)
        if gain < MIN_GAIN:
            continue
        j, k = best
        end = m.end(1) + k
        # An overwrite leaves no hole: where one is seen, the move outranks any stale paste.
        rank = gain + POSSESSIVE_RANK * emptied
        yield rank, _fix(text, first, end, readings[best][: end - first], 0.8, {
            "rule": "moved-possessive", "pasted": word[j:], "shift": k,
            "gain_log10": round(gain, 3)})


def _known_elsewhere(word: str, doc: _DocVocabulary) -> bool:
    """Whether the dictionary knows `word`, or the document writes it more than once
    (once may be the damaged word itself)."""
    return doc.counts[word] > 1 or bool(_dictionary().starting(word, len(word)))


def _fluency(value: str, lm: NGramLM, doc: _DocVocabulary) -> float:
    """LM log10 of the words of `value` (a possessive read as its word), less 3 per
    double space and per word the dictionary lacks and the document writes only once
    (the glued word under judgement is itself in the document)."""
    words = [w[:-2] if w.endswith("'s") else w for w in _words_of(value)]
    unknown = sum(not _known_elsewhere(w, doc) for w in words)
    return lm.score(words, 0, len(words)) - 3.0 * (value.count("  ") + unknown)


def _common(word: str, lm: NGramLM) -> bool:
    """Whether `word` is a frequent word on its own (then it was not cut)."""
    return lm.logprob(word.lower(), ()) > COMMON_FRAGMENT_LOGPROB


def _possessive_candidates(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool]
                           ) -> Iterator[list[_Paste]]:
    """A possessive whose real copy survives 1-6 characters on: its own tail right after
    it ("Ireland'sd's"), or all of it ("UK'se UK's")."""
    for m in _POSSESSIVE_END.finditer(text):
        if crowded(m.start()):
            continue
        end = m.end()
        run_start = m.start()
        while run_start > 0 and text[run_start - 1].isalpha():
            run_start -= 1
        group = [_Paste(i, k, text[i:end])
                 for i in range(run_start, m.start())
                 if _token_start_ok(text, i, run_start, doc)
                 and _word_like(text[i : m.start()], doc)
                 for k in range(1, MAX_SHIFT + 1) if _survives(text, i, k, end)]
        if any(_known_stem(p, doc) for p in group):  # "dollar's", not "Austradollar's"
            group = [p for p in group if p.start > run_start or _known_stem(p, doc)]
        if group and not _protected(text, m.start()):
            yield group


def _known_stem(paste: _Paste, doc: _DocVocabulary) -> bool:
    """Whether a pasted possessive's word is one we know (not only shaped like a name)."""
    return doc.known(_letters_after(paste.token).lower())


def _survives(text: str, start: int, shift: int, end: int) -> bool:
    """Whether text[start:end] could be a copy pasted `shift` characters early: what the
    paste did not overwrite of the real token follows, and the token ends there."""
    token = text[start:end]
    real = start + shift
    seen = max(real, end)
    return (text[seen : real + len(token)] == token[seen - real :]
            and not text[real + len(token) :][:1].isalnum()
            and "\n" not in text[start : real + len(token)])


def _token_start_ok(text: str, i: int, run_start: int, doc: _DocVocabulary) -> bool:
    """Whether a pasted possessive may begin at `i`: where its word begins, at a capital
    after a small letter ("alloArgentina's"), or at a known word of 3+ letters inside a
    run of letters that is no word ("thcompany's", "Tgovernment's"); never inside an
    acronym.
    """
    if i == run_start:
        return True
    if text[i].isupper():  # "GMTCarnival's", "MMarr's" (Mr Marr's), not "BT's"
        return text[i - 1].islower() or text[i + 1 : i + 2].islower()
    if not (text[i - 1].islower() or i == run_start + 1):  # "Tgovernment's"
        return False
    stem, run = _letters_after(text[i:]).lower(), _letters_after(text[run_start:]).lower()
    return len(stem) >= 3 and doc.known(stem) and not doc.known(run)


def _word_like(stem: str, doc: _DocVocabulary) -> bool:
    """Whether a pasted possessive's stem can be a word: known, a name or an acronym."""
    return doc.known(stem.lower()) or bool(re.fullmatch(r"[A-Z][a-z]+|[A-Z]+", stem))


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


def _judge(text: str, group: Sequence[_Paste], doc: _DocVocabulary) -> tuple[
        float, Finding] | None:
    """The repair a group of candidates supports, ranked for overlaps, or None.

    Every reading of every candidate is scored on the same window: the LM log10 of its
    words, the document bonus, the cost of broken quote structure and punctuation.
    """
    lm = default_lm()
    first = min(p.start - len(_letters_before(text, p.start)) for p in group)
    last = max(p.end for p in group)
    ws, we = _window(text, first, last)
    ls, le = _line(text, first, last)
    structured = group[0].token in DOUBLE_QUOTES
    near = _words_of(text[ws:we])
    local = Counter(near), Counter(zip(near, near[1:], strict=False))

    def restored(paste: _Paste, value: str) -> str:
        return text[ws : paste.start] + value + paste.kept() + text[
            paste.after : we]

    def score(paste: _Paste, value: str) -> float:
        i, after = paste.start, paste.after
        window = restored(paste, value)
        total = _lm_score(window, lm, doc, local, (i - ws, i - ws + len(value)))
        if structured:
            total -= STRUCTURE_WEIGHT * _quote_errors(text[ls:i] + value + paste.kept()
                                                      + text[after:le])
        return total + _prior(text, i, value, paste.kept() + text[after:we])

    readings = sorted(
        (_Reading(paste, value, score(paste, value), source)
         for paste in group
         for value, source in _fill_values(text, paste, doc)),
        key=lambda r: -r.score)
    possessive = len(group[0].token) > 1
    if not readings:
        return (POSSESSIVE_RANK, _moved_back(text, max(group, key=lambda p: _plausible(p, doc))
                                             )) if possessive else None
    top = readings[0]
    best = _reading(restored(top.paste, top.value))
    rivals = [r.score for r in readings if _reading(restored(r.paste, r.value)) != best]
    margin = top.score - rivals[0] if rivals else NO_RIVAL_MARGIN
    needed = _margin_needed(text, top.paste, top.value)
    if possessive:
        return POSSESSIVE_RANK + margin, _recovered(text, top, margin, needed, readings)
    gain = top.score - score(top.paste, text[top.paste.start : top.paste.after])
    if gain < MIN_GAIN or margin < needed:
        return None
    return gain, _recovered(text, top, margin, needed, readings)


@dataclass(frozen=True, slots=True)
class _Reading:
    """One candidate paste with one reading of the characters it overwrote."""

    paste: _Paste
    value: str
    score: float
    source: str


def _restored(text: str, paste: _Paste, value: str) -> tuple[int, str]:
    """Start of the damaged stretch (its first word) and its text with `value` put back."""
    head = _letters_before(text, paste.start)
    after = paste.after
    return paste.start - len(head), head + value + paste.kept() + text[after : paste.end]


def _recovered(text: str, top: _Reading, margin: float, needed: float,
               readings: Sequence[_Reading]) -> Finding:
    """The finding that restores `top`, with the next readings as further replacements.

    Its confidence grows with the LM margin; a reading that wins by less than `needed`
    (a possessive must still be moved back) is a best guess and gets at most 0.5.
    Each replacement's confidence is its share of the readings' LM probability.
    """
    conf = round(min(0.99, 0.5 + 0.45 * (1.0 - 10.0 ** -margin)), 2)
    if margin < needed:
        conf = min(conf, 0.5)
    best: dict[str, tuple[float, str]] = {}
    for r in readings:  # sorted best first: keep each distinct reading's best wording
        value = _restored(text, r.paste, r.value)[1]
        best.setdefault(_reading(value), (r.score, value))
    total = sum(10.0 ** (score - top.score) for score, _ in best.values())
    ranked = list(best.values())[:ALTERNATIVES + 1]
    start = top.paste.start - len(_letters_before(text, top.paste.start))
    evidence: dict[str, Any] = {
        "source": "repair", "rule": "stale-paste", "pasted": top.paste.token,
        "shift": top.paste.shift, "overwritten": top.value, "recovered_from": top.source,
        "margin_log10": round(margin, 3), "guess": margin < needed,
    }
    end = top.paste.end
    return Finding(start, end - start, text[start:end], "mechanical", conf,
                   tuple(Replacement(value, round(10.0 ** (score - top.score) / total, 2))
                         for score, value in ranked), evidence)


def _moved_back(text: str, paste: _Paste) -> Finding:
    """A possessive moved back to its place without inventing what it overwrote."""
    conf = 0.5
    head = _letters_before(text, paste.start)
    start, value = _restored(text, paste, " " if head else "")
    evidence = {"source": "repair", "rule": "stale-paste", "pasted": paste.token,
                "shift": paste.shift, "overwritten": None, "recovered_from": None}
    return Finding(start, paste.end - start, text[start : paste.end], "mechanical", conf,
                   (Replacement(value, conf),), evidence)


def _plausible(paste: _Paste, doc: _DocVocabulary) -> tuple[bool, bool]:
    """How plausible a pasted possessive is: a capitalised word, a word we know."""
    return paste.token[0].isupper(), doc.known(_letters_after(paste.token).lower())


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


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of text[start:end] plus `WINDOW_WORDS` words either side, within its line."""
    ls, le = _line(text, start, end)
    ls, le = max(ls, start - 200), min(le, end + 200)
    before = [m.start() for m in re.finditer(r"\S+", text[ls:start])]
    after = [m.end() for m in re.finditer(r"\S+", text[end:le])]
    ws = ls + before[-WINDOW_WORDS - 1] if len(before) > WINDOW_WORDS else ls
    we = end + after[WINDOW_WORDS] if len(after) > WINDOW_WORDS else le
    return ws, we


def _margin_needed(text: str, paste: _Paste, value: str) -> float:
    """How much the best reading must beat the next: `WHOLE_WORD_MARGIN` when it invents
    a word of which no letter is seen, `WORD_MARGIN` when it finishes one, 0 for
    punctuation and spaces."""
    head = _letters_before(text, paste.start)
    tail = _letters_after(paste.kept() + text[paste.after :][:40])
    needed = 0.0
    for m in re.finditer(r"[^\W\d_]+", value):
        attached = (m.start() == 0 and head) or (m.end() == len(value) and tail)
        needed = max(needed, WORD_MARGIN if attached else WHOLE_WORD_MARGIN)
    return needed


def _reading(value: str) -> str:
    """What the LM sees of a reading: its letters, with every separator a space."""
    return re.sub(r"[^\w']+", " ", value)


def _prior(text: str, i: int, value: str, after: str) -> float:
    """log10 prior of the punctuation and spaces of a reading, which the LM cannot see.

    `after` is the restored text that follows the reading.
    """
    marks = sum(c in _CLOSING_PUNCT + "-" for c in value)
    if any(c.isalpha() for c in value) or value[-1] not in _CLOSING_PUNCT:
        prior = -PUNCT_COST * marks
    else:
        wanted = "," if _SPEECH_GOES_ON.match(after.lstrip(QUOTES + " ")) else "."
        prior = -0.3 if value[-1] == wanted else -1.5
    around = text[max(i - 1, 0) : i] + value + after[:2]
    if "  " in around or re.search(r" [,.;:!?]|([,.;:])\1|[,.;:!?][\"\u201c\u201d]?[^\W\d_]",
                                   around):
        prior -= 3.0  # a double space, a space before or none after punctuation, doubled
    if value[-1] == " " and after[:1] in QUOTES and after[1:2].isspace():
        prior -= 1.5  # a quote mark standing alone between spaces
    local = _letters_before(text, i) + value + _letters_after(after)
    prior -= 2.0 * len(re.findall(r"(?<![^\W\d_])(?![aiAI])[^\W\d_](?![^\W\d_])", local))
    return prior


# --- candidate readings ----------------------------------------------------------


def _fill_values(text: str, paste: _Paste, doc: _DocVocabulary) -> Iterator[tuple[str, str]]:
    """(value, source) for each way the overwritten characters can be read."""
    i, size, after = paste.start, paste.unknown, paste.after
    head = _letters_before(text, i)
    following = paste.kept() + text[after : after + 40]
    tail = _letters_after(following)
    seen: set[str] = set()
    before = text[i - 1 : i]
    candidates = _expand(head.lower(), tail.lower(), size, doc, first=True,
                         before_space=before.isspace() or not before,
                         whole_tail=len(paste.token) > 1)
    if size == 1 and not tail:
        candidates = itertools.chain(candidates, ((mark, "rule") for mark in _CLOSING_PUNCT))
    acronym = len(head) >= 2 and head.isupper()
    for value, source in candidates:
        if acronym and not doc.counts[(head + _letters_after(value)).lower()]:
            continue  # only the document can say how an acronym goes on
        cased = _cased(value, head, tail, text, i, doc)
        if (cased not in seen and cased.lower() != paste.token[:size].lower()  # a no-op
                and (cased.isalpha() or not paste.split)  # a split cut a letter
                and not _LOOSE_HYPHEN.search(f"{head}{value}{tail}")
                and not (value.endswith(_BARE_MARKS) and following[:1].isalnum())):
            seen.add(cased)
            yield cased, source if any(c.isalpha() for c in value) else "rule"


def _cased(value: str, head: str, tail: str, text: str, i: int, doc: _DocVocabulary) -> str:
    """The reading in the case of its words: letters that go on an ALL-CAPS word are
    capitals; a new word is capitalised where a sentence starts or where the document
    always capitalises it (a name)."""

    def case(m: re.Match[str]) -> str:
        letters, start, end = m.group(), m.start(), m.end()
        before = head if start == 0 else ""
        after = tail if end == len(value) else ""
        attached = before or after
        if len(attached) >= 2 and attached.isupper():
            return letters.upper()
        if before:
            return letters
        word = (letters + after).lower()
        if word in doc.capitalised or _sentence_start(text[:i] + value[:start]):
            return letters[:1].upper() + letters[1:]
        return letters

    return re.sub(r"[^\W\d_]+", case, value)


def _sentence_start(before: str) -> bool:
    """Whether a word written after `before` begins a sentence."""
    before = before.rstrip(" " + QUOTES)
    return not before or before[-1] in ".!?\n"


def _expand(prefix: str, tail: str, size: int, doc: _DocVocabulary, *, first: bool,
            before_space: bool, whole_tail: bool, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Readings of `size` characters that make every word they touch a known word.

    They finish the word `prefix` began, may hold separators and whole words, and
    start the word `tail` ends, or end before it when it is a `whole_tail` (a pasted
    possessive is a word of its own); at most two separators, the second a space.
    """
    if whole_tail:
        if size == 0 and not prefix:
            yield "", "rule"
    else:
        for word, source in _words(prefix, tail, len(prefix) + size + len(tail), doc):
            yield word[len(prefix) : len(prefix) + size], source
    if depth >= 2:
        return
    for used in range(size):
        if prefix or used:
            closers = _words(prefix, "", len(prefix) + used, doc)
        elif first and not before_space:
            closers = iter([("", "rule")])
        else:
            continue
        for word, source in closers:
            piece = word[len(prefix) :]
            for sep in (*_SEPARATORS, *_BARE_MARKS) if depth == 0 else (" ",):
                if size - used - len(sep) < 0 or (
                        sep in _BARE_MARKS and size - used - len(sep) > 0):
                    continue
                for rest, rest_source in _expand("", tail, size - used - len(sep), doc,
                                                 first=False, before_space=sep.endswith(" "),
                                                 whole_tail=whole_tail, depth=depth + 1):
                    yield piece + sep + rest, _stronger(source, rest_source)


def _stronger(a: str, b: str) -> str:
    """The more telling of two evidence sources (the document beats the dictionary)."""
    order = ("document", "dictionary", "rule")
    return min(a, b, key=order.index)


def _words(prefix: str, tail: str, length: int, doc: _DocVocabulary) -> Iterator[tuple[str, str]]:
    """Known lower-case words of `length` starting with `prefix` and ending with `tail`."""
    if length == 0:
        if not prefix and not tail:
            yield "", "rule"
        return
    if length < len(prefix) + len(tail):
        return
    seen = set()
    for word in doc.matching(prefix, tail, length):
        seen.add(word)
        yield word, "document"
    dictionary = _dictionary()
    if prefix:
        candidates = dictionary.starting(prefix, length)
    elif tail:
        candidates = dictionary.ending(tail, length)
    else:
        candidates = dictionary.common(length)
    for word in candidates:
        if word.endswith(tail) and word not in seen:
            yield word, "dictionary"


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


# --- misplaced quote marks -------------------------------------------------------

_OPENS_AFTER = "([{\u2014\u2013-/"
_CLOSES_AFTER = ".,?!;:)%"
_SENTENCE_END = re.compile(r"[.?!:]['\u2019)]?\s+$")
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")
"""Lines up to a blank one: a quote may open on one line of a wrapped paragraph and
close on the next."""
_STOP_OUTSIDE = re.compile(r"(?<=[^\W_])[\"\u201d]([.,])(?=\s|$)")
MAX_LINE_QUOTES = 200
"""Lines with more double quotes are not solved (a table or a list of titles)."""
UNOPENED_COST = 0.005
"""Tie-break against a reading whose paragraph closes a quote it never opened."""
UNCLOSED_COST = 0.05
"""Tie-break against a reading that leaves open a quote the damaged paragraph closed
(above a move's 0.01 a character: "would\" be limited\"." is not mended by opening a
quote at "limited. \"Microsoft" that nothing closes)."""
MISPLACED_RANK = 0.5
"""Below every other paste repair: where one of them explains a mark, it wins."""


def _shape(before: str, after: str) -> str | None:
    """"open" or "close" for a double quote between these characters, by its place
    alone; None between two letters, two spaces or other odd neighbours."""
    if before in " \t\n" or before in _OPENS_AFTER:
        return "open" if after.isalnum() or after in "'\u2018$\u00a3.\u2026(" else None
    if before.isalnum() or before in _CLOSES_AFTER or before in "'\u2019":
        return "close" if after in " \t\n" or after in _CLOSES_AFTER + "\u2014\u2013-" else None
    return None


def _shape_at(line: str, j: int) -> str | None:
    """`_shape` of the mark at `j` where it stands."""
    return _shape(line[j - 1] if j else " ", line[j + 1] if j + 1 < len(line) else " ")


def _quote_options(line: str, j: int, before: str, style_inside: bool, joins: bool
                   ) -> list[tuple[tuple[int, float], str | None, tuple[int, int, str] | None]]:
    """Ways to read the double quote at `j` of `line`, `before` the character now before
    it: ((changes, tiebreak), role, edit); `joins`: whether taking the mark out of the
    word it sits in leaves a known word (`_joins_word`), which a move needs.

    Kept where its place gives it a role (a curly mark must agree); dropped when its
    twin follows within `MAX_SHIFT` characters (a stale copy; free inside a word, where
    the stale-paste rules mend what it overwrote); read as the space it overwrote when
    its twin follows at once after a sentence (`."\"It`); moved 1-`MAX_SHIFT`
    characters on, not past another quote or line break, to a place with a role. A
    closing mark moved before punctuation costs a little more where the document puts
    punctuation inside its quotes. A mark no rule here can read (in a word that it
    does not break, of a split word, of a pair, after a digit: inches) is passed over:
    it neither proves nor needs anything.
    """
    mark = line[j]
    unread: list[tuple[tuple[int, float], str | None, tuple[int, int, str] | None]] = [
        ((0, 0.0), None, None)]
    after = line[j + 1] if j + 1 < len(line) else " "
    twin = line.find(mark, j + 1, j + 2 + MAX_SHIFT)
    glued = before.isalpha() and after.isalpha()
    if before == mark or before.isdigit() or twin >= 0 and _SPLIT_WORD.match(
            line, max(j - len(_letters_before(line, j)), 0)):
        return unread
    if glued and not joins:  # "week"s": only a copy, its twin just on, may go
        return [((0, 0.0), None, (j, j + 1, ""))] if twin >= 0 else unread
    if after == mark:
        return [((1, 0.0), None, (j, j + 1, " "))] if before in ".?!" else unread
    claimed = {"\u201c": "open", "\u201d": "close"}.get(mark)
    options: list[tuple[tuple[int, float], str | None, tuple[int, int, str] | None]] = []
    here = _shape(before, after)
    if here and claimed in (None, here):
        options.append(((0, 0.0), here, None))
    if twin >= 0:
        options.append(((0 if glued else 1, 0.0), None, (j, j + 1, "")))
    for k in range(1, MAX_SHIFT + 1):
        end = j + 1 + k
        if end > len(line) or line[j + k] in QUOTES or line[j + k] == "\n":
            break
        role = _shape(line[j + k], line[end] if end < len(line) else " ")
        if role and claimed in (None, role):
            inside = role == "close" and style_inside and line[end : end + 1] in ",."
            options.append(((1, 0.1 * inside + 0.01 * k), role,
                            (j, end, line[j + 1 : end] + mark)))
    return options


def _punctuation_inside(text: str) -> bool:
    """Whether the document puts a full stop or comma inside a closing quote at least as
    often as outside it (its house style, which quote repairs follow)."""
    return len(re.findall(r"[,.][\"\u201d]", text)) >= len(
        re.findall(r"[\"\u201d][,.]", text))


def _misplaced_quotes(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool],
                      style_inside: bool) -> Iterator[tuple[float, Finding]]:
    """Double quotes whose places break a line's open/close alternation, put right by
    the fewest moves and drops that mend it ("promised\\" the" for "promised \\"the",
    "than \\"that." for "than that.\\""): a mark pasted early, moved or copied, whose
    neighbours do not glue it into a word. The line must have exactly one cheapest
    mending; a new paragraph may reopen a quote that never closed. Marks are counted
    over a paragraph (lines up to a blank one) but never moved across a line break."""
    lm = default_lm()
    inside = True  # the text may begin inside a quote (an excerpt)
    for block in _PARAGRAPH.finditer(text):
        line, offset = block.group(), block.start()
        quotes = [m.start() for m in _DOUBLE.finditer(line)]
        if not quotes:
            continue
        was_inside, inside = inside, _shape_at(line, quotes[-1]) == "open"
        if len(quotes) > MAX_LINE_QUOTES or crowded(offset + quotes[0]) or _protected(
                text, offset + quotes[0]):
            continue
        edits = _mend(line, quotes, style_inside, was_inside,
                      lambda j, at=offset: _joins_word(text, at + j, doc, lm, loose=True))
        for a, b, value in edits or ():
            action = {"": "dropped", " ": "read as the space it overwrote"}.get(value, "moved")
            yield MISPLACED_RANK, _fix(text, offset + a, offset + b, value, 0.7, {
                "rule": "misplaced-quote", "pasted": line[a], "action": action,
                "shift": b - a - 1, "line_quotes": len(quotes)})


def _stops_outside(text: str, crowded: Callable[[int], bool], style_inside: bool
                   ) -> Iterator[tuple[float, Finding]]:
    """A full stop or comma after the closing mark of a quote that opens a sentence
    ("\"... poorer\". An" for "\"... poorer.\" An"): a mark moved one place early,
    where the document puts such punctuation inside (in clean BBC and Reuters news a
    quoted sentence ends outside its quote about once in a hundred)."""
    if not style_inside:
        return
    quotes = [m.start() for m in _DOUBLE.finditer(text)]
    for m in _STOP_OUTSIDE.finditer(text):
        close = m.start()
        line_start, _ = _line(text, close, close)
        k = bisect.bisect_left(quotes, close)
        opening = quotes[k - 1] if k and quotes[k - 1] >= line_start else -1
        if (opening < 0 or text[opening] == "\u201d" or not text[opening + 1].isalnum()
                or not _sentence_start(text[line_start:opening])
                or crowded(close) or _protected(text, close)):
            continue
        yield MISPLACED_RANK, _fix(text, close, close + 2, m.group(1) + text[close], 0.6, {
            "rule": "stop-outside-quote", "pasted": text[close], "action": "moved",
            "shift": 1})


def _mend(line: str, quotes: Sequence[int], style_inside: bool, inside: bool,
          joins: Callable[[int], bool]) -> list[tuple[int, int, str]] | None:
    """The edits of the one cheapest reading of `line`'s quotes that alternates, or None
    when the line already alternates, none does, or two tie. Only a mark that breaks
    the alternation with a neighbour, or has no role where it stands, may change: a
    mark that is wrong only by the count of the line (an opening quote lost far before)
    is left alone. `inside`: the paragraph may begin inside a quote (the text's first,
    or one after a paragraph whose last mark opened). `joins(j)`: `_joins_word` for the
    mark at `j`, asked only of marks that may change (a mark in a word has no role, so
    it always may)."""
    start = "inside" if inside else None
    shapes = [_shape_at(line, j) for j in quotes]
    suspect = [shape is None for shape in shapes]
    for k, (j, shape) in enumerate(zip(quotes, shapes, strict=True)):
        last = shapes[k - 1] if k else start
        if shape and not _follows(last, shape, line[max(j - 4, 0) : j]):
            suspect[k] = True
            if k:
                suspect[k - 1] = True
    if not any(suspect):
        return None
    # state: the role of the last mark kept, and how this mark was edited (which the
    # next mark's place may depend on) -> (cost, tied, edits)
    Edit = tuple[int, int, str]
    best: dict[tuple[str | None, Edit | None], tuple[tuple[int, float], bool, list[Edit]]] = {
        (start, None): ((0, 0.0), False, [])}
    for j, may_change in zip(quotes, suspect, strict=True):
        joined = may_change and joins(j)
        nxt: dict[tuple[str | None, Edit | None], tuple[tuple[int, float], bool, list[Edit]]] = {}
        for (last, _), (cost, tied, edits) in best.items():
            context = line[max(j - 4, 0) : j]
            if edits and edits[-1][1] == j:  # the mark before was moved or dropped
                a, _, value = edits[-1]
                context = line[max(a - 4, 0) : a] + value
            before = context[-1:] or " "
            for extra, role, edit in _quote_options(line, j, before, style_inside, joined):
                if edit and (not may_change or edits and edit[0] < edits[-1][1]):
                    continue  # a sound mark, or overlapping the previous mark's move
                now = context + line[j + 1 : edit[1]] if edit else context
                if role and not _follows(last, role, now[-4:]) or (
                        edit and role == "close" and last == "inside"):
                    continue  # (a mark is not moved on the guess that a quote was open)
                state = (role if role else last, edit)
                unopened = UNOPENED_COST if role == "close" and last == "inside" else 0.0
                total = (cost[0] + extra[0], round(cost[1] + extra[1] + unopened, 6))
                new = (total, tied, edits + [edit] if edit else edits)
                if state not in nxt or total < nxt[state][0]:
                    nxt[state] = new
                elif total == nxt[state][0] and new[2] != nxt[state][2]:
                    nxt[state] = (total, True, nxt[state][2])
        if not nxt:
            return None
        best = nxt
    if shapes[-1] != "open":
        best = {state: ((cost[0], round(cost[1] + UNCLOSED_COST * (state[0] == "open"), 6)),
                        tied, edits)
                for state, (cost, tied, edits) in best.items()}
    cost, tied, edits = min(best.values(), key=lambda v: v[0])
    if tied or sum(1 for v in best.values() if v[0] == cost and v[2] != edits) or not edits:
        return None
    return edits


def _follows(last: str | None, role: str, before: str) -> bool:
    """Whether a mark of `role` after the characters `before` may follow one of role
    `last` (None: the paragraph's first; "inside": first, and a quote may be open): a
    close an open, or "inside"; an open a close, or an open that never closed when a new
    sentence begins (a quoted speech going on into a new paragraph)."""
    if role == "close":
        return last in ("open", "inside")
    return last != "open" or bool(_SENTENCE_END.search(before))


@lru_cache(maxsize=1 << 16)
def _trigram(lm: NGramLM, word: str, history: tuple[str, ...]) -> float:
    """`lm.logprob`, cached: the readings of one place share most of their words."""
    return lm.logprob(word, history)


def _quote_errors(line: str) -> int:
    """Double quotes that break the open/close alternation of a line, or sit in a word."""
    errors = 0
    inside = False
    for m in _DOUBLE.finditer(line):
        role = _role(line, m.start())
        if role in ("glued", "loose") or (role == "open") == inside:
            errors += 1
        else:
            inside = not inside
    return errors


def _role(text: str, j: int) -> str:
    """"open", "close", "glued" (between letters) or "loose" for the double quote at `j`."""
    before = text[j - 1] if j > 0 else " "
    after = text[j + 1] if j + 1 < len(text) else " "
    if before.isalnum() and after.isalnum():
        return "glued"
    if before.isspace() and after.isspace():
        return "loose"
    if text[j] == "\u201c":
        return "open"
    if text[j] == "\u201d":
        return "close"
    if before.isspace() or before in "([{\u2014\u2013-/":
        return "open"
    return "open" if after.isalnum() else "close"
