"""Fit the confidence and document-score models on the DEV split; write data/calibration.json.

1. Finding confidence: logistic regression of "this discovery proposal hits a real
   spinner edit" on `unspin.score.finding_features`, over proposals from dev spun news
   and dev science abstracts with held-out PPS pairs (the known list is off for those pairs).
2. Document score: logistic regression of "spun" on `unspin.score.features` over dev
   spun documents (news, held-out-pair and listed-pair abstracts) and clean ones.
The test split is never read here; `make eval` reports on it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import replace
from pathlib import Path

import datasets
from spinner import Spun

import unspin
from unspin.score import confidence, features, finding_features
from unspin.tokens import words

OUT = Path(__file__).resolve().parents[1] / "src/unspin/data/calibration.json"


def fit_logistic(xs: list[list[float]], ys: list[int], l2: float = 1e-3) -> list[float]:
    """Newton-Raphson logistic regression; returns [bias, w1, w2, ...]."""
    dim = len(xs[0]) + 1
    w = [0.0] * dim
    rows = [[1.0, *x] for x in xs]
    for _ in range(50):
        grad = [0.0] * dim
        hess = [[0.0] * dim for _ in range(dim)]
        for x, y in zip(rows, ys, strict=True):
            z = sum(a * b for a, b in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for a in range(dim):
                grad[a] += (p - y) * x[a]
                for b in range(dim):
                    hess[a][b] += p * (1 - p) * x[a] * x[b]
        for a in range(dim):
            grad[a] += l2 * w[a]
            hess[a][a] += l2
        step = _solve(hess, grad)
        w = [a - s for a, s in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return w


def _solve(m: list[list[float]], v: list[float]) -> list[float]:
    """Gaussian elimination for the small Newton systems."""
    n = len(v)
    a = [row[:] + [v[i]] for i, row in enumerate(m)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(n):
            if r != c and a[c][c]:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c], strict=True)]
    return [a[i][n] / a[i][i] if a[i][i] else 0.0 for i in range(n)]


def _probe(doc: Spun, report: unspin.Report) -> list[tuple[list[float], int]]:
    """(confidence features, hit?) for every discovery finding of a document."""
    out = []
    for f in report.findings:
        ev = f.evidence
        if ev.get("source") != "thesaurus":
            continue
        hit = any(f.offset < e.offset + e.length and e.offset < f.end for e in doc.edits)
        xs = finding_features(
            float(ev["gain_log10"]),
            float(ev["score_log10"]) - float(ev["gain_log10"]),
            int(ev["original_elsewhere_in_text"]),
            int(ev["observed_count_in_text"]),
            len(ev["links"]),
        )
        out.append((xs, int(hit)))
    return out


def _threshold(scores: list[float], clean_words: int, per_1k: float) -> float:
    """The lowest confidence that keeps clean flags within `per_1k` per 1,000 words."""
    allowed = int(per_1k * clean_words / 1000)
    ranked = sorted(scores, reverse=True)
    return ranked[allowed] + 1e-4 if allowed < len(ranked) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=150, help="documents per set")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--neural", action="store_true",
                        help="fit the neural path's confidence model only (needs unspin[neural])")
    args = parser.parse_args()
    scorer = "neural" if args.neural else "fast"
    listed, heldout = datasets.pps_split(datasets.load_pps_pairs(args.data))
    held = frozenset(t.lower() for t, _, _ in heldout)
    base = unspin.Config(known_exclude=held, neural=args.neural)
    probe = replace(base, min_confidence=0.0, neural_min_confidence=0.0)
    spun = datasets.spun_news(args.data, "dev", args.n, args.seed)
    spun += datasets.pps_science(args.data, "dev", heldout, args.n, args.seed)
    # Papers carrying listed phrases too: the known list must weigh in the document score.
    spun += datasets.pps_science(args.data, "dev", listed, args.n // 2, args.seed)
    clean = datasets.clean_docs(args.data, "dev", args.n, args.seed)

    rows: list[tuple[list[float], int]] = []
    for doc in spun:
        rows += _probe(doc, unspin.check(doc.text, config=probe))
    clean_rows: list[tuple[list[float], int]] = []
    for _, text in clean:
        clean_rows += _probe(Spun(text, []), unspin.check(text, config=probe))
    rows += clean_rows
    w = fit_logistic([x for x, _ in rows], [y for _, y in rows])
    model = json.loads(OUT.read_text("utf-8"))
    fitted = {"bias": round(w[0], 4), "weights": [round(v, 4) for v in w[1:]]}
    model.setdefault("confidence", {})[scorer] = fitted
    OUT.write_text(json.dumps(model, indent=2) + "\n", "utf-8")  # confidences depend on it
    clean_words = sum(len(words(t)) for _, t in clean)
    conf = [confidence(x, scorer) for x, _ in clean_rows]
    for budget in (0.25, 0.5, 1.0):
        print(f"min_confidence for {budget} clean flags/1k words: "
              f"{_threshold(conf, clean_words, budget):.3f}")
    if args.neural:  # the document score is fitted on the default (fast) path
        print(json.dumps(model, indent=2))
        return

    xs: list[list[float]] = []
    ys: list[int] = []
    for docs, y in ((spun, 1), ([Spun(t, []) for _, t in clean], 0)):
        for doc in docs:
            report = unspin.check(doc.text, config=probe)  # the cut hides nothing here
            xs.append(features(report.findings, len(words(doc.text))))
            ys.append(y)
    rng = random.Random(args.seed)
    order = list(range(len(xs)))
    rng.shuffle(order)
    w = fit_logistic([xs[i] for i in order], [ys[i] for i in order], l2=1.0)
    model.update(
        note=f"fitted by tools/calibrate.py on dev: {len(rows)} proposals, {len(xs)} documents",
        bias=round(w[0], 4),
        weights=[round(x, 4) for x in w[1:]],
    )
    OUT.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    print(json.dumps(model, indent=2))


if __name__ == "__main__":
    main()
