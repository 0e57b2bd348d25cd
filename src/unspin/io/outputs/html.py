"""The HTML report: the flagged documents, most suspicious first, their findings
marked, and a score histogram."""

from __future__ import annotations

import heapq
import html
from collections import Counter
from typing import Any, TextIO

from unspin.io.outputs.rows import RowWriter

FLAGGED = ("spun", "uncertain")
"""Verdicts whose documents the HTML report shows."""

HTML_MAX_DOCUMENTS = 500
"""Flagged documents an HTML report shows (the highest scores, earlier input first on a
tie); the others are counted only."""

HTML_MAX_CHARS = 20_000
"""Characters of each shown document's text in an HTML report; findings beyond are
listed, not marked."""

HISTOGRAM_BINS = 20
"""Score histogram bars of an HTML report (equal widths over 0..1)."""


class HtmlWriter(RowWriter):
    """A self-contained HTML report, written at `finish` from bounded state: verdict
    counts, the score histogram and the `HTML_MAX_DOCUMENTS` highest-scoring flagged
    documents (their text cut at `HTML_MAX_CHARS`)."""

    def __init__(self, handle: TextIO, title: str = "unspin screen report") -> None:
        self.handle = handle
        self.title = title
        self.verdicts: Counter[str] = Counter()
        self.bins: list[Counter[str]] = [Counter() for _ in range(HISTOGRAM_BINS)]
        self.flagged = 0
        self.seen = 0
        # min-heap of (score, -input position, row, text): the weakest shown document first
        self.top: list[tuple[float, int, dict[str, Any], str]] = []

    def write(self, row: dict[str, Any], text: str) -> None:
        self.seen += 1
        self.verdicts[row["verdict"]] += 1
        score = float(row["score"])
        self.bins[min(HISTOGRAM_BINS - 1, max(0, int(score * HISTOGRAM_BINS)))][
            row["verdict"]] += 1
        if row["verdict"] not in FLAGGED:
            return
        self.flagged += 1
        key = (score, -self.seen)
        if len(self.top) >= HTML_MAX_DOCUMENTS and key <= self.top[0][:2]:
            return
        kept = {**row, "findings": list(row["findings"])}
        kept.pop("restored", None)
        entry = (score, -self.seen, kept, text[:HTML_MAX_CHARS + 1])
        if len(self.top) < HTML_MAX_DOCUMENTS:
            heapq.heappush(self.top, entry)
        else:
            heapq.heapreplace(self.top, entry)

    def finish(self) -> None:
        with self.handle:
            self.handle.write(self.render())

    def abort(self) -> None:
        self.handle.close()

    def render(self) -> str:
        """The whole report as one HTML document."""
        shown = sorted(self.top, key=lambda entry: (-entry[0], -entry[1]))
        counts = "".join(
            f'<tr><td><span class="v {v}">{v}</span></td><td>{self.verdicts.get(v, 0)}</td></tr>'
            for v in ("spun", "uncertain", "clean"))
        others = sorted(set(self.verdicts) - {"spun", "uncertain", "clean"})
        counts += "".join(f"<tr><td>{_e(v)}</td><td>{self.verdicts[v]}</td></tr>"
                          for v in others)
        counts += f"<tr><th>screened</th><th>{self.seen}</th></tr>"
        if self.skipped:
            counts += f"<tr><td>skipped (unreadable)</td><td>{self.skipped}</td></tr>"
        note = (f"the {len(shown)} highest-scoring of {self.flagged}" if len(shown) < self.flagged
                else f"all {self.flagged}")
        documents = "\n".join(_document_html(rank, row, text)
                              for rank, (_, _, row, text) in enumerate(shown, start=1))
        return _PAGE.format(
            title=_e(self.title), counts=counts, histogram=_histogram_svg(self.bins),
            note=note, documents=documents or "<p>No document was flagged.</p>")


def _e(value: object) -> str:
    """`value` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _finding_title(finding: dict[str, Any]) -> str:
    """The tooltip of a marked finding: kind, best replacement, confidence, source."""
    best = finding["replacements"][0]["value"] if finding["replacements"] else None
    proposal = "no replacement" if best is None else (
        f"→ {best}" if best else "→ (remove)")
    evidence = finding.get("evidence", {})
    source = evidence.get("source")
    details = f"confidence {finding['confidence']:.2f}" + (f", {source}" if source else "")
    title = f"{finding['kind']}: {proposal} ({details})"
    if source == "profile":  # a learned spinner's swap: say which spinner and why
        title += f"; {evidence.get('profile', '')}: {evidence.get('explanation', '')}"
    return title


def _marked_text(text: str, findings: list[dict[str, Any]]) -> str:
    """`text` (cut at `HTML_MAX_CHARS`) escaped, each finding in it in a <mark> with its
    tooltip and followed by its best replacement; an overlapping finding is left
    unmarked (it is still in the list below the text)."""
    cut = min(len(text), HTML_MAX_CHARS)
    parts = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: (f["offset"], -f["length"])):
        start, end = finding["offset"], finding["offset"] + finding["length"]
        if start < cursor or end > cut:
            continue
        best = finding["replacements"][0]["value"] if finding["replacements"] else None
        fix = "" if best is None else f'<span class="fix">{_e(best) or "(remove)"}</span>'
        parts.append(_e(text[cursor:start]))
        learned = " profile" if finding.get("evidence", {}).get("source") == "profile" else ""
        parts.append(f'<mark class="{_e(finding["kind"])}{learned}" '
                     f'title="{_e(_finding_title(finding))}">{_e(text[start:end])}</mark>{fix}')
        cursor = end
    parts.append(_e(text[cursor:cut]))
    if len(text) > cut:
        parts.append('<span class="cut"> [… text cut here]</span>')
    return "".join(parts)


def _document_html(rank: int, row: dict[str, Any], text: str) -> str:
    """One flagged document of the report: headline, marked text, findings table."""
    findings = row["findings"]
    lines = "".join(
        f"<tr><td>{f['offset']}</td><td>{_e(f['kind'])}</td><td>{_e(f['text'])}</td>"
        f"<td>{_e(', '.join(r['value'] or '(remove)' for r in f['replacements']))}</td>"
        f"<td>{f['confidence']:.2f}</td><td>{_e(f.get('evidence', {}).get('source', ''))}</td>"
        "</tr>" for f in findings)
    table = (f"<details><summary>{len(findings)} findings</summary><table><tr><th>offset</th>"
             "<th>kind</th><th>text</th><th>replacements</th><th>confidence</th>"
             f"<th>source</th></tr>{lines}</table></details>") if findings else ""
    verdict = _e(row["verdict"])
    return (f'<section class="doc"><h3>{rank}. <code>{_e(row["id"])}</code> '
            f'<span class="v {verdict}">{verdict}</span> score {float(row["score"]):.3f}</h3>'
            f'<div class="text">{_marked_text(text, findings)}</div>{table}</section>')


_COLOURS = {"spun": "#c0392b", "uncertain": "#d68910", "clean": "#1e8449"}


def _histogram_svg(bins: list[Counter[str]]) -> str:
    """An inline SVG bar chart of document counts per score bin, each bar stacked by
    verdict (clean at the bottom, then uncertain, then spun)."""
    width, bar, plot = 600, 600 / len(bins), 110
    top = max(sum(counts.values()) for counts in bins) or 1
    rects = []
    for index, counts in enumerate(bins):
        low, high = index / len(bins), (index + 1) / len(bins)
        base = 120.0
        for verdict in ("clean", "uncertain", "spun", *sorted(set(counts) - set(_COLOURS))):
            count = counts.get(verdict, 0)
            if not count:
                continue
            h = plot * count / top
            base -= h
            rects.append(
                f'<rect x="{index * bar + 1:.1f}" y="{base:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{_COLOURS.get(verdict, "#777")}"><title>score '
                f"{low:.2f}–{high:.2f}: {count} {_e(verdict)}</title></rect>")
    labels = "".join(f'<text x="{x * width:.0f}" y="135" text-anchor="'
                     f'{"start" if x == 0 else "end" if x == 1 else "middle"}">{x:g}</text>'
                     for x in (0, 0.25, 0.5, 0.75, 1))
    return (f'<svg viewBox="0 0 {width} 140" width="{width}" height="140" role="img" '
            f'aria-label="score histogram">{"".join(rects)}'
            f'<line x1="0" y1="120" x2="{width}" y2="120" stroke="#555"></line>'
            f'<g font-size="11" fill="#333">{labels}</g></svg>')


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em;
       padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: .2em .6em; text-align: left; }}
.v {{ padding: 0 .4em; border-radius: .3em; color: #fff; font-weight: 600; }}
.v.spun {{ background: #c0392b; }} .v.uncertain {{ background: #d68910; }}
.v.clean {{ background: #1e8449; }}
.doc {{ border-top: 1px solid #ddd; margin-top: 1.5em; }}
.text {{ white-space: pre-wrap; background: #fafafa; padding: .6em; border: 1px solid #eee; }}
mark {{ background: #ffe08a; }} mark.mechanical, mark.residue {{ background: #cde4ff; }}
mark.profile {{ background: #f5c6e8; }}
.fix {{ color: #1e6b34; font-size: .85em; margin-left: .2em; }}
.fix::before {{ content: "→ "; }}
.cut {{ color: #888; }}
</style>
</head>
<body>
<h1>{title}</h1>
<h2>Summary</h2>
<table>{counts}</table>
<h2>Scores</h2>
{histogram}
<h2>Flagged documents</h2>
<p>Spun or uncertain, by score: {note}. Marked phrases show the proposed original
wording after them (pink: a learned spinner profile's swap); hover for confidence and
evidence.</p>
{documents}
</body>
</html>
"""
