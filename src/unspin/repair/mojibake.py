"""Mojibake: mis-decoded UTF-8, fixed by ftfy and reported word by word."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from functools import cache
from typing import Any

from unspin.core.records import Finding
from unspin.repair.common import _SPACES, MOJIBAKE_PIECE, _fix


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
    """Words of `a` that differ from `b`, with their `b` spans (never an empty `a` span).

    ftfy's fixes replace words in place, so word and space tokens pair up one to one
    and the cost is linear; when a fix joins or splits tokens, or turns a space-like
    control character (NEL) into a visible one, a token diff aligns them (autojunk on:
    a character diff is quadratic on repetitive text), and a token it inserts is taken
    together with the token before it."""
    tokens_a, tokens_b = _SPACES.split(a), _SPACES.split(b)
    starts_a = list(itertools.accumulate(map(len, tokens_a), initial=0))
    starts_b = list(itertools.accumulate(map(len, tokens_b), initial=0))
    pairs = list(zip(tokens_a, tokens_b, strict=False))
    if len(tokens_a) == len(tokens_b) and all(x and y for x, y in pairs if x != y):
        ops = [(k, k + 1, k, k + 1) for k, (x, y) in enumerate(pairs) if x != y]
    else:
        matcher = difflib.SequenceMatcher(a=tokens_a, b=tokens_b)
        ops = []
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            if i1 == i2 or starts_a[i1] == starts_a[i2]:  # nothing of `a` to replace
                i1, j1 = (i1 - 1, j1 - 1) if i1 > 0 else (i1, j1)
                i2, j2 = (i2, j2) if i1 < i2 else (i2 + 1, j2 + 1)
            if ops and i1 < ops[-1][1]:  # overlaps the previous change: one change
                i1, j1 = ops.pop()[0::2]
            ops.append((i1, i2, j1, j2))
    return [(starts_a[i1], starts_a[i2], starts_b[j1], starts_b[j2]) for i1, i2, j1, j2 in ops
            if starts_a[i1] < starts_a[i2]]
