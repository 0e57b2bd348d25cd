"""Stale pastes: quote marks and possessives pasted back a few characters early, found
as candidates."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterator

from unspin.core.lm import NGramLM, default_lm
from unspin.core.records import Finding
from unspin.repair.common import (
    _CONTRACTION_TAILS,
    _EMPTIED,
    _ESCAPED_OPEN,
    _GLUED_POSSESSIVE,
    _GLUED_QUOTE,
    _INNER_APOSTROPHE,
    _POSSESSIVE_END,
    _QUOTE,
    _SPLIT_WORD,
    _WHOLE_POSSESSIVE,
    APOSTROPHES,
    MAX_MARKS_PER_KCHAR,
    MAX_SHIFT,
    MIN_GAIN,
    NO_RIVAL_MARGIN,
    POSSESSIVE_RANK,
    QUOTES,
    SINGLE_QUOTES,
    _fix,
    _free,
    _letters_after,
    _letters_before,
    _line,
    _Paste,
    _protected,
)
from unspin.repair.judge import _judge, _window
from unspin.repair.quotes import (
    _misplaced_quotes,
    _pairing,
    _pdf_quotes,
    _punctuation_inside,
    _quote_errors,
    _shape_at,
)
from unspin.repair.vocabulary import (
    _common,
    _dictionary,
    _DocVocabulary,
    _joins_word,
    _lm_score,
    _words_of,
)

MIN_WHOLE_WORD = 3
"""Shorter words beside a quote may be what a stale copy left of a longer one ("ye\"."
for "yet.")."""


def _pastes(text: str) -> list[Finding]:
    """Findings for stale pastes of quote marks and possessives, surest first."""
    judged: list[tuple[float, Finding]] = []
    doc = _DocVocabulary(text)
    crowded = _crowding(text)
    stand_ins = _pdf_quotes(text)
    for group in _paste_candidates(text, doc, crowded, stand_ins):
        result = _judge(text, group, doc)
        if result is not None:
            judged.append(result)
    judged += _split_words(text, doc)
    judged += _glued_quotes(text, doc, crowded, stand_ins)
    judged += _doubled_possessives(text, doc, crowded)
    judged += _moved_possessives(text, doc, crowded)
    judged += _moved_apostrophes(text, doc, crowded)
    style_inside = _punctuation_inside(text)
    judged += _misplaced_quotes(text, doc, crowded, style_inside, stand_ins)
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


def _paste_candidates(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool],
                      stand_ins: bool) -> Iterator[list[_Paste]]:
    """Groups of alternative explanations, one group per suspicious place outside
    crowded stretches (`stand_ins`: `_pdf_quotes` of the text)."""
    yield from _quote_candidates(text, crowded, stand_ins)
    yield from _possessive_candidates(text, doc, crowded)


def _quote_candidates(text: str, crowded: Callable[[int], bool], stand_ins: bool
                      ) -> Iterator[list[_Paste]]:
    """A quote mark with a twin 1-6 characters later: the first may be a stale copy.

    A single quote is only suspected inside a word that is not a known word
    ("res'lt", not "don't" or "O'Gara"): elsewhere it is too often an apostrophe.
    """
    escaped = _ESCAPED_OPEN.search(text) is not None
    one_sided = "\u201c" not in text  # the closing curly mark types both ends
    paired = _pairing(text)
    for m in _QUOTE.finditer(text):
        i, char = m.start(), m.group()
        if stand_ins and char == '"':
            continue
        if char * 3 in text[max(i - 2, 0) : i + 3] or crowded(i):
            continue  # a run of three (a docstring), or no prose around: never a stale copy
        if escaped and char == '"' and '""' in text[max(i - 1, 0) : i + 2]:
            continue  # quotes escaped by doubling, as CSV does ('""break the ice""')
        if text[i + 1 : i + 2] in (":", ";") and text[i + 2 : i + 3] == char:
            continue  # a colon set in quotes ('contributions\u201d:\u201d A'): typography
        split = text[i + 1 : i + 2] == " " and (text[i - 1 : i].isalpha()
                                                 or text[i - 1 : i] == " ")
        group = [_Paste(i, k, char, cut) for cut in ((False, True) if split else (False,))
                 for k in range(1 + cut, MAX_SHIFT + 1 + cut)
                 if text[i + k : i + k + 1] == char and "\n" not in text[i : i + k]]
        if not group or _protected(text, i) or _unrecoverable(text, i):
            continue
        if char == '"' and _unit_or_quoted(text, i, group[0].shift, paired):
            continue
        if char in SINGLE_QUOTES and not _broken_word(text, i):
            continue
        if one_sided and char == "\u201d" and _closes_before_an_opening(
                text, i, group[0].shift):
            continue
        yield group


def _unit_or_quoted(text: str, i: int, shift: int, paired: Callable[[int], bool]) -> bool:
    """Whether the straight double quote at `i` and its twin `shift` on are inch or
    second marks after numbers (`30" + 150"`), mark a word quoted in parentheses
    (`("n")`), or belong to a paragraph whose marks pair up where they stand (`paired`,
    from `_pairing`) with the mark at `i` beside a whole known word: marks as written,
    no stale copy (a copy that overwrote a letter leaves "possible \"ime,\"")."""
    twin = i + shift
    word = _letters_before(text, i) or _letters_after(text[i + 1 :])
    return (text[i - 1 : i].isdigit() and text[twin - 1 : twin].isdigit()
            or text[i - 1 : i] == "(" and text[twin + 1 : twin + 2] == ")"
            and text[i + 1 : twin].isalpha()
            or len(word) >= MIN_WHOLE_WORD and default_lm().known(word.lower())
            and paired(i))


def _closes_before_an_opening(text: str, i: int, shift: int) -> bool:
    """Whether the quote at `i` ends a whole word and its twin `shift` on, past other
    words, opens the next quote (`\u201din-domain\u201d and \u201dout-of-domain\u201d`, in
    a text that types the closing curly mark at both ends): a closing mark and an opening
    one, both where they belong, not a stale copy. (A copy that lands on a
    word's last letter leaves a word nobody writes before it, `domai" and "in`, or a
    letter, `s" id. "It`.)"""
    if _shape_at(text, i + shift) != "open":
        return False
    before, after = text[i - 1 : i], text[i + 1 : i + 2]
    if not before or before.isspace() or after.isalnum():
        return False  # a loose mark ("Blair \" aid") or one in a word: maybe a copy
    if not any(c.isalnum() for c in text[i + 1 : i + shift]):
        return False  # only a space between ("decision\" \"It"): the mark overwrote a stop
    head = _letters_before(text, i)
    return not head or len(head) > 1 and default_lm().known(
        head.lower().replace("\u2019", "'"))


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


def _glued_quotes(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool],
                  stand_ins: bool) -> Iterator[tuple[float, Finding]]:
    """A double quote between two letters whose removal joins a known word ("resu"lt,"
    for "result,""): the mark was pasted early without overwriting anything. With its
    twin 1-6 characters on it is a copy and goes; without one it was moved, and goes
    back after the word and its punctuation (closing) or before the next word
    (opening), whichever alone mends the line's open/close alternation. `stand_ins`:
    `_pdf_quotes` of the text."""
    lm = default_lm()
    for m in _GLUED_QUOTE.finditer(text):
        i, mark = m.start(), m.group()
        if stand_ins and mark == '"':
            continue  # an apostrophe in a PDF's fonts ("aren\"t")
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
    where the LM reads the stretch best with one space between words. Only with that
    physical trace (the empty place, letters glued on): a word the dictionary does not
    know is most often a name ("Spearman's rho")."""
    lm = default_lm()
    for m in _GLUED_POSSESSIVE.finditer(text):
        word, first = m.group(1), m.start()
        glued_on = m.end() > m.end(1)  # "England's" + "to  training"
        line_end = text.find("\n", m.end(1))
        rest = text[m.end(1) : min(m.end(1) + MAX_SHIFT + 12,
                                   len(text) if line_end < 0 else line_end)]
        emptied = _EMPTIED.match(rest) is not None
        if not (glued_on or emptied) or crowded(first):
            continue  # no hole, nothing glued on: a rare name's possessive ("Spearman's ρ")
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
