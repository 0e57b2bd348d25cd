"""End-to-end evaluation of `unspin.check` on the TEST split of the development data.

Leave-one-source-out (tools/folds.py): for each fold, news spun by a spinner drawing
from one synonym source (rate 0.3-0.5 per document) is checked with that source switched
off, and clean news and science are checked with the same configuration; the worst fold
is the headline. The commercial dictionary spinner (folds.COMMERCIAL) is a sixth fold.
Then science abstracts with held-out PPS pairs planted (so only discovery can find
them) and clean news and science, with every source on. Prints
Markdown tables of span precision/recall, restoration, document AUC, false flags and
throughput.

A second table measures `unspin.repair`: spun and clean news damaged by tools/damage.py
(quote marks and possessives pasted 1-6 characters early, half of them, seeded) and how
much of the damage it undoes, and how much of the clean sets it changes.
`--repair-only` prints just that table.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import calibrate
import numpy as np
from damage import Paste, damage
from datasets import (
    DEFAULT_DATA,
    Doc,
    SpunDoc,
    clean_docs,
    domain_of,
    load_pps_pairs,
    pps_science,
    pps_split,
    spun_news,
)
from folds import SPINNERS, Fold
from spinner import Edit, load_forward

import unspin
from unspin import Config, Finding, Report
from unspin.core.records import apply_findings
from unspin.core.tokens import Token, sentences, words
from unspin.discovery.sources import sources_for
from unspin.repair import find_repairs

DAMAGE_RATE = 0.5


@dataclass
class SetMetrics:
    """Metrics of one evaluation set; None where a metric does not apply."""

    docs: int
    words: int
    seconds: float
    findings: int
    flags_per_1k_words: float
    restore_changed_pct: float
    gold_edits: int | None = None
    span_precision: float | None = None
    span_recall: float | None = None
    restoration_rate: float | None = None
    words_undone: float | None = None
    word_error_spun_pct: float | None = None
    word_error_restored_pct: float | None = None
    doc_auc: float | None = None
    candidate_coverage: float | None = None
    """Share of gold edits whose original is among the candidate sources' originals for
    the observed wording: the recall discovery could reach with a perfect scorer."""


def as_span(text: str) -> list[Token]:
    """All word tokens of a short text (an edit's wording), as one span."""
    return [t for sent in sentences(text) for t in sent]


def candidate_coverage(docs: Sequence[SpunDoc], config: Config) -> float | None:
    """`SetMetrics.candidate_coverage` of `docs` under the sources of `config`."""
    sources = sources_for(config)
    covered = total = 0
    for doc in docs:
        for edit in doc.edits:
            span = as_span(edit.observed)
            total += 1
            wanted = " ".join(words(edit.original))
            covered += any(link.original == wanted for link in sources.originals(span, span))
    return _ratio(covered, total)


def _overlaps(finding: Finding, edit: Edit) -> bool:
    """Whether a finding's span and a gold edit's span share a code point."""
    return finding.offset < edit.offset + edit.length and edit.offset < finding.end


def _restores(finding: Finding, edit: Edit) -> bool:
    """Whether a finding has exactly the edit's span and proposes the original first."""
    return (
        finding.offset == edit.offset
        and finding.length == edit.length
        and bool(finding.replacements)
        and finding.replacements[0].value.lower() == edit.original.lower()
    )


def changed_words(reference: str, other: str) -> set[int]:
    """Indices of `reference` words not matched in `other` (word-level difflib diff)."""
    ref, hyp = reference.lower().split(), other.lower().split()
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    kept = {b.a + k for b in matcher.get_matching_blocks() for k in range(b.size)}
    return set(range(len(ref))) - kept


def word_change_pct(reference: str, other: str) -> float:
    """Percent of `reference` words not matched in `other`."""
    size = len(reference.split())
    return 100.0 * len(changed_words(reference, other)) / size if size else 0.0


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Mann-Whitney AUC: P(positive score > negative score), ties counting half (from
    ranks, so word-level sets of many thousands stay fast)."""
    if not len(positives) or not len(negatives):
        return None
    scores = np.concatenate([np.asarray(positives, float), np.asarray(negatives, float)])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # tied scores share their mean rank
    n = len(positives)
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * len(negatives)))


def _ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def _run(texts: Sequence[str], config: Config) -> tuple[list[Report], float]:
    """Reports (with restoration) for `texts` and the seconds `check` took in all."""
    reports = []
    elapsed = 0.0
    for text in texts:
        start = time.perf_counter()
        reports.append(unspin.check(text, restore=True, config=config))
        elapsed += time.perf_counter() - start
    return reports, elapsed


def _base(texts: Sequence[str], reports: Sequence[Report], seconds: float) -> SetMetrics:
    """The metrics every set has: size, speed, flags and changes made by restore."""
    words = sum(len(t.split()) for t in texts)
    findings = sum(sum(f.kind == "lexical" for f in r.findings) for r in reports)
    changed = sum(
        word_change_pct(t, r.restored or t) * len(t.split())
        for t, r in zip(texts, reports, strict=True)
    )
    return SetMetrics(
        docs=len(texts),
        words=words,
        seconds=seconds,
        findings=findings,
        flags_per_1k_words=1000 * findings / words if words else 0.0,
        restore_changed_pct=changed / words if words else 0.0,
    )


def evaluate_clean(docs: Sequence[Doc], config: Config) -> tuple[SetMetrics, list[float]]:
    """Metrics of a clean set and its document scores."""
    texts = [text for _, text in docs]
    reports, seconds = _run(texts, config)
    return _base(texts, reports, seconds), [r.score for r in reports]


def evaluate_spun(
    docs: Sequence[SpunDoc], config: Config, clean_scores: Sequence[float]
) -> SetMetrics:
    """Metrics of a spun set against its gold edits and the clean scores of its domain."""
    texts = [d.text for d in docs]
    reports, seconds = _run(texts, config)
    metrics = _base(texts, reports, seconds)
    gold = hits = found = restored = spun_words = undone = 0
    err_spun = err_restored = 0.0
    for doc, report in zip(docs, reports, strict=True):
        lexical = [f for f in report.findings if f.kind == "lexical"]
        edits = doc.edits
        gold += len(edits)
        hits += sum(any(_overlaps(f, e) for e in edits) for f in lexical)
        found += sum(any(_overlaps(f, e) for f in lexical) for e in edits)
        restored += sum(any(_restores(f, e) for f in lexical) for e in edits)
        size = len(doc.original.split())
        damaged = changed_words(doc.original, doc.text)
        spun_words += len(damaged)
        undone += len(damaged - changed_words(doc.original, report.restored or doc.text))
        err_spun += word_change_pct(doc.original, doc.text) * size
        err_restored += word_change_pct(doc.original, report.restored or doc.text) * size
    originals = sum(len(d.original.split()) for d in docs)
    metrics.gold_edits = gold
    metrics.span_precision = _ratio(hits, metrics.findings)
    metrics.span_recall = _ratio(found, gold)
    metrics.restoration_rate = _ratio(restored, gold)
    metrics.words_undone = _ratio(undone, spun_words)
    metrics.word_error_spun_pct = err_spun / originals if originals else None
    metrics.word_error_restored_pct = err_restored / originals if originals else None
    metrics.doc_auc = auc([r.score for r in reports], clean_scores)
    metrics.candidate_coverage = candidate_coverage(docs, config)
    return metrics


@dataclass
class RepairMetrics:
    """`unspin.repair` on one set; the damage columns are None for clean sets."""

    docs: int
    chars: int
    seconds: float
    findings: int
    changed_pct: float
    pastes: int | None = None
    overwritten_restored: float | None = None
    lost_restored: float | None = None
    changed_elsewhere: int | None = None


def changed_chars(reference: str, other: str) -> set[int]:
    """Indices of `reference` characters not matched in `other` (character-level diff)."""
    matcher = difflib.SequenceMatcher(a=reference, b=other, autojunk=False)
    kept = {b.a + k for b in matcher.get_matching_blocks() for k in range(b.size)}
    return set(range(len(reference))) - kept


def overwritten_restored(
    original: str, damaged: str, pastes: Sequence[Paste], repaired: str
) -> tuple[int, int]:
    """(restored, total) characters a paste overwrote: those it changed, and of them
    those back in place in `repaired` (matched by a character-level diff)."""
    hit = {j for p in pastes for j in range(p.offset, p.offset + len(p.token))
           if original[j] != damaged[j]}
    return len(hit - changed_chars(original, repaired)), len(hit)


def lost_restored(
    original: str, damaged: str, pastes: Sequence[Paste], repaired: str
) -> tuple[int, int]:
    """(restored, total) characters of the damaged stretches that no longer appear in the
    damaged text at all (a diff finds the pasted token's real copy, so for a possessive
    only what it hid is lost), and of them those back in `repaired`."""
    lost = {j for j in changed_chars(original, damaged)
            if any(p.offset <= j < p.offset + p.length for p in pastes)}
    return len(lost - changed_chars(original, repaired)), len(lost)


def _repairs(texts: Sequence[str]) -> tuple[list[list[Finding]], list[str], float]:
    """Repair findings and repaired texts for `texts`, and the seconds it took."""
    start = time.perf_counter()
    found = [find_repairs(t) for t in texts]
    seconds = time.perf_counter() - start
    return found, [apply_findings(t, f) for t, f in zip(texts, found, strict=True)], seconds


def evaluate_repair_clean(docs: Sequence[Doc]) -> RepairMetrics:
    """How much `unspin.repair` changes clean text (each change is a false repair)."""
    texts = [text for _, text in docs]
    found, repaired, seconds = _repairs(texts)
    chars = sum(len(t) for t in texts)
    changed = sum(len(changed_chars(t, r)) for t, r in zip(texts, repaired, strict=True))
    return RepairMetrics(len(texts), chars, seconds, sum(map(len, found)),
                         100.0 * changed / chars if chars else 0.0)


def evaluate_repair_damaged(docs: Sequence[Doc], seed: int) -> RepairMetrics:
    """How much damage `unspin.repair` undoes on `docs` damaged by tools/damage.py."""
    rng = random.Random(seed)
    pairs = [(text, *damage(text, rng, DAMAGE_RATE)) for _, text in docs]
    pairs = [(text, damaged, pastes) for text, damaged, pastes in pairs if pastes]
    found, repaired, seconds = _repairs([damaged for _, damaged, _ in pairs])
    over = lost = elsewhere = changed = 0
    over_total = lost_total = 0
    for (text, damaged, pastes), fixed in zip(pairs, repaired, strict=True):
        got, total = overwritten_restored(text, damaged, pastes, fixed)
        over, over_total = over + got, over_total + total
        got, total = lost_restored(text, damaged, pastes, fixed)
        lost, lost_total = lost + got, lost_total + total
        wrong = changed_chars(text, fixed)
        changed += len(wrong)
        elsewhere += sum(not any(p.offset <= j < p.offset + p.length for p in pastes)
                         for j in wrong)
    chars = sum(len(text) for text, _, _ in pairs)
    return RepairMetrics(
        len(pairs), chars, seconds, sum(map(len, found)),
        100.0 * changed / chars if chars else 0.0,
        pastes=sum(len(p) for _, _, p in pairs),
        overwritten_restored=_ratio(over, over_total),
        lost_restored=_ratio(lost, lost_total),
        changed_elsewhere=elsewhere,
    )


def repair_markdown(results: dict[str, RepairMetrics]) -> str:
    """The repair results as a Markdown table, one row per set."""
    header = ("| set | docs | chars | pastes | repairs | overwritten chars restored "
              "| lost chars restored | chars changed outside the damage "
              "| chars changed by repair % | chars/s |")
    lines = [header, "|---" * (header.count("|") - 1) + "|"]
    for name, m in results.items():
        cells = [
            name, str(m.docs), str(m.chars), _cell(m.pastes, "d"), str(m.findings),
            _cell(m.overwritten_restored, ".3f"), _cell(m.lost_restored, ".3f"),
            _cell(m.changed_elsewhere, "d"), f"{m.changed_pct:.4f}",
            _cell(m.chars / m.seconds if m.seconds else None, ",.0f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | int | None, spec: str) -> str:
    """A table cell: the formatted value, or an en dash when it does not apply."""
    return "\u2013" if value is None else format(value, spec)


def markdown(results: dict[str, SetMetrics]) -> str:
    """The results as a Markdown table, one row per set."""
    header = (
        "| set | docs | words | gold edits | findings | span P | span R | restored exactly "
        "| spun words undone "
        "| word err % spun \u2192 restored | doc AUC | flags / 1k words "
        "| words changed by restore % | words/s |"
    )
    lines = [header, "|---" * (header.count("|") - 1) + "|"]
    for name, m in results.items():
        error = (
            "\u2013"
            if m.word_error_spun_pct is None or m.word_error_restored_pct is None
            else f"{m.word_error_spun_pct:.1f} \u2192 {m.word_error_restored_pct:.1f}"
        )
        speed = m.words / m.seconds if m.seconds else None
        cells = [
            name,
            str(m.docs),
            str(m.words),
            _cell(m.gold_edits, "d"),
            str(m.findings),
            _cell(m.span_precision, ".3f"),
            _cell(m.span_recall, ".3f"),
            _cell(m.restoration_rate, ".3f"),
            _cell(m.words_undone, ".3f"),
            error,
            _cell(m.doc_auc, ".3f"),
            f"{m.flags_per_1k_words:.2f}",
            f"{m.restore_changed_pct:.2f}",
            _cell(speed, ",.0f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass
class FoldMetrics:
    """One leave-one-source-out fold: its spun news and the clean sets, same config."""

    spun: SetMetrics
    clean_news: SetMetrics
    clean_science: SetMetrics


def evaluate_fold(
    fold: Fold, config: Config, data: Path, split: str, n: int, seed: int,
    clean_news: Sequence[Doc], clean_science: Sequence[Doc], train_n: int,
) -> FoldMetrics:
    """Spin news with the fold's source; check it and the clean sets without that source,
    under confidence and document models fitted (on dev) on the spinners of the folds
    that share no source with it (`Fold.trainers`), and with `Config.tagger` the tagger
    `make tagger-eval` trained against it (build/tagger-<fold>.npz)."""
    cfg = fold.config(config)
    if config.tagger:  # never a tagger trained on this fold's spinner
        tagger = fold.tagger_path()
        if not tagger.is_file():
            sys.exit(f"eval: {tagger} is missing (make tagger-eval trains the fold taggers)")
        cfg = replace(cfg, tagger_model=str(tagger))
    if train_n:
        model = calibrate.fit(cfg, fold.trainers(), data, train_n, seed + 100)
        path = Path(tempfile.mkdtemp(prefix="unspin-eval-")) / f"{fold.name}.json"
        path.write_text(json.dumps(model), "utf-8")
        cfg = replace(cfg, calibration=str(path))
    news_metrics, news_scores = evaluate_clean(clean_news, cfg)
    science_metrics, _ = evaluate_clean(clean_science, cfg)
    spun = spun_news(data, split, n, seed, *fold.spin_args())
    return FoldMetrics(evaluate_spun(spun, cfg, news_scores), news_metrics, science_metrics)


_FOLD_COLUMNS = (
    ("gold edits", lambda f: f.spun.gold_edits, "d", min),
    ("original among candidates", lambda f: f.spun.candidate_coverage, ".3f", min),
    ("span P", lambda f: f.spun.span_precision, ".3f", min),
    ("span R", lambda f: f.spun.span_recall, ".3f", min),
    ("restored exactly", lambda f: f.spun.restoration_rate, ".3f", min),
    ("spun words undone", lambda f: f.spun.words_undone, ".3f", min),
    ("doc AUC", lambda f: f.spun.doc_auc, ".3f", min),
    ("clean news flags / 1k", lambda f: f.clean_news.flags_per_1k_words, ".2f", max),
    ("clean science flags / 1k", lambda f: f.clean_science.flags_per_1k_words, ".2f", max),
    ("restore changes clean news %", lambda f: f.clean_news.restore_changed_pct, ".2f", max),
    ("restore changes clean science %",
     lambda f: f.clean_science.restore_changed_pct, ".2f", max),
    ("words/s", lambda f: f.spun.words / f.spun.seconds if f.spun.seconds else None, ",.0f", min),
)


def fold_markdown(folds: dict[str, FoldMetrics]) -> str:
    """One row per fold, then the worst value of each column (the headline)."""
    header = "| fold (source off) | " + " | ".join(c[0] for c in _FOLD_COLUMNS) + " |"
    lines = [header, "|---" * (len(_FOLD_COLUMNS) + 1) + "|"]
    for name, fold in folds.items():
        cells = [_cell(get(fold), spec) for _, get, spec, _ in _FOLD_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    worst = []
    for _, get, spec, pick in _FOLD_COLUMNS:
        values = [v for v in (get(f) for f in folds.values()) if v is not None]
        worst.append(_cell(pick(values) if values else None, spec))
    lines.append("| **worst fold** | " + " | ".join(f"**{c}**" for c in worst) + " |")
    return "\n".join(lines)


def overridden(base: Config, items: Sequence[str]) -> Config:
    """`base` with each `--set FIELD=VALUE` applied, the value read as the type of the
    field's default ("true"/"1" for booleans)."""
    changes: dict[str, object] = {}
    for item in items:
        name, _, value = item.partition("=")
        default = getattr(base, name)
        if isinstance(default, bool):
            changes[name] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, frozenset):
            changes[name] = frozenset(v for v in value.split(",") if v)
        else:
            changes[name] = float(value) if default is None else type(default)(value)
    return replace(base, **changes)


def main(argv: list[str] | None = None) -> int:
    """Build the test sets, run `unspin.check` on each, print (and save) the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="development data folder")
    parser.add_argument("--n", type=int, default=150, help="documents per set")
    parser.add_argument("--seed", type=int, default=1, help="sampling and spinning seed")
    parser.add_argument("--json", type=Path, help="also write the metrics as JSON here")
    parser.add_argument("--split", choices=("test", "dev"), default="test",
                        help="report on test (default); tune only on dev")
    parser.add_argument("--repair-only", action="store_true",
                        help="measure only unspin.repair (fast)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a numeric Config field, e.g. --set min_gain=3")
    parser.add_argument("--folds", default=",".join(f.name for f in SPINNERS),
                        help="comma-separated folds to run (default: all, the commercial "
                             "dictionary spinner included)")
    parser.add_argument("--train-n", type=int, default=160,
                        help="dev documents each fold's models are fitted on (0: the shipped "
                             "models, fitted on every spinner: not leave-one-out)")
    args = parser.parse_args(argv)
    try:
        _, heldout = pps_split(load_pps_pairs(args.data))
        clean = clean_docs(args.data, args.split, args.n, args.seed)
        news = spun_news(args.data, args.split, args.n, args.seed, load_forward())
        science = pps_science(args.data, args.split, heldout, args.n, args.seed)
    except FileNotFoundError as error:
        sys.exit(f"eval: {error}")
    held = frozenset(tortured.lower() for tortured, _, _ in heldout)
    base = Config(known_exclude=held)
    config = overridden(base, args.set)
    print("evaluating ...", file=sys.stderr)
    clean_news_docs = [d for d in clean if domain_of(d[0]) == "news"]
    repairs = {
        "damaged spun news": evaluate_repair_damaged([(d.id, d.text) for d in news], args.seed),
        "damaged clean news": evaluate_repair_damaged(clean_news_docs, args.seed),
        "clean news": evaluate_repair_clean(clean_news_docs),
        "clean science": evaluate_repair_clean(
            [d for d in clean if domain_of(d[0]) == "science"]),
    }
    results: dict[str, SetMetrics] = {}
    folds: dict[str, FoldMetrics] = {}
    if not args.repair_only:
        clean_science_docs = [d for d in clean if domain_of(d[0]) == "science"]
        wanted = args.folds.split(",")
        for fold in SPINNERS:
            if fold.name in wanted:
                print(f"fold {fold.name} ...", file=sys.stderr)
                folds[fold.name] = evaluate_fold(
                    fold, config, args.data, args.split, args.n, args.seed,
                    clean_news_docs, clean_science_docs, args.train_n)
        clean_news, news_scores = evaluate_clean(clean_news_docs, config)
        clean_science, science_scores = evaluate_clean(clean_science_docs, config)
        results = {
            "PPS science (held out)": evaluate_spun(science, config, science_scores),
            "clean news": clean_news,
            "clean science": clean_science,
        }
        expected = len({e.lower() for _, e, _ in heldout})
        print("Leave-one-source-out spun news (tools/folds.py): each fold's spinner draws "
              "from one source, and discovery runs without it on the spun and the clean sets.")
        print()
        print(fold_markdown(folds))
        print()
        print(
            f"Every source on. Held out {len(heldout)} PPS pairs ({expected} expected phrases, "
            f"20% by SHA-1 of the expected phrase); their {len(held)} tortured phrases are "
            f"excluded from the known list (Config.known_exclude) in every set."
        )
        print()
        print(markdown(results))
        print()
    print(f"Repair: news damaged by tools/damage.py (rate {DAMAGE_RATE}, seed {args.seed}; "
          f"a spun copy and the clean article), and the clean sets as they are.")
    print()
    print(repair_markdown(repairs))
    if args.json:
        payload = {
            "n": args.n,
            "seed": args.seed,
            "folds": {name: asdict(m) for name, m in folds.items()},
            "sets": {name: asdict(m) for name, m in results.items()},
            "repair": {name: asdict(m) for name, m in repairs.items()},
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
