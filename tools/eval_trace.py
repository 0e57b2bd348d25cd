"""Evaluation of `unspin` trace (finding the source of a spun text) on news, beside MinHash.

Reference corpus: the BBC and Reuters news of one split (tools/datasets.py), exact
duplicate texts removed (the first id kept). A random set of documents is held out
of it as unsourced queries; any of them with a near-duplicate left in the reference
(some reference document holds >= 20% of its raw word 3-grams: Reuters repeats
stories) is dropped, so every negative is honestly unsourced. Queries, spun by
tools/spinner.py at a rate drawn from uniform(0.3, 0.7) per document:

* full copy: a whole reference document, spun;
* half excerpt: a contiguous half of that spun copy, cut at sentence boundaries;
* unsourced: each held-out document spun, and as it is;
* hard unsourced: held-out documents that share >= 20% of their word 3-grams with some
  reference document (same outlet and topic, boilerplate: earnings tables, market and
  sports reports, follow-ups of one story) but hold no copied passage of it (under
  `COPIED` of their word 8-grams in any one document), spun and as they are. A match
  for one of them is a false accusation too.

Methods: `unspin.Index` (skeleton fingerprints, `Config.trace_min_score`) and the
plain-MinHash baseline of near-duplicate tools (datasketch, text-dedup): exact word
5-gram shingles, 128 permutations, LSH with 32 bands of 4 rows (threshold ~0.42); its
match is the LSH candidate with the highest estimated Jaccard, when over the threshold.

Prints a Markdown table per method (recall@1 is a hit when the top match is the
source), then unspin's raw score quantiles (true source / best match of an unsourced
query, with no threshold) and the range of `trace_min_score` giving >= 0.95 on both
sides: calibrate on --split dev, report on test.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from unittest import mock

import numpy as np
import numpy.typing as npt
from datasets import DEFAULT_DATA, Doc, load_news
from eval import overridden
from folds import COMMERCIAL, FOLDS, Fold
from spinner import Spun, load_forward, spin

from unspin import Config
from unspin.trace.index import Index

NEAR_DUP = 0.2
"""Share of a document's raw word 3-grams another document must hold to count as its
near-duplicate (negatives with one in the reference are dropped)."""
COPIED = 0.2
"""Share of a document's word 8-grams one reference document may hold before it counts
as a copy (a hard negative holds less: it shares phrases, not passages)."""
RATE = (0.3, 0.7)
TARGET = 0.97
_WORD = re.compile(r"\w+")
_BOUNDARY = re.compile(r"[.!?][\"')\]\u201d\u2019]*\s+|\n\s*\n")

Result = list[tuple[str, float]]
"""A method's answer to a query: (id, score) best first, at most 5."""


@dataclass
class Query:
    """One query: its kind ("full", "half", "unsourced spun", "unsourced plain"), its
    text, and the id of its source (None when unsourced)."""

    kind: str
    text: str
    source: str | None


@dataclass
class MethodMetrics:
    """The metrics of one method over the query set."""

    recall1_full: float
    recall1_half: float
    recall5: float
    no_match_unsourced: float
    no_match_unsourced_spun: float
    no_match_unsourced_plain: float
    no_match_hard: float
    mean_query_ms: float
    build_docs_per_s: float
    misses_to_near_duplicates: int = 0
    misses: int = 0


# --- the query set -------------------------------------------------------------------


def dedup(docs: Sequence[Doc]) -> tuple[list[Doc], int]:
    """`docs` without exact-duplicate texts (the first id kept), and how many went."""
    seen: set[str] = set()
    out: list[Doc] = []
    for doc_id, text in docs:
        if text not in seen:
            seen.add(text)
            out.append((doc_id, text))
    return out, len(docs) - len(out)


def trigrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """The distinct lower-case word n-grams of `text` (raw words, no normalisation)."""
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def containment(part: str, whole: str) -> float:
    """Share of `part`'s word 3-grams that `whole` holds."""
    grams = trigrams(part)
    return len(grams & trigrams(whole)) / len(grams) if grams else 0.0


def max_containment(queries: Sequence[str], reference: Sequence[str], n: int = 3
                    ) -> list[float]:
    """For each query text, the largest share of its n-grams held by one reference text
    (an inverted index over the queries' n-grams, scanned once over the reference)."""
    grams = [trigrams(q, n) for q in queries]
    owners: dict[tuple[str, ...], list[int]] = {}
    for number, gs in enumerate(grams):
        for g in gs:
            owners.setdefault(g, []).append(number)
    keys = owners.keys()
    best = [0.0] * len(queries)
    for text in reference:
        counts: dict[int, int] = {}
        for g in trigrams(text, n) & keys:
            for number in owners[g]:
                counts[number] = counts.get(number, 0) + 1
        for number, count in counts.items():
            best[number] = max(best[number], count / max(len(grams[number]), 1))
    return best


def half_excerpt(text: str, rng: random.Random) -> str:
    """A contiguous run of whole sentences of `text` holding about half its words
    (the first half of the words when `text` is one sentence)."""
    cuts = [0] + [m.end() for m in _BOUNDARY.finditer(text)] + [len(text)]
    spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if text[a:b].strip()]
    sizes = [len(text[a:b].split()) for a, b in spans]
    half = sum(sizes) / 2
    starts = [i for i in range(len(spans)) if sum(sizes[i:]) >= half]
    if len(spans) < 2 or not starts:
        words = text.split()
        return " ".join(words[: len(words) // 2])
    first = rng.choice(starts)
    last, count = first, sizes[first]
    while count < half:
        last += 1
        count += sizes[last]
    return text[spans[first][0] : spans[last][1]].strip()


def word_change(original: str, spun: str) -> float:
    """Share of `original`'s words not matched in `spun` (word-level diff)."""
    a, b = original.lower().split(), spun.lower().split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return 1 - kept / len(a) if a else 0.0


@dataclass
class Setup:
    """The reference corpus, the queries and what it took to make them honest."""

    reference: list[Doc]
    queries: list[Query]
    exact_duplicates: int
    negatives_drawn: int
    negatives_dropped: int
    mean_word_change: float


def make_setup(docs: Sequence[Doc], n: int, negatives: int, seed: int,
               fold: Fold | None = None, rate: tuple[float, float] = RATE) -> Setup:
    """Split `docs` into the reference and held-out negatives, and spin the queries (with
    the lexicon's map, or `fold`'s spinner, at a rate drawn from `rate`)."""
    unique, duplicates = dedup(docs)
    rng = random.Random(seed)
    order = list(range(len(unique)))
    rng.shuffle(order)
    held = set(order[:negatives])
    reference = [d for i, d in enumerate(unique) if i not in held]
    drawn = [unique[i] for i in order[:negatives]]
    overlap = max_containment([t for _, t in drawn], [t for _, t in reference])
    kept = [d for d, c in zip(drawn, overlap, strict=True) if c < NEAR_DUP]
    close = [d for d, c in zip(drawn, overlap, strict=True) if c >= NEAR_DUP]
    copied = max_containment([t for _, t in close], [t for _, t in reference], 8)
    hard = [d for d, c in zip(close, copied, strict=True) if c < COPIED]
    forward, names = load_forward(), None
    if fold is not None:
        forward, names = fold.spin_args()

    def spun(text: str) -> Spun:
        return spin(text, forward, rng, rng.uniform(*rate), names)

    queries: list[Query] = []
    changes: list[float] = []
    sourced = [unique[i] for i in order[negatives:]]
    for doc_id, text in sourced:
        if len(changes) == n:
            break
        copy = spun(text)
        if not copy.edits:
            continue
        changes.append(word_change(text, copy.text))
        queries.append(Query("full", copy.text, doc_id))
        queries.append(Query("half", half_excerpt(copy.text, rng), doc_id))
    for _, text in kept:
        queries.append(Query("unsourced spun", spun(text).text, None))
        queries.append(Query("unsourced plain", text, None))
    for _, text in hard:
        queries.append(Query("hard spun", spun(text).text, None))
        queries.append(Query("hard plain", text, None))
    return Setup(reference, queries, duplicates, len(drawn), len(drawn) - len(kept) - len(hard),
                 sum(changes) / len(changes) if changes else 0.0)


# --- the MinHash baseline --------------------------------------------------------------

_PRIME = np.uint64(4294967291)  # the largest prime under 2**32: a*x + b stays under 2**64


class MinHashLSH:
    """MinHash signatures of exact word 5-gram shingles in an LSH table (bands x rows)."""

    def __init__(self, permutations: int = 128, bands: int = 32, seed: int = 1) -> None:
        if permutations % bands:
            raise ValueError("permutations must be a multiple of bands")
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(_PRIME), permutations, dtype=np.uint64)
        self.b = rng.integers(0, int(_PRIME), permutations, dtype=np.uint64)
        self.bands, self.rows = bands, permutations // bands
        self.threshold = (1 / bands) ** (1 / self.rows)
        self.tables: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]
        self.ids: list[str] = []
        self.signatures: list[npt.NDArray[np.uint32]] = []
        self._matrix: npt.NDArray[np.uint32] | None = None

    def signature(self, text: str) -> npt.NDArray[np.uint32]:
        """The MinHash signature of `text`'s lower-case word 5-grams (all words if fewer)."""
        words = _WORD.findall(text.lower())
        shingles = {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}
        x = np.array([zlib.crc32(s.encode()) for s in shingles], dtype=np.uint64)
        return ((x[:, None] * self.a + self.b) % _PRIME).min(axis=0).astype(np.uint32)

    def _keys(self, signature: npt.NDArray[np.uint32]) -> list[bytes]:
        return [band.tobytes() for band in signature.reshape(self.bands, self.rows)]

    def add(self, doc_id: str, text: str) -> None:
        """Index one document."""
        signature = self.signature(text)
        number = len(self.ids)
        self.ids.append(doc_id)
        self.signatures.append(signature)
        for table, key in zip(self.tables, self._keys(signature), strict=True):
            table.setdefault(key, []).append(number)
        self._matrix = None

    def query(self, text: str, top: int = 5) -> Result:
        """The LSH candidates over the threshold, by estimated Jaccard, best first."""
        if self._matrix is None:
            self._matrix = np.stack(self.signatures)
        signature = self.signature(text)
        found: set[int] = set()
        for table, key in zip(self.tables, self._keys(signature), strict=True):
            found.update(table.get(key, ()))
        if not found:
            return []
        candidates = np.array(sorted(found))
        jaccard = (self._matrix[candidates] == signature).mean(axis=1)
        order = np.argsort(-jaccard, kind="stable")[:top]
        return [(self.ids[candidates[i]], float(jaccard[i])) for i in order
                if jaccard[i] >= self.threshold]


# --- running and scoring ---------------------------------------------------------------


def run_queries(ask: Callable[[str], Result], queries: Sequence[Query]) -> tuple[list[Result],
                                                                               float]:
    """Each query's result and the mean milliseconds per query."""
    results = []
    elapsed = 0.0
    for q in queries:
        start = time.perf_counter()
        results.append(ask(q.text))
        elapsed += time.perf_counter() - start
    return results, 1000 * elapsed / len(queries) if queries else 0.0


def _rate(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def score(queries: Sequence[Query], results: Sequence[Result], ms: float, build: float,
          texts: dict[str, str]) -> MethodMetrics:
    """The metrics of one method's results (`texts`: the reference by id, to tell a
    miss on a near-duplicate of the source from a plain miss)."""
    def hit1(kind: str) -> list[bool]:
        return [bool(r) and r[0][0] == q.source for q, r in zip(queries, results, strict=True)
                if q.kind == kind]

    sourced = [(q, r) for q, r in zip(queries, results, strict=True) if q.source]
    misses = [(q, r) for q, r in sourced if r and r[0][0] != q.source]
    near = sum(containment(texts[str(q.source)], texts[r[0][0]]) >= NEAR_DUP
               or containment(texts[r[0][0]], texts[str(q.source)]) >= NEAR_DUP
               for q, r in misses)

    def empty(kinds: tuple[str, ...]) -> float:
        return _rate([not r for q, r in zip(queries, results, strict=True) if q.kind in kinds])

    return MethodMetrics(
        recall1_full=_rate(hit1("full")),
        recall1_half=_rate(hit1("half")),
        recall5=_rate([q.source in [i for i, _ in r[:5]] for q, r in sourced]),
        no_match_unsourced=empty(("unsourced spun", "unsourced plain")),
        no_match_unsourced_spun=empty(("unsourced spun",)),
        no_match_unsourced_plain=empty(("unsourced plain",)),
        no_match_hard=empty(("hard spun", "hard plain")),
        mean_query_ms=ms,
        build_docs_per_s=build,
        misses_to_near_duplicates=near,
        misses=len(misses),
    )


def raw_scores(index: Index, queries: Sequence[Query], config: Config) -> list[Result]:
    """Every re-ranked candidate of each query with its score, no threshold applied
    (alignment is skipped: it does not change the scores and costs the most)."""
    loose = replace(config, trace_min_score=0.0)
    with mock.patch("unspin.trace.index.align", lambda query, source: []):
        return [[(m.id, m.score) for m in index.query(q.text, top=config.trace_candidates,
                                                       config=loose)] for q in queries]


def calibrate(queries: Sequence[Query], raw: Sequence[Result]) -> dict[str, object]:
    """Score quantiles of true sources and of unsourced queries' best matches, a
    threshold sweep, and the `trace_min_score` range meeting the targets."""
    def source_scores(kind: str) -> list[float]:
        return [dict(r).get(str(q.source), 0.0) for q, r in zip(queries, raw, strict=True)
                if q.kind == kind]

    def top_is_source(kind: str) -> list[tuple[bool, float]]:
        return [(bool(r) and r[0][0] == q.source, r[0][1] if r else 0.0)
                for q, r in zip(queries, raw, strict=True) if q.kind == kind]

    best = {kind: [r[0][1] if r else 0.0 for q, r in zip(queries, raw, strict=True)
                   if q.kind == kind]
            for kind in ("unsourced spun", "unsourced plain", "hard spun", "hard plain")}
    negatives = [s for scores in best.values() for s in scores]
    levels = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    sets = {"source of full copy": source_scores("full"),
            "source of half excerpt": source_scores("half"),
            "best match, unsourced spun": best["unsourced spun"],
            "best match, unsourced plain": best["unsourced plain"],
            "best match, hard unsourced": best["hard spun"] + best["hard plain"]}
    quantiles = {name: {str(p): float(np.quantile(v, p)) for p in levels} if v else {}
                 for name, v in sets.items()}
    sweep = []
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        full = _rate([hit and s >= t for hit, s in top_is_source("full")])
        half = _rate([hit and s >= t for hit, s in top_is_source("half")])
        none = _rate([s < t for s in negatives])
        sweep.append({"threshold": float(t), "recall1_full": full, "recall1_half": half,
                      "no_match_unsourced": none})
    ok = [row["threshold"] for row in sweep
          if min(row["recall1_full"], row["recall1_half"], row["no_match_unsourced"]) >= TARGET]
    if ok:
        low, high = min(ok), max(ok)
        recommended = round((low + high) / 2, 2)
    else:  # no threshold meets both targets: the one with the best worst side
        worst = max(sweep, key=lambda row: min(row["recall1_full"], row["recall1_half"],
                                               row["no_match_unsourced"]))
        low = high = None
        recommended = worst["threshold"]
    return {"quantiles": quantiles, "sweep": sweep, "feasible": [low, high],
            "recommended": recommended}


# --- output ------------------------------------------------------------------------------


def markdown(results: dict[str, MethodMetrics]) -> str:
    """The methods' metrics as a Markdown table, one row per method."""
    header = ("| method | recall@1 full copies | recall@1 half excerpts | recall@5 "
              "| unsourced with no match (spun / plain) | hard unsourced with no match "
              "| mean query ms | build docs/s |")
    lines = [header, "|---" * (header.count("|") - 1) + "|"]
    for name, m in results.items():
        lines.append(
            f"| {name} | {m.recall1_full:.3f} | {m.recall1_half:.3f} | {m.recall5:.3f} "
            f"| {m.no_match_unsourced:.3f} ({m.no_match_unsourced_spun:.3f} / "
            f"{m.no_match_unsourced_plain:.3f}) | {m.no_match_hard:.3f} | {m.mean_query_ms:.1f} "
            f"| {m.build_docs_per_s:,.0f} |")
    return "\n".join(lines)


def calibration_markdown(calibration: dict[str, object], current: float) -> str:
    """unspin's score quantiles and the threshold sweep around the targets."""
    quantiles = calibration["quantiles"]
    assert isinstance(quantiles, dict)
    levels = list(next(iter(quantiles.values())).keys()) if quantiles else []
    lines = ["| raw unspin score (no threshold) | " + " | ".join(f"q{float(p):g}" for p in levels)
             + " |", "|---" * (len(levels) + 1) + "|"]
    for name, qs in quantiles.items():
        lines.append(f"| {name} | " + " | ".join(f"{qs[p]:.3f}" for p in levels) + " |")
    lines += ["", "| trace_min_score | recall@1 full | recall@1 half | unsourced no match |",
              "|---|---|---|---|"]
    sweep = calibration["sweep"]
    assert isinstance(sweep, list)
    marks = {round(current, 2), calibration["recommended"]}
    for row in sweep:
        t = row["threshold"]
        if round(t * 100) % 5 == 0 or t in marks:
            label = f"{t:.2f}" + (" (current)" if t == round(current, 2) else "") + (
                " (recommended)" if t == calibration["recommended"] else "")
            lines.append(f"| {label} | {row['recall1_full']:.3f} | {row['recall1_half']:.3f} "
                         f"| {row['no_match_unsourced']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build the reference and queries, run both methods, print (and save) the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="development data folder")
    parser.add_argument("--n", type=int, default=300, help="sourced documents (2 queries each)")
    parser.add_argument("--negatives", type=int, default=600,
                        help="documents held out of the reference as unsourced queries")
    parser.add_argument("--seed", type=int, default=1, help="sampling and spinning seed")
    parser.add_argument("--json", type=Path, help="also write the metrics as JSON here")
    parser.add_argument("--split", choices=("test", "dev"), default="test",
                        help="report on test (default); calibrate only on dev")
    parser.add_argument("--no-baseline", action="store_true", help="skip the MinHash baseline")
    parser.add_argument("--fold", choices=[f.name for f in (*FOLDS, COMMERCIAL)],
                        help="spin with this family's spinner (tools/folds.py; default: the "
                             "lexicon's map)")
    parser.add_argument("--rate", type=float,
                        help=f"spin every query at this rate (default: uniform{RATE})")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a Config field, e.g. --set trace_min_score=0.3")
    args = parser.parse_args(argv)
    base = Config()
    config = overridden(base, args.set)
    try:
        docs = load_news(args.data, args.split)
    except FileNotFoundError as error:
        sys.exit(f"eval_trace: {error}")
    print("building the query set ...", file=sys.stderr)
    fold = next((f for f in (*FOLDS, COMMERCIAL) if f.name == args.fold), None)
    rate = RATE if args.rate is None else (args.rate, args.rate)
    setup = make_setup(docs, args.n, args.negatives, args.seed, fold, rate)
    queries, reference = setup.queries, setup.reference
    texts = dict(reference)
    results: dict[str, MethodMetrics] = {}
    print(f"indexing {len(reference)} documents ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = Index.build(Path(tmp) / "index", reference)
        build = len(reference) / (time.perf_counter() - start)

        def ask(text: str) -> Result:
            return [(m.id, m.score) for m in index.query(text, top=5, config=config)]

        index.query(queries[0].text, config=config)  # untimed: opens the store
        found, ms = run_queries(ask, queries)
        results["unspin trace"] = score(queries, found, ms, build, texts)
        print("calibrating ...", file=sys.stderr)
        calibration = calibrate(queries, raw_scores(index, queries, config))
    if not args.no_baseline:
        print("MinHash baseline ...", file=sys.stderr)
        lsh = MinHashLSH(seed=args.seed)
        start = time.perf_counter()
        for doc_id, text in reference:
            lsh.add(doc_id, text)
        build = len(reference) / (time.perf_counter() - start)
        found, ms = run_queries(lsh.query, queries)
        name = f"MinHash 5-gram LSH ({lsh.bands}x{lsh.rows}, threshold {lsh.threshold:.2f})"
        results[name] = score(queries, found, ms, build, texts)
    counts = {kind: sum(q.kind == kind for q in queries)
              for kind in ("full", "half", "unsourced spun", "unsourced plain", "hard spun")}
    print(
        f"Trace on news ({args.split} split, seed {args.seed}): {len(reference)} reference "
        f"documents ({setup.exact_duplicates} exact duplicates removed); queries: "
        f"{counts['full']} spun full copies ({args.fold or 'lexicon'} spinner, rate "
        f"{'uniform' + str(RATE) if args.rate is None else args.rate}, mean "
        f"{100 * setup.mean_word_change:.0f}% of words changed), {counts['half']} half "
        f"excerpts of them, {counts['unsourced spun']} unsourced documents spun and as they "
        f"are, {counts['hard spun']} hard unsourced documents spun and as they are "
        f"({setup.negatives_drawn} held out; {setup.negatives_dropped} dropped as copies: "
        f">= {COPIED:.0%} of their word 8-grams in one reference document). unspin: "
        f"trace_min_score {config.trace_min_score}, trace_candidates "
        f"{config.trace_candidates}.")
    print()
    print(markdown(results))
    print()
    for name, m in results.items():
        print(f"{name}: {m.misses} sourced queries topped by a wrong document, "
              f"{m.misses_to_near_duplicates} of them a near-duplicate of the source.")
    print()
    print(calibration_markdown(calibration, config.trace_min_score))
    print()
    low, high = calibration["feasible"]
    if low is None:
        print(f"No trace_min_score gives >= {TARGET} on every side; the best worst side is at "
              f"{calibration['recommended']}.")
    else:
        print(f"trace_min_score in [{low:.2f}, {high:.2f}] gives >= {TARGET} recall@1 (full and "
              f"half) and unsourced no-match; recommended (midpoint): "
              f"{calibration['recommended']:.2f}.")
    if args.json:
        payload = {
            "split": args.split, "n": args.n, "seed": args.seed,
            "reference_docs": len(reference), "exact_duplicates": setup.exact_duplicates,
            "negatives_drawn": setup.negatives_drawn,
            "negatives_dropped": setup.negatives_dropped,
            "mean_word_change": setup.mean_word_change, "queries": counts,
            "config": {"trace_min_score": config.trace_min_score,
                       "trace_candidates": config.trace_candidates},
            "methods": {name: asdict(m) for name, m in results.items()},
            "calibration": calibration,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
