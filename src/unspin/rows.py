"""The result row: the one pure per-document function every engine maps, and its flat form.

`screen_document` turns one document into one result row; `flat_row` gives the scalar
columns CSV and Parquet hold. The local engine (`unspin.screening`), the Spark job and
the writers (`unspin.outputs`) all import the row from here, so they agree on it and
none imports another for it.
"""

from __future__ import annotations

import json
from typing import Any

from unspin.api import check
from unspin.config import Config

TOP_PHRASES = 5
"""Tortured phrases listed in a row's `top_phrases` (the flat exports' summary)."""


def screen_document(doc_id: str, text: str, *, restore: bool = False,
                    config: Config | None = None) -> dict[str, Any]:
    """The result row of one document: `{"id", "score", "verdict", "findings",
    "restored"?}`, the `check` report with the document's id.

    Raises `InputError` for text no check can be made on (empty, oversized).
    """
    report = check(text, restore=restore, config=config)
    return {"id": doc_id, **report.to_dict()}


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
