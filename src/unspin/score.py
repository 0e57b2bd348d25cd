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
from typing import Any

from unspin.records import Finding


def features(findings: Sequence[Finding], n_words: int) -> list[float]:
    """[log1p(discovery evidence per 100 words), log1p(known-list hits)].

    `findings` include discovery findings under the reporting cut: many weak signals
    in one text are evidence of spinning even when none is strong enough to report.
    """
    mass = sum(f.confidence for f in findings if f.evidence.get("source") == "thesaurus")
    known = sum(1 for f in findings if f.evidence.get("source") == "known-list")
    return [math.log1p(100.0 * mass / max(n_words, 50)), math.log1p(known)]


@cache
def _model() -> dict[str, Any]:
    return json.loads(files("unspin").joinpath("data/calibration.json").read_text("utf-8"))


def doc_score(findings: Sequence[Finding], n_words: int) -> float:
    """Calibrated probability (0..1) that the document is spun."""
    model = _model()
    weights = model["weights"]
    assert isinstance(weights, list)
    xs = features(findings, n_words)
    z = float(model["bias"]) + sum(w * x for w, x in zip(weights, xs, strict=True))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def finding_features(gain: float, prior: float, echo: int, repeats: int, parts: int) -> list[float]:
    """Features of a discovery proposal for its confidence model.

    `gain` is the LM log10 ratio of the proposed over the observed wording and
    `prior` the channel prior (log10 chance a spinner picked these synonyms); they
    are weighed separately because the two LMs' gains are on different scales.
    `echo` counts the proposed original's words found elsewhere in the text
    (spinners leave some occurrences alone); `repeats` is how often the observed
    wording occurs (a word the author keeps using is the topic, not a synonym);
    `parts` is the number of adjacent changes decoded together.
    """
    return [gain, prior, float(echo > 0), math.log(max(repeats, 1)), float(parts)]


def confidence(xs: Sequence[float], scorer: str = "fast") -> float:
    """Calibrated probability that a discovery proposal is a real spinner edit."""
    model = _model()["confidence"]
    assert isinstance(model, dict)
    params = model.get(scorer, model["fast"])
    z = params["bias"] + sum(w * x for w, x in zip(params["weights"], xs, strict=True))
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), 4)
