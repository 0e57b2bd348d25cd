"""The result row as every writer sees it: `RowWriter`, the base of the writers, and
`flat_row`, the scalar form of a row that CSV and Parquet hold."""

from __future__ import annotations

import json
from typing import Any

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
