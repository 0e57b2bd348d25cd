"""Judging stale pastes: each candidate's readings scored by the LM, kept only when one
clearly wins."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from unspin.core.lm import default_lm
from unspin.core.records import Finding, Replacement
from unspin.repair.common import (
    _CLOSING_PUNCT,
    _SPEECH_GOES_ON,
    ALTERNATIVES,
    DOUBLE_QUOTES,
    MIN_GAIN,
    NO_RIVAL_MARGIN,
    POSSESSIVE_RANK,
    PUNCT_COST,
    QUOTES,
    STRUCTURE_WEIGHT,
    WHOLE_WORD_MARGIN,
    WINDOW_WORDS,
    WORD_MARGIN,
    _letters_after,
    _letters_before,
    _line,
    _Paste,
)
from unspin.repair.quotes import _quote_errors
from unspin.repair.readings import _fill_values
from unspin.repair.vocabulary import _DocVocabulary, _lm_score, _words_of


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
