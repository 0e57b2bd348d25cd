"""Document score: a logistic model over finding statistics, fitted by tools/calibrate.py.

Features are per-document and length-normalised so a long clean text does not
drift towards "spun": the density of discovery evidence (sum of confidences per
100 words) and the number of known-list hits. Coefficients live in
data/calibration.json next to the dev-set numbers they came from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from unspin.records import Finding


def features(findings: Sequence[Finding], n_words: int) -> list[float]:
    """[log1p(discovery evidence per 100 words), log1p(known-list hits)]."""
    mass = sum(f.confidence for f in findings if f.evidence.get("source") != "known-list")
    known = sum(1 for f in findings if f.evidence.get("source") == "known-list")
    return [math.log1p(100.0 * mass / max(n_words, 50)), math.log1p(known)]


@cache
def _model() -> dict[str, list[float] | float]:
    return json.loads(files("unspin").joinpath("data/calibration.json").read_text("utf-8"))


def doc_score(findings: Sequence[Finding], n_words: int) -> float:
    """Calibrated probability (0..1) that the document is spun."""
    model = _model()
    weights = model["weights"]
    assert isinstance(weights, list)
    xs = features(findings, n_words)
    z = float(model["bias"]) + sum(w * x for w, x in zip(weights, xs, strict=True))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def confidence(gain: float) -> float:
    """Calibrated probability that a discovery proposal with this LM gain is a real edit."""
    model = _model()
    slope, mid = model["gain_slope"], model["gain_mid"]
    assert isinstance(slope, float) and isinstance(mid, float)
    return round(1.0 / (1.0 + math.exp(-slope * (gain - mid))), 4)
