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
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import ftfy
from pocketsphinx import get_model_path

from unspin.lm import NGramLM, default_lm
from unspin.records import Finding, Replacement, apply_findings

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

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False,
    fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
    remove_control_chars=False, normalization=None, explain=False)

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_POSSESSIVE_END = re.compile(r"(?<=[^\W\d_])['\u2019]s")
_CODE_LINE = re.compile(r"[{}=`\\<>]|[A-Za-z_]\w*\(|^(?: {4}|\t)")
_URL = re.compile(r"\S*(?:https?://|www\.|\w\.\w+/)\S*")

COMMON_LOGPROB = -5.0
"""Unigram log10 floor for a word the repair may invent whole (no letter of it seen)."""
KNOWN_LOGPROB = -6.5
"""Unigram log10 floor for dictionary words that complete a partial word."""
OOV_LOGPROB = -7.0
DOC_WORD_LOGPROB = -4.0
"""What a word the LM does not know scores when the document uses it elsewhere."""
DOC_BONUS = 1.0
"""log10 bonus per repaired word that the document uses intact elsewhere."""
STRUCTURE_WEIGHT = 2.0
"""log10 cost of each quote that breaks the open/close alternation of its paragraph."""
MIN_GAIN = 1.5
"""Evidence (log10) a quote must add by being called pasted before it is repaired."""
WORD_MARGIN = 1.0
"""How much better (log10) the best recovery must score than the next before letters
are invented; below it a possessive is still moved back, with lower confidence."""
WINDOW_WORDS = 3
"""Words of context on each side of a damaged stretch that the LM reads."""

_SEPARATORS = (" ", ", ", ". ", "-", "; ", ": ")
_CLOSING_PUNCT = ",.?!;:"


@dataclass(frozen=True, slots=True)
class _Paste:
    """A candidate stale paste: `token` pasted at `start`, `shift` characters early."""

    start: int
    shift: int
    token: str

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


@dataclass(frozen=True, slots=True)
class _Fill:
    """One reading of the overwritten characters and its score (log10)."""

    value: str
    score: float
    source: str


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
    """The candidates that overlap none of `taken` (nor each other, first come first)."""
    kept: list[Finding] = []
    for f in candidates:
        if all(f.end <= t.offset or f.offset >= t.end for t in (*taken, *kept)):
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
    return Finding(start, end - start, text[start:end], "residue", conf,
                   (Replacement("", conf),), {"source": "repair", "rule": rule})


# --- mojibake --------------------------------------------------------------------


def _mojibake(text: str) -> list[Finding]:
    """ftfy's encoding fixes, one finding per changed word, offsets into `text`."""
    findings: list[Finding] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if not line.isascii():
            fixed = ftfy.fix_text(line, _FTFY)
            for a1, a2, b1, b2 in _changed_words(line, fixed):
                conf = 0.95
                findings.append(Finding(
                    offset + a1, a2 - a1, line[a1:a2], "mechanical", conf,
                    (Replacement(fixed[b1:b2], conf),),
                    {"source": "repair", "rule": "mojibake", "fixer": f"ftfy {ftfy.__version__}"}))
        offset += len(line)
    return findings


def _changed_words(a: str, b: str) -> list[tuple[int, int, int, int]]:
    """Spans of `a` that differ from `b`, widened to whole words, with their `b` spans."""
    ops = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
           if op[0] != "equal"]
    spans: list[tuple[int, int, int, int]] = []
    for _, a1, a2, b1, b2 in ops:
        while a1 > 0 and b1 > 0 and not a[a1 - 1].isspace() and a[a1 - 1] == b[b1 - 1]:
            a1, b1 = a1 - 1, b1 - 1
        while a2 < len(a) and b2 < len(b) and not a[a2].isspace() and a[a2] == b[b2]:
            a2, b2 = a2 + 1, b2 + 1
        if spans and a1 <= spans[-1][1]:
            a1, b1 = spans[-1][0], spans[-1][2]
            spans.pop()
        spans.append((a1, a2, b1, b2))
    return spans


# --- stale pastes ----------------------------------------------------------------


def _pastes(text: str) -> list[Finding]:
    """Findings for stale pastes of quote marks and possessives, best evidence first."""
    scored: list[tuple[float, Finding]] = []
    doc: _DocVocabulary | None = None
    for group in _paste_candidates(text):
        doc = doc or _DocVocabulary(text)
        best = _best_repair(text, group, doc)
        if best is not None:
            scored.append(best)
    scored.sort(key=lambda pair: -pair[0])
    return _free([f for _, f in scored], [])


def _paste_candidates(text: str) -> Iterator[list[_Paste]]:
    """Groups of alternative explanations, one group per suspicious place."""
    yield from _quote_candidates(text)
    yield from _possessive_candidates(text)


def _quote_candidates(text: str) -> Iterator[list[_Paste]]:
    """A quote mark with a twin 1-6 characters later: the first may be a stale copy."""
    for i, char in enumerate(text):
        if char not in QUOTES:
            continue
        group = [_Paste(i, k, char) for k in range(1, MAX_SHIFT + 1)
                 if text[i + k : i + k + 1] == char and "\n" not in text[i : i + k]]
        if group and not _protected(text, i):
            yield group


def _possessive_candidates(text: str) -> Iterator[list[_Paste]]:
    """A possessive followed by its own last 1-6 characters ("Ireland'sd's")."""
    for m in _POSSESSIVE_END.finditer(text):
        end = m.end()
        run_start = end - 2
        while run_start > 0 and text[run_start - 1].isalpha():
            run_start -= 1
        group = []
        for k in range(1, MAX_SHIFT + 1):
            tail = text[end : end + k]
            if len(tail) < k or tail != text[end - k : end] or text[end + k : end + k + 1].isalnum():
                continue
            group += [_Paste(i, k, text[i:end]) for i in range(run_start, end - 2)
                      if end - i > k and _token_start_ok(text, i, run_start)]
        if group and not _protected(text, m.start()):
            yield group


def _token_start_ok(text: str, i: int, run_start: int) -> bool:
    """Whether a pasted possessive may begin at `i`: a word start or a capital letter."""
    return i == run_start or text[i].isupper() or not text[i - 1].isupper()


def _protected(text: str, i: int) -> bool:
    """Whether position `i` is in code or a URL, where quotes mean something else."""
    line_start = text.rfind("\n", 0, i) + 1
    line_end = text.find("\n", i)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if _CODE_LINE.search(line):
        return True
    return any(m.start() <= i - line_start < m.end() for m in _URL.finditer(line))


def _best_repair(text: str, group: Sequence[_Paste], doc: _DocVocabulary) -> tuple[
        float, Finding] | None:
    """The best-supported repair among a group's candidates, with its gain, or None."""
    best: tuple[float, Finding] | None = None
    for paste in group:
        result = _judge(text, paste, doc)
        if result is not None and (best is None or result[0] > best[0]):
            best = result
    return best


def _judge(text: str, paste: _Paste, doc: _DocVocabulary) -> tuple[float, Finding] | None:
    """Score the readings of one candidate; the finding it supports, or None."""
    lm = default_lm()
    i, u = paste.start, paste.unknown
    head = _letters_before(text, i)
    rest = paste.kept() + text[i + len(paste.token) :]
    tail = _letters_after(rest)
    ws, we = _window(text, i, paste.end)
    damaged = _score_text(text[ws:we], lm, doc, (i - ws, i - ws + len(paste.token)), text, ws)
    local_rest = paste.kept() + text[i + len(paste.token) : we]
    fills = []
    for value, source in _fill_values(text, i, head, tail, u, paste, doc):
        restored = text[ws:i] + value + local_rest
        score = _score_text(restored, lm, doc, (i - ws, i - ws + len(value)), text, ws)
        fills.append(_Fill(value, score + _prior(text, i, value, local_rest), source))
    fills.sort(key=lambda f: -f.score)
    possessive = len(paste.token) > 1
    if not fills:
        return _fallback(text, paste, head) if possessive else None
    top = fills[0]
    gain = top.score - damaged
    margin = top.score - fills[1].score if len(fills) > 1 else 3.0
    if not possessive and gain < MIN_GAIN:
        return None
    invents = any(c.isalpha() for c in top.value)
    if invents and margin < WORD_MARGIN:
        return _fallback(text, paste, head) if possessive else None
    conf = round(min(0.99, 0.5 + 0.45 * (1.0 - 10.0 ** -margin)), 2)
    start = i - len(head)
    value = text[start:i] + top.value + paste.kept() + text[i + len(paste.token) : paste.end]
    evidence: dict[str, Any] = {
        "source": "repair", "rule": "stale-paste", "pasted": paste.token,
        "shift": paste.shift, "overwritten": top.value, "recovered_from": top.source,
        "gain_log10": round(gain, 3), "margin_log10": round(min(margin, 9.99), 3),
        "alternatives": [f.value for f in fills[1:4]],
    }
    finding = Finding(start, paste.end - start, text[start : paste.end], "mechanical", conf,
                      (Replacement(value, conf),), evidence)
    return gain + 10.0 * possessive, finding


def _fallback(text: str, paste: _Paste, head: str) -> tuple[float, Finding]:
    """Move a possessive back without inventing the characters it overwrote."""
    conf = 0.5
    start = paste.start - len(head)
    value = head + (" " if head else "") + paste.kept() + text[
        paste.start + len(paste.token) : paste.end]
    evidence = {"source": "repair", "rule": "stale-paste", "pasted": paste.token,
                "shift": paste.shift, "overwritten": None, "recovered_from": None}
    return 0.0, Finding(start, paste.end - start, text[start : paste.end], "mechanical", conf,
                        (Replacement(value, conf),), evidence)


def _letters_before(text: str, i: int) -> str:
    start = i
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:i]


def _letters_after(text: str) -> str:
    end = 0
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[:end]


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the stretch plus `WINDOW_WORDS` words either side (same line)."""
    ws = start
    for _ in range(WINDOW_WORDS + 1):
        ws = max(text.rfind(" ", 0, max(ws - 1, 0)), text.rfind("\n", 0, max(ws - 1, 0))) + 1
        if ws == 0:
            break
    we = end
    for _ in range(WINDOW_WORDS + 1):
        nxt = [p for p in (text.find(" ", we + 1), text.find("\n", we + 1)) if p >= 0]
        we = min(nxt) if nxt else len(text)
    return ws, we


def _prior(text: str, i: int, value: str, after: str) -> float:
    """log10 prior of a punctuation or space reading, which the LM cannot see."""
    if not value or any(c.isalpha() for c in value):
        return 0.0
    prior = 0.0
    if value[-1] in _CLOSING_PUNCT:
        nxt = after.lstrip(QUOTES + " ")
        wanted = "," if nxt[:1].islower() else "."
        prior -= 0.3 if value[-1] == wanted else 1.5
    if value[0] == " " and text[i - 1 : i].isspace():
        prior -= 3.0
    return prior


# --- candidate readings ----------------------------------------------------------


def _fill_values(text: str, i: int, head: str, tail: str, size: int, paste: _Paste,
                 doc: _DocVocabulary) -> Iterator[tuple[str, str]]:
    """(value, source) for each way `size` characters can stand between head and tail."""
    seen: set[str] = set()
    for value, source in _fills(head, tail, size, doc, text[i - 1 : i]):
        cased = _cased(value, head, tail, text, i)
        if cased not in seen:
            seen.add(cased)
            yield cased, source
    if size == 1 and not tail:
        for mark in _CLOSING_PUNCT:
            if mark not in seen:
                yield mark, "rule"


def _cased(value: str, head: str, tail: str, text: str, i: int) -> str:
    """The reading in the case of the letters around it (ALL CAPS stays upper)."""
    around = head + tail
    if len(around) >= 2 and around.isupper():
        return value.upper()
    if not head and value[:1].isalpha() and _sentence_start(text, i):
        return value[:1].upper() + value[1:]
    return value


def _sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip(" " + QUOTES)
    return not before or before[-1] in ".!?\n"


def _fills(head: str, tail: str, size: int, doc: _DocVocabulary,
           before: str) -> Iterator[tuple[str, str]]:
    """Readings of `size` characters that make every word they touch a known word.

    The overwritten stretch finishes the word `head` began (its letters just before),
    may hold separators and whole words, and starts the word `tail` ends.
    """
    yield from _expand(head.lower(), tail.lower(), size, doc, first=True,
                       before_space=before.isspace() or not before)


def _expand(prefix: str, tail: str, size: int, doc: _DocVocabulary, *, first: bool,
            before_space: bool, depth: int = 0) -> Iterator[tuple[str, str]]:
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
            for sep in _SEPARATORS:
                left = size - used - len(sep)
                if left < 0:
                    continue
                for rest, rest_source in _expand("", tail, left, doc, first=False,
                                                 before_space=sep.endswith(" "),
                                                 depth=depth + 1):
                    yield piece + sep + rest, _stronger(source, rest_source)
    if size >= 1 and not tail and (prefix or not first):
        for word, source in _words(prefix, "", len(prefix) + size - 1, doc):
            for mark in _CLOSING_PUNCT:
                yield word[len(prefix) :] + mark, source


def _stronger(a: str, b: str) -> str:
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
    """Lower-case words of the CMU dictionary that the pocketsphinx LM knows.

    Both ship with `pocketsphinx`, so the repair needs no data of its own.
    """

    def __init__(self, lm: NGramLM) -> None:
        words = set()
        with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as handle:
            for line in handle:
                word = line.split(" ", 1)[0]
                if "(" not in word and _WORD.fullmatch(word) and lm.known(word):
                    words.add(word)
        unigram = {w: lm.logprob(w, ()) for w in words}
        self._known = sorted(w for w in words if unigram[w] >= KNOWN_LOGPROB)
        self._reversed = sorted(w[::-1] for w in self._known)
        self._common: dict[int, list[str]] = {}
        for w in sorted(words, key=lambda w: -unigram[w]):
            if unigram[w] >= COMMON_LOGPROB and (len(w) > 1 or w in ("a", "i")):
                self._common.setdefault(len(w), []).append(w)

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
        """Frequent words of `length` (the only ones invented with no letter seen)."""
        return self._common.get(length, [])


@cache
def _dictionary() -> _Dictionary:
    return _Dictionary(default_lm())


class _DocVocabulary:
    """The document's own words: a name written intact elsewhere restores a broken one."""

    def __init__(self, text: str) -> None:
        self.counts: Counter[str] = Counter(w.lower().replace("\u2019", "'")
                                            for w in _WORD.findall(text))

    def matching(self, prefix: str, tail: str, length: int) -> list[str]:
        """Document words of `length` with this prefix and ending, seen at least once."""
        return [w for w in self.counts
                if len(w) == length and w.startswith(prefix) and w.endswith(tail)
                and len(w) >= 3]


def _score_text(window: str, lm: NGramLM, doc: _DocVocabulary, changed: tuple[int, int],
                text: str, offset: int) -> float:
    """LM log10 of the window's words, plus the quote-structure cost and document bonus.

    `changed` bounds (in the window) the characters being judged; words touching them
    get the document bonus when the document uses them intact elsewhere.
    """
    total = 0.0
    history: list[str] = []
    for m in _WORD.finditer(window):
        word = m.group().lower().replace("\u2019", "'")
        logprob = lm.logprob(word, history)
        touched = m.start() < changed[1] and changed[0] <= m.end()
        if touched and doc.counts[word] > int(word in text[offset + m.start():
                                                           offset + m.end()].lower()):
            logprob = max(logprob, DOC_WORD_LOGPROB) + DOC_BONUS * (len(word) > 3)
        total += logprob
        history.append(word)
    return total - STRUCTURE_WEIGHT * _quote_errors(window)


def _quote_errors(window: str) -> int:
    """Double quotes that break the open/close alternation (or sit inside a word)."""
    errors = 0
    inside: bool | None = None
    for j, char in enumerate(window):
        if char not in DOUBLE_QUOTES:
            continue
        role = _role(window, j)
        if role == "glued":
            errors += 1
            continue
        if inside is None:
            inside = role == "close"  # the window may start inside a quotation
        if (role == "open") == inside:
            errors += 1
        else:
            inside = not inside
    return errors


def _role(text: str, j: int) -> str:
    """"open", "close" or "glued" (between letters) for the double quote at `j`."""
    before = text[j - 1] if j > 0 else " "
    after = text[j + 1] if j + 1 < len(text) else " "
    if before.isalnum() and after.isalnum():
        return "glued"
    if text[j] == "\u201c":
        return "open"
    if text[j] == "\u201d":
        return "close"
    if before.isspace() or before in "([{\u2014\u2013-/":
        return "open"
    return "close" if not after.isalnum() else "open"
