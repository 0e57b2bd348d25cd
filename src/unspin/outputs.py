"""Writers for `unspin screen` results, chosen by the output file's extension.

Every writer takes the rows of `unspin.rows.screen_document` one at a time, in
order, with the text each row was made from, and holds at most a bounded part of them
in memory:

- `.jsonl`: one JSON row a line, flushed as written (the only format `--resume` can
  append to);
- `.parquet`: the flat rows of `flat_row`, written in row groups (needs pyarrow, in the
  `formats` extra);
- `.csv`: a flag export, one line per document: id, score, verdict, n_findings,
  top_phrases;
- `.html`: a self-contained report (no scripts, styles inline, no external address):
  counts by verdict, a score histogram and the highest-scoring flagged documents with
  their tortured phrases marked.

`open_output` writes to a temporary file beside the output and renames it only when the
block completes, so an interrupted run leaves an existing output as it was; with
`append=True` (JSON Lines only) rows are appended to the output in place instead, so an
interrupted run keeps every finished row.
"""

from __future__ import annotations

import csv
import heapq
import html
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from unspin.errors import InputError
from unspin.rows import flat_row

FORMATS = (".jsonl", ".parquet", ".csv", ".html")
"""Output extensions, compared case-insensitively."""

CSV_COLUMNS = ("id", "score", "verdict", "n_findings", "top_phrases")
"""The columns of a `.csv` flag export."""

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

PARQUET_ROWS = 10_000
PARQUET_CHARS = 64_000_000
"""A Parquet row group is written when this many rows or text characters are buffered."""

FORMATS_HINT = "pip install 'unspin[formats]'"


def check_output_path(path: Path, *, append: bool = False) -> None:
    """Raise `InputError` if `path` has no supported extension, cannot be written
    (a directory, a missing parent directory), or `append` is asked for a format other
    than JSON Lines."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unsupported output format {suffix or '(no extension)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if append and suffix != ".jsonl":
        raise InputError(f"{path}: --resume needs a .jsonl output ({suffix} files are "
                         "written whole at the end)")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    if suffix == ".parquet":
        _pyarrow()


class RowWriter:
    """Base of the writers: `write` each row, then `finish` once; `abort` on failure."""

    skipped = 0
    """Documents skipped by the run, for the writers that summarize (HTML)."""

    def write(self, row: dict[str, Any], text: str) -> None:
        """Add the result row of one document and the text it was screened from."""
        raise NotImplementedError

    def finish(self) -> None:
        """Complete the file (footer, last row group) and close it."""
        raise NotImplementedError

    def abort(self) -> None:
        """Close the file without completing it."""
        self.finish()


class JsonlWriter(RowWriter):
    """One `json.dumps(row)` a line, UTF-8, flushed to the OS after each row."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def write(self, row: dict[str, Any], text: str) -> None:
        self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.handle.flush()

    def finish(self) -> None:
        self.handle.close()


class CsvWriter(RowWriter):
    """The `CSV_COLUMNS` of each row's `flat_row`, with a header line."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.csv = csv.writer(handle)
        self.csv.writerow(CSV_COLUMNS)

    def write(self, row: dict[str, Any], text: str) -> None:
        flat = flat_row(row)
        self.csv.writerow([flat[column] for column in CSV_COLUMNS])

    def finish(self) -> None:
        self.handle.close()


class ParquetWriter(RowWriter):
    """The `flat_row` of each row, buffered and written a row group at a time."""

    def __init__(self, path: str) -> None:
        pa, pq = _pyarrow()
        self.pa = pa
        self.schema = pa.schema([
            ("id", pa.string()), ("score", pa.float64()), ("verdict", pa.string()),
            ("n_findings", pa.int64()), ("top_phrases", pa.string()),
            ("findings", pa.string()), ("restored", pa.string()),
        ])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []
        self.chars = 0

    def write(self, row: dict[str, Any], text: str) -> None:
        flat = flat_row(row)
        self.buffer.append(flat)
        self.chars += len(flat["findings"]) + len(flat["restored"]) + len(flat["top_phrases"])
        if len(self.buffer) >= PARQUET_ROWS or self.chars >= PARQUET_CHARS:
            self._flush()

    def finish(self) -> None:
        self._flush()
        self.writer.close()

    def abort(self) -> None:
        self.writer.close()

    def _flush(self) -> None:
        if self.buffer:
            self.writer.write_table(self.pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []
            self.chars = 0


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


@contextmanager
def open_output(path: Path, *, append: bool = False, title: str = "unspin screen report"
                ) -> Iterator[RowWriter]:
    """The writer for `path`'s format; the file is complete only when the block is.

    Without `append` the rows go to a temporary file beside `path`, which replaces it
    when the block completes and is removed if it fails, so an existing output is never
    half-overwritten. With `append` (JSON Lines only) rows are appended to `path` in
    place, flushed one by one, and what was written stays on failure.
    """
    check_output_path(path, append=append)
    suffix = path.suffix.lower()
    if append:
        writer = JsonlWriter(open(path, "a", encoding="utf-8", newline=""))  # noqa: SIM115
        try:
            yield writer
        finally:
            writer.finish()
        return
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    writer: RowWriter | None = None
    try:
        if suffix == ".parquet":
            os.close(descriptor)
            writer = ParquetWriter(temporary)
        else:
            handle = open(descriptor, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if suffix == ".jsonl":
                writer = JsonlWriter(handle)
            elif suffix == ".csv":
                writer = CsvWriter(handle)
            else:
                writer = HtmlWriter(handle, title)
        yield writer
        writer.finish()
        os.chmod(temporary, _default_file_mode())  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        if writer is not None:
            with suppress(Exception):
                writer.abort()
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def resume_ids(path: Path) -> set[str]:
    """The ids of the rows of an earlier run's JSON Lines output, to skip on `--resume`.

    A last line without its newline (a run killed mid-write) is cut off the file, so
    appending starts on a fresh line; any other line that is not a result row raises
    `InputError`. A missing file has no ids.
    """
    ids: set[str] = set()
    if not path.exists():
        return ids
    check_output_path(path, append=True)
    complete = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                break  # cut below
            complete += len(line)
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                row = None
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise InputError(f"{path}:{number}: not an `unspin screen` result row; "
                                 "cannot resume into this file")
            ids.add(row["id"])
    if complete < path.stat().st_size:
        with open(path, "r+b") as handle:
            handle.truncate(complete)
    return ids


def _pyarrow() -> tuple[Any, Any]:
    """`pyarrow` and `pyarrow.parquet`, or an InputError naming the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InputError(f"Parquet output needs pyarrow: {FORMATS_HINT}") from None
    return pyarrow, pyarrow.parquet


def _default_file_mode() -> int:
    """The mode a new file gets under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _e(value: object) -> str:
    """`value` escaped for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _finding_title(finding: dict[str, Any]) -> str:
    """The tooltip of a marked finding: kind, best replacement, confidence, source."""
    best = finding["replacements"][0]["value"] if finding["replacements"] else None
    proposal = "no replacement" if best is None else (
        f"→ {best}" if best else "→ (remove)")
    source = finding.get("evidence", {}).get("source")
    details = f"confidence {finding['confidence']:.2f}" + (f", {source}" if source else "")
    return f"{finding['kind']}: {proposal} ({details})"


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
        parts.append(f'<mark class="{_e(finding["kind"])}" title="{_e(_finding_title(finding))}">'
                     f"{_e(text[start:end])}</mark>{fix}")
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
wording after them; hover for confidence and evidence.</p>
{documents}
</body>
</html>
"""
