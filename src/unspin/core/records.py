"""Typed, serializable records: what `check` returns.

Findings are data, in the spirit of ftfy's explainable fixes: each says where
(code-point offsets into the decoded input), what kind of damage, how sure we
are, what to put instead, and the evidence a reviewer needs to judge it.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["lexical", "mechanical", "residue"]
Verdict = Literal["spun", "clean", "uncertain"]


@dataclass(frozen=True, slots=True)
class Replacement:
    """One proposed wording for a finding's span, with its confidence in 0..1."""

    value: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspicious span: `text == input[offset:offset + length]` always holds.

    `evidence` is a JSON-ready dict; its `source` key names where the
    proposal came from ("known-list", "discovery", ...) and the rest carries the
    numbers behind the decision (e.g. LM log-probabilities of both wordings).
    """

    offset: int
    length: int
    text: str
    kind: Kind
    confidence: float
    replacements: tuple[Replacement, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        """Offset one past the span's last code point."""
        return self.offset + self.length

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON object of the CLI contract."""
        data = asdict(self)
        data["replacements"] = [asdict(r) for r in self.replacements]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of `to_dict`."""
        return cls(
            offset=int(data["offset"]),
            length=int(data["length"]),
            text=str(data["text"]),
            kind=data["kind"],
            confidence=float(data["confidence"]),
            replacements=tuple(Replacement(**r) for r in data.get("replacements", ())),
            evidence=dict(data.get("evidence", {})),
        )


@dataclass(frozen=True, slots=True)
class Report:
    """The result of `check`: a calibrated score, a verdict and the findings."""

    score: float
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    restored: str | None = None
    signals: dict[str, Any] = field(default_factory=dict)
    """What the document score read (`unspin.pipeline.score.signals`): why the verdict."""

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON object of the CLI contract (`restored` only if set)."""
        data: dict[str, Any] = {
            "score": self.score,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "signals": self.signals,
        }
        if self.restored is not None:
            data["restored"] = self.restored
        return data

    def to_json(self, indent: int | None = None) -> str:
        """The report serialized as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Inverse of `to_dict`."""
        return cls(
            score=float(data["score"]),
            verdict=data["verdict"],
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            restored=data.get("restored"),
            signals=dict(data.get("signals", {})),
        )


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of a query aligned with a stretch of its source (code-point offsets)."""

    query_offset: int
    query_length: int
    source_offset: int
    source_length: int


@dataclass(frozen=True, slots=True)
class Match:
    """A reference document a query was likely spun from, with the aligned passages.

    `score` is the share of the query's fingerprints the document holds (0-1).
    """

    id: str
    score: float
    passages: tuple[Passage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The match as the JSON object of the `trace` contract."""
        return {"id": self.id, "score": self.score,
                "passages": [asdict(p) for p in self.passages]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Match:
        """Inverse of `to_dict`."""
        return cls(str(data["id"]), float(data["score"]),
                   tuple(Passage(**p) for p in data.get("passages", ())))


def apply_findings(text: str, findings: Sequence[Finding]) -> str:
    """`text` with each finding's best replacement put in place (findings don't overlap)."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.offset):
        if f.replacements and f.offset >= pos:
            out.append(text[pos : f.offset])
            out.append(f.replacements[0].value)
            pos = f.end
    out.append(text[pos:])
    return "".join(out)


class Spans:
    """Sorted, non-overlapping [start, end) spans of a text, with overlap tests by
    bisection: checking each new finding against every taken one is quadratic on
    long documents."""

    __slots__ = ("_spans",)

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._spans = sorted(spans)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps a span (only its two neighbours can)."""
        i = bisect.bisect_right(self._spans, (start, end))
        return any(s < end and start < e for s, e in self._spans[max(i - 1, 0) : i + 1])

    def add(self, start: int, end: int) -> None:
        """Take [start, end) (the caller has checked it overlaps nothing)."""
        bisect.insort(self._spans, (start, end))
