"""Golden cases (see tests/golden/README.md): behaviour the engine must keep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import unspin

GOLDEN = Path(__file__).parent / "golden"


def _cases(name: str) -> list[Any]:
    cases = json.loads((GOLDEN / name).read_text("utf-8"))
    return [pytest.param(c, id=c["label"]) for c in cases]


def _assert_case(case: dict[str, Any]) -> None:
    """Each expected span is overlapped by a finding and restored to its replacement."""
    text = case["text"]
    report = unspin.check(text, restore=True)
    for f in report.findings:
        assert text[f.offset : f.offset + f.length] == f.text
    if case.get("no_findings"):
        assert not report.findings, [f.to_dict() for f in report.findings]
    for span in case.get("spans", ()):
        start = text.index(span["text"])
        end = start + len(span["text"])
        hits = [f.text for f in report.findings if f.offset < end and start < f.end]
        assert hits, (span, [f.text for f in report.findings])
        if "replacement" in span:
            assert span["replacement"] in (report.restored or ""), report.restored
    if "verdict" in case:
        assert report.verdict == case["verdict"]


@pytest.mark.parametrize("case", _cases("in_the_wild.json") + _cases("synthetic.json"))
def test_spun(case: dict[str, Any]) -> None:
    _assert_case(case)


@pytest.mark.parametrize("case", _cases("negative.json"))
def test_negative(case: dict[str, Any]) -> None:
    _assert_case(case)


@pytest.mark.parametrize("case", _cases("known_failures.json"))
@pytest.mark.xfail(strict=False, reason="known failure, see its 'why'")
def test_known_failure(case: dict[str, Any]) -> None:
    _assert_case(case)


def test_findings_replay_from_their_json() -> None:
    """Findings are data: read back from the JSON report, they rebuild the restored text."""
    text = "The counterfeit consciousness of the software program was profound learning."
    report = unspin.check(text, restore=True)
    again = unspin.Report.from_dict(json.loads(report.to_json()))
    assert unspin.apply_findings(text, again.findings) == report.restored
    assert unspin.apply_findings(text, []) == text
