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

One module per damage family, each behind `find_repairs`: `residue` (scraping
residue), `mojibake`, `pastes` (stale pastes of quotes and possessives: candidates),
`judge` (their readings scored), `readings` (what a paste overwrote), `quotes`
(misplaced quote marks); `vocabulary` (the words repair may restore) and `common`
(token classes, thresholds, text helpers) are their shared ground. Names with a leading
underscore are private to the package, shared by its modules.
"""

from __future__ import annotations

from unspin.core.records import Finding, apply_findings
from unspin.repair.common import MOJIBAKE_PIECE, WORDS_FILE, _free
from unspin.repair.mojibake import _mojibake
from unspin.repair.pastes import _pastes
from unspin.repair.residue import _residue

__all__ = ["MOJIBAKE_PIECE", "WORDS_FILE", "find_repairs", "repair_text"]


def find_repairs(text: str) -> list[Finding]:
    """Every repair of `text`, non-overlapping and sorted, offsets into `text`."""
    findings = _residue(text)
    findings += _free(_mojibake(text), findings)
    findings += _free(_pastes(text), findings)
    return sorted(findings, key=lambda f: f.offset)


def repair_text(text: str) -> str:
    """`text` with every repair applied."""
    return apply_findings(text, find_repairs(text))
