"""The per-document screening function and its flat export row."""

from __future__ import annotations

import json

import pytest

import unspin
from unspin.io.outputs.rows import flat_row
from unspin.screening.document import screen_document

SPUN = ("Researchers used profound learning and counterfeit consciousness to study the data. "
        "The results were published on Monday.")


def test_screen_document_is_the_check_report_with_the_id() -> None:
    row = screen_document("doc-1", SPUN, restore=True)
    report = unspin.check(SPUN, restore=True)
    assert row == {"id": "doc-1", **report.to_dict()}


def test_screen_document_refuses_empty_text() -> None:
    with pytest.raises(unspin.InputError):
        screen_document("doc-1", "   ")


def test_flat_row_has_scalar_columns_and_top_phrases() -> None:
    row = screen_document("doc-1", SPUN)
    flat = flat_row(row)
    assert list(flat) == ["id", "score", "verdict", "n_findings", "top_phrases", "findings",
                          "restored"]
    assert flat["n_findings"] == len(row["findings"]) >= 1
    assert "counterfeit consciousness -> artificial intelligence" in flat["top_phrases"]
    assert json.loads(flat["findings"]) == row["findings"] and flat["restored"] == ""
