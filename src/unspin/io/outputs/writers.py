"""Row writers by format: JSON Lines, CSV and Parquet, each taking result rows one at a time,
and `flat_row`, the scalar form of a result row that CSV and Parquet hold."""

from __future__ import annotations

import csv
import json
import os
from typing import Any, TextIO

from unspin.core.errors import InputError

CSV_COLUMNS = ("id", "score", "verdict", "n_findings", "top_phrases")
"""The columns of a `.csv` flag export."""

PARQUET_ROWS = 10_000
PARQUET_CHARS = 64_000_000
"""A Parquet row group is written when this many rows or text characters are buffered."""

FORMATS_HINT = "pip install 'unspin[formats]'"


TOP_PHRASES = 5
"""Tortured phrases listed in a row's `top_phrases` (the flat exports' summary)."""


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """A result row with scalar columns only, for CSV and Parquet: id, score, verdict,
    n_findings, top_phrases (the most confident lexical findings, "observed -> original;
    ..."), findings (JSON text) and restored (empty when not asked for)."""
    lexical = sorted((f for f in row["findings"] if f["kind"] == "lexical"),
                     key=lambda f: -f["confidence"])
    phrases = "; ".join(
        f"{f['text']} -> {f['replacements'][0]['value']}" if f["replacements"] else f["text"]
        for f in lexical[:TOP_PHRASES])
    return {
        "id": row["id"],
        "score": row["score"],
        "verdict": row["verdict"],
        "n_findings": len(row["findings"]),
        "top_phrases": phrases,
        "findings": json.dumps(row["findings"], ensure_ascii=False),
        "restored": row.get("restored") or "",
    }


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
