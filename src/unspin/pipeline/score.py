"""Finding confidence and document score: logistic models fitted by tools/calibrate.py.

The confidence model reads a discovery finding's evidence (`finding_features`): the LM
gain and channel prior, how the candidate was found (sources agreeing, GloVe only, a
case pattern), how much more frequent the original is, how badly the observed wording
fits, and two text statistics. It is trained on news spun by several spinners of
different synonym sources (tools/folds.py) and on clean text, and the reporting cut
comes with it (`confidence_cut`). The document score is a logistic model over
length-normalised finding statistics. Both live in data/calibration.json, or in the
file `Config.calibration` names (the evaluation fits one per fold).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from unspin.core.config import Config
from unspin.core.records import Finding

FEATURES = (
    "gain", "prior", "echo", "log_repeats", "parts", "title_phrase", "caps_word", "agreement",
    "glove_only", "frequency_gain", "observed_fit", "extra_words", "tagger", "no_candidate",
)
"""Names of `finding_features`, in order (the calibration file names its weights)."""


def features(findings: Sequence[Finding], n_words: int) -> list[float]:
    """[log1p(discovery evidence per 100 words), log1p(known-list hits)].

    `findings` include discovery findings under the reporting cut: many weak signals
    in one text are evidence of spinning even when none is strong enough to report.
    """
    mass = sum(f.confidence for f in findings if f.evidence.get("source") == "discovery")
    known = sum(1 for f in findings if f.evidence.get("source") == "known-list")
    return [math.log1p(100.0 * mass / max(n_words, 50)), math.log1p(known)]


STRONGEST = 3
"""Proposals a `signals` reason names, strongest first."""


def signals(findings: Sequence[Finding], n_words: int, cut: float) -> dict[str, Any]:
    """What the document score read, for a reader to see why a text scored as it did
    (most of all an "uncertain" verdict with no finding): the discovery proposals, those
    under the reporting cut among them, their evidence per 100 words (the score's first
    input) and the known-list hits (its second), and a sentence saying so."""
    discovered = [f for f in findings if f.evidence.get("source") == "discovery"]
    weak = sum(f.confidence < cut for f in discovered)
    known = sum(1 for f in findings if f.evidence.get("source") == "known-list")
    density = 100.0 * sum(f.confidence for f in discovered) / max(n_words, 50)
    if not discovered and not known:
        reason = "no discovery proposal and no known-list phrase"
    else:
        parts = []
        if discovered:
            strongest = sorted(discovered, key=lambda f: -f.confidence)[:STRONGEST]
            named = ", ".join(
                f'"{f.text}" -> "{f.replacements[0].value if f.replacements else "?"}" '
                f"{f.confidence:.2f}" for f in strongest)
            parts.append(f"{len(discovered)} discovery proposal"
                         f"{'s' if len(discovered) != 1 else ''} ({weak} under the reporting "
                         f"cut of {cut:.2f}), {density:.1f} of evidence per 100 words; the "
                         f"strongest: {named}")
        if known:
            parts.append(f"{known} known-list phrase{'s' if known != 1 else ''}")
        reason = "; ".join(parts)
    return {"words": n_words, "discovery_proposals": len(discovered),
            "under_cut": weak, "evidence_per_100_words": round(density, 3),
            "known_list_hits": known, "reason": reason}


@cache
def load_model(path: str = "") -> dict[str, Any]:
    """The calibration file at `path` (default: the shipped one), read once."""
    if path:
        return json.loads(Path(path).read_text("utf-8"))
    return json.loads(files("unspin").joinpath("data/calibration.json").read_text("utf-8"))


def doc_score(findings: Sequence[Finding], n_words: int, calibration: str = "") -> float:
    """Calibrated probability (0..1) that the document is spun."""
    model = load_model(calibration)
    weights = model["weights"]
    xs = features(findings, n_words)
    z = float(model["bias"]) + sum(w * x for w, x in zip(weights, xs, strict=True))
    return _probability(z)


def finding_features(ev: Mapping[str, Any]) -> list[float]:
    """The confidence model's inputs (`FEATURES`) from a discovery finding's evidence.

    `gain` is the LM log10 ratio of the proposed over the observed wording and `prior`
    the channel prior; `echo` says the original occurs elsewhere in the text (spinners
    leave some occurrences alone); `log_repeats` how often the observed wording occurs;
    `parts` the adjacent changes decoded together; `agreement` the most sources giving
    one link; `title_phrase`, `caps_word` the case pattern (`case_pattern`, set by the
    shape source: "title-phrase", "caps-word" or None); `glove_only` that only
    distributional neighbours proposed it; `frequency_gain` the unigram log10 ratio
    original/observed (spinners swap in rarer words); `observed_fit` the worst 3-gram
    log10 probability of the observed words; `extra_words` how many more words the
    original has; `tagger` the replaced-word tagger's largest log-odds on the span (0
    without it; signed: its positive part alone, tried 2026-12-03, kept precision at
    0.94-0.96 but cut worst-fold recall from 0.067 to 0.031); `no_candidate` that the
    tagger alone found it, with no original to propose (its LM values are then 0).
    """
    links = ev["links"]
    names = [set(link["sources"]) - {"shape"} for link in links]
    original = sum(len(str(link["original"]).split()) for link in links)
    observed = sum(len(str(link["observed"]).split()) for link in links)
    return [
        float(ev.get("gain_log10", 0.0)),
        float(ev.get("score_log10", 0.0)) - float(ev.get("gain_log10", 0.0)),
        float(int(ev["original_elsewhere_in_text"]) > 0),
        math.log(max(int(ev["observed_count_in_text"]), 1)),
        float(len(links)),
        float(ev.get("case_pattern") == "title-phrase"),
        float(ev.get("case_pattern") == "caps-word"),
        float(max((len(n) for n in names), default=0)),
        float(all(n == {"glove"} for n in names)),
        max(-4.0, min(4.0, float(ev.get("frequency_gain_log10", 0.0)))),
        max(-7.0, float(ev.get("observed_fit_log10", 0.0))),
        float(original - observed),
        max(-8.0, min(8.0, float(ev.get("tagger_log_odds", 0.0)))),
        float(not links),
    ]


def _probability(z: float) -> float:
    """The logistic of log-odds `z` (clamped, so no overflow), to 4 places."""
    return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), 4)


def scorer_name(config: Config) -> str:
    """The confidence model `config` is scored by: "fast" or "neural", with "+tagger"
    when the tagger's log-odds are among its inputs (a model fitted without them would
    weigh them 0)."""
    return ("neural" if config.neural else "fast") + ("+tagger" if config.tagger else "")


def _params(scorer: str, calibration: str) -> Mapping[str, Any]:
    models = load_model(calibration)["confidence"]
    return models.get(scorer, models["fast"])


def confidence(xs: Sequence[float], scorer: str = "fast", calibration: str = "") -> float:
    """Calibrated probability that a discovery proposal is a real spinner edit."""
    return apply_model(_params(scorer, calibration), xs)


def apply_model(params: Mapping[str, Any], xs: Sequence[float]) -> float:
    """A confidence model's probability for `finding_features` values `xs`.

    Weights are matched to `FEATURES` by name; a feature the model lacks weighs 0.
    """
    weights = dict(zip(params["features"], params["weights"], strict=True))
    z = params["bias"] + sum(weights.get(n, 0.0) * x for n, x in zip(FEATURES, xs, strict=True))
    return _probability(z)


def in_context(
    findings: Sequence[Finding], n_words: int, scorer: str = "fast", calibration: str = ""
) -> list[Finding]:
    """Discovery findings with their confidence revised by the document's density.

    A spinner swaps a third of a text's words, an author's odd word stands alone: the
    second stage is a logistic model (`context_features`) over the finding's first-stage
    log-odds and the density of discovery evidence in the whole text (`features`'s first
    value, from the first-stage confidences of every proposal, reported or not).
    """
    return revise(findings, n_words, _params(scorer, calibration).get("context"))


def context_features(first_stage: float, density: float) -> list[float]:
    """The second stage's inputs: the first-stage log-odds and the document's evidence
    density. (Their product as a third input found "Home windows" in the demo but drew
    0.66 clean science flags per 1k words against 0.37, 2026-12-03: left out.)"""
    p = min(max(first_stage, 1e-4), 1 - 1e-4)
    return [math.log(p / (1 - p)), density]


def revise(
    findings: Sequence[Finding], n_words: int, params: Mapping[str, Any] | None
) -> list[Finding]:
    """`in_context` under the second-stage parameters `params` (None: unchanged)."""
    if params is None:
        return list(findings)
    density = features(findings, n_words)[0]
    bias, weights = params["bias"], params["weights"]
    out = []
    for f in findings:
        xs = context_features(f.confidence, density)
        z = bias + sum(w * x for w, x in zip(weights, xs, strict=True))
        conf = _probability(z)
        out.append(replace(f, confidence=conf,
                           replacements=tuple(replace(r, confidence=conf)
                                              for r in f.replacements)))
    return out


def confidence_cut(config: Config) -> float:
    """The least confidence a discovery finding needs to be reported.

    `Config.min_confidence` (or `neural_min_confidence`) when set, else the cut fitted
    with the model for the clean-text false-flag budget it records.
    """
    chosen = config.neural_min_confidence if config.neural else config.min_confidence
    if chosen is not None:
        return chosen
    return float(_params(scorer_name(config), config.calibration)["cut"])
