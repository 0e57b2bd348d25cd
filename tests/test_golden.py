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
    report = unspin.check(case["text"])
    found = {f.text: f for f in report.findings}
    for f in report.findings:
        assert case["text"][f.offset : f.offset + f.length] == f.text
    if case.get("no_findings"):
        assert not report.findings, [f.to_dict() for f in report.findings]
    for span in case.get("spans", ()):
        assert span["text"] in found, (span, sorted(found))
        if "replacement" in span:
            assert found[span["text"]].replacements[0].value == span["replacement"]
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
