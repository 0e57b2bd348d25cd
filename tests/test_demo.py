"""The demo's headline: `make demo` restores tortured phrases no list knows (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import unspin
from unspin.core.tokens import words

ROOT = Path(__file__).parents[1]
CASE = json.loads((ROOT / "tests/golden/demo.json").read_text("utf-8"))


def expected_original(observed: str, originals: dict[str, str]) -> list[str]:
    """The original words of an observed span, its known swaps undone longest first."""
    seen, out, i = words(observed), [], 0
    while i < len(seen):
        for n in range(min(4, len(seen) - i), 0, -1):
            key = " ".join(seen[i : i + n])
            if key in originals or n == 1:
                out += originals.get(key, key).split()
                i += n
                break
    return out


def test_demo_finds_and_restores_at_least_six_spun_phrases() -> None:
    text = (ROOT / CASE["file"]).read_text("utf-8")
    report = unspin.check(text)
    lexical = [f for f in report.findings if f.kind == "lexical"]
    correct = [f for f in lexical if words(f.replacements[0].value)
               == expected_original(f.text, CASE["originals"])]
    assert len(correct) >= CASE["min_correct"], [(f.text, f.replacements[0].value)
                                                  for f in lexical]
    covered = " | ".join(f.text.lower() for f in correct)
    for phrase in CASE["required"]:
        assert phrase in covered, (phrase, covered)
    assert report.verdict == "spun"
