"""Misplaced quote marks: a paragraph's double quotes must alternate open/close; the
fewest moves that mend it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from unspin.core.lm import default_lm
from unspin.core.records import Finding
from unspin.repair.common import (
    _DOUBLE,
    _ESCAPED_OPEN,
    _SPLIT_WORD,
    MAX_SHIFT,
    QUOTES,
    _fix,
    _letters_before,
    _protected,
)
from unspin.repair.vocabulary import _DocVocabulary, _joins_word

_OPENS_AFTER = "([{\u2014\u2013-/"
_CLOSES_AFTER = ".,?!;:)]%"
_SENTENCE_END = re.compile(r"[.?!:]['\u2019)]?\s+$")
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")
"""Lines up to a blank one: a quote may open on one line of a wrapped paragraph and
close on the next."""
_AS_APOSTROPHE = re.compile(r"[^\W_]\"(s|t|ll|re|ve|d|m)\b")
"""A double quote where an apostrophe belongs ("user\"s", "don\"t"): text extracted
from a PDF whose fonts map the apostrophe to a double quote."""
_AS_PLURAL_APOSTROPHE = re.compile(r"[^\W\d_]s\"(?= [^\W\d_])")
"""A double quote after a plural, before a word ("players\" valuations"): the plural's
possessive apostrophe in such a PDF, where no quote is open before it."""
_MIXED_PAIR = re.compile("\u2018[^\"\u2018\u2019\n]{1,80}\"")
"""An opening single curly mark closed by a straight double one ("\u2018weak rankers\""):
a PDF extraction's fonts, not a paste."""
APOSTROPHE_QUOTES = 2
APOSTROPHE_SHARE = 0.1
"""Documents with this many, and this share of their double quotes, are not mended:
their double quotes are also apostrophes ("the nodes\" locations"), which no
alternation of quotes explains. (A stale copy in a word can look the same, "use\"s"
for "users", but a few among many real quotes.)"""
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
    if before in "\u2014\u2013" and (after in " \t\n" or after in _CLOSES_AFTER):
        return "close"  # a quote broken off by a dash ("France is \u2014".)
    if before in " \t\n" or before in _OPENS_AFTER:
        if after.isalnum() or after in "'\u2018$\u00a3.\u2026([_*":  # "_emphasis_"
            return "open"
        # a quoted symbol or mark of another script ("-8 -f", "@+100", "\u3001")
        return "open" if not (after.isspace() or after in QUOTES or after in _CLOSES_AFTER
                              or after in "\u2014\u2013\u2026}>") else None
    if (before.isalnum() or before in _CLOSES_AFTER or before in "'\u2019_*"
            or not (before.isascii() or before.isspace() or before in QUOTES)):
        if after in " \t\n" or after in _CLOSES_AFTER + "\u2014\u2013-":
            return "close"
        # a footnote or a reference after the quote ("language\"3", "medicine.\"4",
        # "dimension\"(p.8)")
        return "close" if (before.isalpha() and (after.isdigit() or after in "([")
                           or before in ".?!" and after.isdigit()) else None
    return None


def _shape_at(line: str, j: int) -> str | None:
    """`_shape` of the mark at `j` where it stands."""
    return _shape(line[j - 1] if j else " ", line[j + 1] if j + 1 < len(line) else " ")


def _quote_options(line: str, j: int, before: str, style_inside: bool, joins: bool,
                   settled: bool
                   ) -> list[tuple[tuple[int, float], str | None, tuple[int, int, str] | None]]:
    """Ways to read the double quote at `j` of `line`, `before` the character now before
    it: ((changes, tiebreak), role, edit); `joins`: whether taking the mark out of the
    word it sits in leaves a known word (`_joins_word`), which a move needs.

    Kept where its place gives it a role (a curly mark must agree); dropped when its
    twin follows within `MAX_SHIFT` characters (a stale copy; free inside a word, where
    the stale-paste rules mend what it overwrote), but not a known word's opening mark
    in a `settled` paragraph (`"fake"`, where a quote runs on); read as the space it overwrote when
    its twin follows at once after a sentence (`."\"It`); moved 1-`MAX_SHIFT`
    characters on, not past another quote or line break, to a place with a role. A
    closing mark moved before punctuation costs a little more where the document puts
    punctuation inside its quotes. A mark no rule here can read (in a word that it
    does not break, of a split word, of a pair, after a digit: inches; before two
    digits: '05; by a colon between two marks) is passed over: it neither proves nor
    needs anything. Where no place gives it a role, a mark with a typist's stray or
    missing space beside it and no twin may stand for either role.
    """
    mark = line[j]
    unread: list[tuple[tuple[int, float], str | None, tuple[int, int, str] | None]] = [
        ((0, 0.0), None, None)]
    after = line[j + 1] if j + 1 < len(line) else " "
    twin = line.find(mark, j + 1, j + 2 + MAX_SHIFT)
    glued = before.isalpha() and after.isalpha()
    year = after.isdigit() and line[j + 2 : j + 3].isdigit() and not line[j + 3 : j + 4].isdigit()
    colon = (line[j + 1 : j + 2] in (":", ";") and line[j + 2 : j + 3] == mark
             or j >= 2 and line[j - 1] in ":;" and line[j - 2] == mark)  # "\u201d:\u201d"
    if before == mark or before.isdigit() or year or colon or twin >= 0 and _SPLIT_WORD.match(
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
    elif twin < 0 and ((before in " \t" and after in " \t\n")
                       or (before in ".?!:," and after.isalpha())):
        # a typist's stray or missing space ("months, \" he", "read:\"We"): either role
        options += [((0, 0.0), role, None) for role in ("open", "close")
                    if claimed in (None, role)]
    if twin >= 0 and not (settled and here == "open" and _shape_at(line, twin) == "close"
                          and default_lm().known(line[j + 1 : twin].lower())):
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


def _apostrophe_quotes(text: str) -> int:
    """Double quotes typed for an apostrophe: a known contraction ("don\"t"), a known
    word's or a number's possessive ("user\"s", "1990\"s"), a plural's possessive before
    a word with no quote open before it in its paragraph ("players\" valuations").
    A mark with a twin `MAX_SHIFT` characters on is not counted: a stale copy, which
    may land in a word and leave a stem someone writes ("sa\"d: \"", "hom\"s\"")."""
    lm = default_lm()
    count = 0
    for m in _AS_APOSTROPHE.finditer(text):
        j, tail = m.start() + 1, m.group(1)
        if '"' in text[j + 1 : j + 1 + MAX_SHIFT]:
            continue
        stem = _letters_before(text, j).lower()
        count += (tail == "s" and (text[j - 1].isdigit() or len(stem) > 1 and lm.known(stem))
                  or len(stem) > 1 and lm.known(f"{stem}'{tail}"))
    for m in _AS_PLURAL_APOSTROPHE.finditer(text):
        j = m.end() - 1
        if '"' in text[j + 1 : j + 1 + MAX_SHIFT]:
            continue
        paragraph = text[_paragraph_at(text, j)[0] : j]
        count += len(_DOUBLE.findall(paragraph)) % 2 == 0 and lm.known(
            _letters_before(text, j).lower())
    return count


def _pdf_quotes(text: str) -> bool:
    """Whether the document's straight double quotes are a PDF font's stand-ins rather
    than paired marks: also its apostrophes (see `APOSTROPHE_QUOTES`), or closing
    single curly ones. No rule moves or drops them."""
    typed = _apostrophe_quotes(text)
    return (typed >= APOSTROPHE_QUOTES and typed >= APOSTROPHE_SHARE * len(_DOUBLE.findall(text))
            or len(_MIXED_PAIR.findall(text)) >= APOSTROPHE_QUOTES)


def _misplaced_quotes(text: str, doc: _DocVocabulary, crowded: Callable[[int], bool],
                      style_inside: bool, stand_ins: bool) -> Iterator[tuple[float, Finding]]:
    """Double quotes whose places break a line's open/close alternation, put right by
    the fewest moves and drops that mend it ("promised\\" the" for "promised \\"the",
    "than \\"that." for "than that.\\""): a mark pasted early, moved or copied, whose
    neighbours do not glue it into a word. The line must have exactly one cheapest
    mending; a new paragraph may reopen a quote that never closed. Marks are counted
    over a paragraph (lines up to a blank one) but never moved across a line break.
    `stand_ins`: `_pdf_quotes` of the text."""
    if stand_ins or _ESCAPED_OPEN.search(text):
        return  # a PDF's stand-ins for other marks; quotes escaped by doubling
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
    if _nested(shapes):
        return None
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
    # An odd count with no quote open before, every mark with a role where it stands: a
    # quote runs on into the next paragraph or was lost (a copy would sit in a word or
    # between spaces), so alternation cannot say which mark is wrong; a mark may still
    # go as a copy, but is not moved.
    settled = len(quotes) % 2 == 1 and not inside and all(shapes)
    for j, may_change, shape in zip(quotes, suspect, shapes, strict=True):
        joined = may_change and joins(j)
        nxt: dict[tuple[str | None, Edit | None], tuple[tuple[int, float], bool, list[Edit]]] = {}
        for (last, _), (cost, tied, edits) in best.items():
            context = line[max(j - 4, 0) : j]
            if edits and edits[-1][1] == j:  # the mark before was moved or dropped
                a, _, value = edits[-1]
                context = line[max(a - 4, 0) : a] + value
            before = context[-1:] or " "
            for extra, role, edit in _quote_options(line, j, before, style_inside, joined,
                                                    settled):
                if edit and (not may_change or edits and edit[0] < edits[-1][1]
                             or settled and shape and edit[2] not in ("", " ")):
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


def _nested(shapes: Sequence[str | None]) -> bool:
    """Whether every mark has a role where it stands and together they nest, a quote
    inside a quote typed with the same marks (`"... a "white knight" right now,"`), as
    some newswires write: balanced, never more than two deep."""
    depth = deepest = 0
    for shape in shapes:
        if shape is None:
            return False
        depth += 1 if shape == "open" else -1
        if depth < 0:
            return False
        deepest = max(deepest, depth)
    return depth == 0 and deepest == 2


def _paragraph_at(text: str, i: int) -> tuple[int, int]:
    """Bounds of the paragraph (lines up to a blank one) holding `i`."""
    end = text.find("\n\n", i)
    return text.rfind("\n\n", 0, i) + 1, len(text) if end < 0 else end


def _pairing(text: str) -> Callable[[int], bool]:
    """Whether the double quotes of the paragraph holding a place pair up where they
    stand: each has a role, and they alternate open/close or nest (`_nested`). A stale
    copy adds a mark to its paragraph, so such a paragraph holds none. Read once per
    paragraph."""
    known: dict[int, bool] = {}

    def paired(i: int) -> bool:
        start, end = _paragraph_at(text, i)
        if start not in known:
            paragraph = text[start:end]
            shapes = [_shape_at(paragraph, m.start()) for m in _DOUBLE.finditer(paragraph)]
            alternate = all(shape == ("open", "close")[k % 2] for k, shape in enumerate(shapes))
            known[start] = alternate and len(shapes) % 2 == 0 or _nested(shapes)
        return known[start]

    return paired


def _follows(last: str | None, role: str, before: str) -> bool:
    """Whether a mark of `role` after the characters `before` may follow one of role
    `last` (None: the paragraph's first; "inside": first, and a quote may be open): a
    close an open, or "inside"; an open a close, or an open that never closed when a new
    sentence begins (a quoted speech going on into a new paragraph)."""
    if role == "close":
        return last in ("open", "inside")
    return last != "open" or bool(_SENTENCE_END.search(before))


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
