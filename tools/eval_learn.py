"""Spinner profiles (issue 28): learn a spinner from its traced copies, then find and
restore its work in documents whose sources are not indexed.

Per spinner family of tools/folds.py, on the TEST split of the news: the reference index
holds the news of the split except the sources of the scored documents; `unspin.learn`
reads 10, 30 and 100 copies spun from indexed sources (a learning curve); the profile is
then scored on 100 other documents of the same spinner, whose sources are not indexed,
and on clean news and science with the profile loaded. Two configurations are scored:
"profile" (the known list and the profile, discovery off: what the profile adds) and
"default+profile" (everything, the fold's own synonym sources off as in tools/eval.py).

The coverage ceiling is the share of the test edits whose observed phrase the profile
holds (some traced copy showed it as a swap); recall is printed beside it. Pair
precision is the share of the learned (original, observed) pairs that the spinner's
dictionary really holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from datasets import DEFAULT_DATA, Doc, SpunDoc, clean_docs, load_news, spun_news
from eval import _overlaps, _restores, auc, word_change_pct
from folds import COMMERCIAL, FOLDS, Fold

import unspin
from unspin import Config, Index, Report
from unspin.core.records import apply_findings
from unspin.core.tokens import words
from unspin.discovery.profile import Profile
from unspin.pipeline.learn import learn

SIZES = (10, 30, 100)
TEST_N = 100
MIN_CORRECT = 3


@dataclass
class Scored:
    """One profile scored in one configuration."""

    fold: str
    traced_docs: int
    config: str
    pairs: int
    pair_precision: float | None
    coverage: float | None
    span_precision: float | None
    span_recall: float | None
    recall_of_ceiling: float | None
    docs_with_3_correct: float
    covered_undone: float | None
    doc_auc: float | None
    clean_flags_per_1k: float
    clean_restore_changed_pct: float
    learn_docs_per_s: float
    check_ms_per_doc: float


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _key(phrase: str) -> str:
    return " ".join(words(phrase))


def pair_precision(profile: Profile, fold: Fold) -> float | None:
    """Share of the learned pairs that the fold's spinner dictionary holds."""
    forward, names = fold.spin_args()
    true = total = 0
    for entry in profile.entries.values():
        for original in entry.originals:
            total += 1
            options = {_key(o) for o in [*forward.get(original, ()),
                                         *((names or {}).get(original, ()))]}
            true += entry.observed in options
    return _ratio(true, total)


def _reports(texts: Sequence[str], config: Config) -> tuple[list[Report], float]:
    start = time.perf_counter()
    reports = [unspin.check(t, restore=True, config=config) for t in texts]
    return reports, time.perf_counter() - start


def at_cut(report: Report, text: str, cut: float) -> Report:
    """`report` as if `Config.profile_min_confidence` were `cut` (>= the one it ran at):
    the weaker profile findings dropped and the text restored again."""
    kept = tuple(f for f in report.findings
                 if f.evidence.get("source") != "profile" or f.confidence >= cut)
    return Report(report.score, report.verdict, kept, apply_findings(text, kept))


def score(fold: Fold, traced: int, name: str, profile: Profile, config: Config,
          test: Sequence[SpunDoc], clean: Sequence[Doc], learn_rate: float,
          cuts: Sequence[float]) -> list[Scored]:
    """Span, document and clean-text metrics of `config` (a profile loaded) on `test`,
    at each confidence cut of `cuts` (the run is made once, at the lowest)."""
    config = replace(config, profile_min_confidence=min(cuts))
    all_reports, seconds = _reports([d.text for d in test], config)
    all_clean, _ = _reports([t for _, t in clean], config)
    rows = []
    for cut in cuts:
        reports = [at_cut(r, d.text, cut) for r, d in zip(all_reports, test, strict=True)]
        clean_reports = [at_cut(r, t, cut) for r, (_, t) in zip(all_clean, clean, strict=True)]
        rows.append(_metrics(fold, traced, f"{name} @{cut:g}", profile, test, clean, reports,
                             clean_reports, learn_rate, seconds))
    return rows


def _metrics(fold: Fold, traced: int, name: str, profile: Profile, test: Sequence[SpunDoc],
             clean: Sequence[Doc], reports: Sequence[Report], clean_reports: Sequence[Report],
             learn_rate: float, seconds: float) -> Scored:
    gold = found = hits = flagged = covered = undone = 0
    rich = 0
    for doc, report in zip(test, reports, strict=True):
        lexical = [f for f in report.findings if f.kind == "lexical"]
        flagged += len(lexical)
        correct = [f for f in lexical if any(_overlaps(f, e) for e in doc.edits)]
        hits += len(correct)
        rich += len(correct) >= MIN_CORRECT
        for edit in doc.edits:
            gold += 1
            found += any(_overlaps(f, edit) for f in lexical)
            if _key(edit.observed) in profile.entries:
                covered += 1
                undone += any(_restores(f, edit) for f in lexical)
    clean_words = sum(len(t.split()) for _, t in clean)
    clean_flags = sum(sum(f.kind == "lexical" for f in r.findings) for r in clean_reports)
    changed = sum(word_change_pct(t, r.restored or t) * len(t.split())
                  for (_, t), r in zip(clean, clean_reports, strict=True))
    recall = _ratio(found, gold)
    coverage = _ratio(covered, gold)
    return Scored(
        fold.name, traced, name, profile.pairs, pair_precision(profile, fold), coverage,
        _ratio(hits, flagged), recall,
        None if recall is None or not coverage else recall / coverage,
        rich / len(test), _ratio(undone, covered),
        auc([r.score for r in reports], [r.score for r in clean_reports]),
        1000 * clean_flags / clean_words, changed / clean_words, learn_rate,
        1000 * seconds / len(test))


def _cell(value: float | int | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def markdown(rows: Sequence[Scored]) -> str:
    head = ("| fold | traced | config | pairs | pair prec. | span P | span R | ceiling | "
            "R / ceiling | docs >= 3 correct | covered undone | doc AUC | clean flags/1k | "
            "clean restore % |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r.fold} | {r.traced_docs} | {r.config} | {r.pairs} | "
            f"{_cell(r.pair_precision, '.3f')} | {_cell(r.span_precision, '.3f')} | "
            f"{_cell(r.span_recall, '.3f')} | {_cell(r.coverage, '.3f')} | "
            f"{_cell(r.recall_of_ceiling, '.3f')} | {r.docs_with_3_correct:.2f} | "
            f"{_cell(r.covered_undone, '.3f')} | {_cell(r.doc_auc, '.3f')} | "
            f"{r.clean_flags_per_1k:.2f} | {r.clean_restore_changed_pct:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build the reference index, learn each fold's profile, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=("test", "dev"), default="test")
    parser.add_argument("--folds", default=",".join(f.name for f in (*FOLDS, COMMERCIAL)))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="traced documents per profile (a learning curve)")
    parser.add_argument("--test-n", type=int, default=TEST_N)
    parser.add_argument("--clean-n", type=int, default=100,
                        help="clean news and science documents each")
    parser.add_argument("--default", action="store_true",
                        help="also score the default configuration with the profile")
    parser.add_argument("--cuts", default=str(Config().profile_min_confidence),
                        help="Config.profile_min_confidence values to score (one run)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    cuts = [float(c) for c in args.cuts.split(",")]
    wanted = args.folds.split(",")
    try:
        news = load_news(args.data, args.split)
        clean = clean_docs(args.data, args.split, args.clean_n, args.seed)
    except FileNotFoundError as error:
        sys.exit(f"eval_learn: {error}")
    rows: list[Scored] = []
    with tempfile.TemporaryDirectory() as tmp:
        for fold in (*FOLDS, COMMERCIAL):
            if fold.name not in wanted:
                continue
            forward, names = fold.spin_args()
            spun = spun_news(args.data, args.split, max(sizes) + args.test_n,
                             args.seed, forward, names)
            train, test = spun[: max(sizes)], spun[max(sizes) :]
            hidden = {d.id for d in test}
            reference = [d for d in news if d[0] not in hidden]
            print(f"fold {fold.name}: indexing {len(reference)} documents ...", file=sys.stderr)
            index = Index.build(Path(tmp) / f"index-{fold.name}", reference)
            base = fold.config(Config())
            for size in sizes:
                start = time.perf_counter()
                profile = learn([(d.id, d.text) for d in train[:size]], index,
                                name=f"{fold.name}-{size}")
                rate = size / (time.perf_counter() - start)
                path = Path(tmp) / f"{fold.name}-{size}.jsonl"
                profile.save(path)
                print(f"  {size} traced -> {profile.documents_traced} traced, "
                      f"{profile.pairs} pairs ({rate:.1f} docs/s)", file=sys.stderr)
                only = replace(base, discovery=False, profiles=(str(path),))
                new = score(fold, size, "profile", profile, only, test, clean, rate, cuts)
                if args.default and size == max(sizes):
                    full = replace(base, profiles=(str(path),))
                    new += score(fold, size, "default+profile", profile, full, test, clean,
                                 rate, cuts)
                rows += new
                print(markdown(new), file=sys.stderr)
    print(f"Spinner profiles ({args.split} split, seed {args.seed}): learned from N traced "
          f"copies, scored on {args.test_n} copies of the same spinner whose sources are "
          f"not indexed, and on {args.clean_n} clean news + {args.clean_n} clean science.")
    print()
    print(markdown(rows))
    default_cut = f"profile @{Config().profile_min_confidence:g}"
    worst = [r for r in rows if r.traced_docs == max(sizes) and r.config == default_cut]
    if worst:
        print()
        print("worst fold (100 traced, profile): "
              + ", ".join(f"{k} {min(getattr(r, k) or 0 for r in worst):.3f}"
                          for k in ("span_precision", "recall_of_ceiling",
                                    "docs_with_3_correct", "covered_undone", "doc_auc")))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
