"""Scraping residue: image ids, widget lines and inline ids left by scrapers."""

from __future__ import annotations

import re

from unspin.core.records import Finding
from unspin.repair.common import _CITATION_CUE, _ID_TOKEN, _RESIDUE_LINE, _fix


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
