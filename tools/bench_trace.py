"""Scale benchmark of `unspin.Index` (trace) on a synthetic corpus (`make bench`).

The corpus needs no data: seeded documents of 200-400 words drawn from Zipf
distributions over function words, made-up content words, capitalised made-up names
and numbers, in sentences of 5-30 words (capitalised, a comma now and then, a full
stop). Measures, in one process: index build throughput (generation time excluded)
and its peak RSS; in a fresh process: query latency p50/p95 over queries that are
spun-like copies of indexed documents (half their content words replaced by other
vocabulary words) and unrelated documents, whether those find their original / no
match, and that process's peak RSS; and the index's bytes on disk per document,
extrapolated to 1M documents. Prints a Markdown table.

`--docs 1000000` gives the 1M-document figures (`make bench-trace-1m`; about half an
hour and a few GB of disk).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from unspin.core.tokens import STOPWORDS
from unspin.trace.index import Index

# Function words roughly by English frequency (Zipf rank order); those the fingerprints
# do not treat as function words are left out below.
_FUNCTION_TEXT = """
    the of and to a in that is was for on with as by at from it he his be this are have
    an which has but not were they had or their been its would will also who more after
    about than its into she her there we can other some could all when if only over up
    out no may so these what them then most such between through during before against
    under while where because both those each very until should any few further same
    being does did our your you my me him own here why how off down once again above below
    """
CATEGORIES = ("function", "content", "name", "number")
SHARES = np.array([0.45, 0.43, 0.08, 0.04])
"""Share of each category among the words of a document."""
SIZES = {"content": 50_000, "name": 20_000, "number": 5_000}
ZIPF = {"function": 1.0, "content": 1.05, "name": 1.0, "number": 1.1}
DOC_WORDS = (200, 400)
SENTENCE_WORDS = (5, 30)
COMMA = 0.05
REPLACE = 0.5
"""Share of a sourced query's content words replaced by other vocabulary words."""
BATCH = 2000

# Forms of a word, as bit flags (a row of the rendering table each).
_CAP, _DOT, _COMMA = 1, 2, 4


class Generator:
    """Seeded synthetic documents as word ids and forms, rendered to text on demand."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        words: dict[str, list[str]] = {
            "function": [w for w in dict.fromkeys(_FUNCTION_TEXT.split()) if w in STOPWORDS],
            "content": _made_up(rng, SIZES["content"], 2, 4, set(STOPWORDS)),
            "name": [w.capitalize() for w in _made_up(rng, SIZES["name"], 2, 3, set())],
            "number": _numbers(rng, SIZES["number"]),
        }
        self.offsets: dict[str, int] = {}
        vocabulary: list[str] = []
        self.cdfs: dict[str, npt.NDArray[np.float64]] = {}
        for name in CATEGORIES:
            self.offsets[name] = len(vocabulary)
            vocabulary += words[name]
            weights = 1 / np.arange(1, len(words[name]) + 1) ** ZIPF[name]
            self.cdfs[name] = np.cumsum(weights) / weights.sum()
        self.size = len(vocabulary)
        self.table = np.empty((8, self.size), dtype=object)
        for form in range(8):
            self.table[form] = [_render(w, form) for w in vocabulary]

    def _sample(self, rng: np.random.Generator, name: str, count: int) -> npt.NDArray[np.int64]:
        cdf = self.cdfs[name]
        found = np.searchsorted(cdf, rng.random(count), side="right")
        return self.offsets[name] + np.minimum(found, len(cdf) - 1)

    def batch(self, rng: np.random.Generator, count: int
              ) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]]:
        """`count` documents as (word ids, forms)."""
        lengths = rng.integers(DOC_WORDS[0], DOC_WORDS[1] + 1, count)
        total = int(lengths.sum())
        kinds = np.searchsorted(np.cumsum(SHARES), rng.random(total), side="right")
        kinds = np.minimum(kinds, len(CATEGORIES) - 1)
        ids = np.empty(total, dtype=np.int64)
        for number, name in enumerate(CATEGORIES):
            where = np.flatnonzero(kinds == number)
            ids[where] = self._sample(rng, name, len(where))
        sentences = rng.integers(SENTENCE_WORDS[0], SENTENCE_WORDS[1] + 1,
                                 total // SENTENCE_WORDS[0] + 1)
        ends = np.cumsum(sentences) - 1
        ends = ends[ends < total]
        doc_ends = np.cumsum(lengths) - 1
        forms = np.zeros(total, dtype=np.int8)
        forms[rng.random(total) < COMMA] = _COMMA
        last = np.union1d(ends, doc_ends)
        forms[last] = _DOT
        first = np.concatenate(([0], last[:-1] + 1))
        forms[first] |= _CAP
        starts = np.concatenate(([0], doc_ends[:-1] + 1))
        return [(ids[a : b + 1], forms[a : b + 1]) for a, b in zip(starts, doc_ends, strict=True)]

    def text(self, ids: npt.NDArray[np.int64], forms: npt.NDArray[np.int8]) -> str:
        """The text of a document."""
        return " ".join(self.table[forms, ids].tolist())

    def perturb(self, rng: np.random.Generator, ids: npt.NDArray[np.int64]
                ) -> npt.NDArray[np.int64]:
        """`ids` with `REPLACE` of the content words swapped for other content words."""
        low = self.offsets["content"]
        content = np.flatnonzero((ids >= low) & (ids < low + SIZES["content"]))
        chosen = content[rng.random(len(content)) < REPLACE]
        out = ids.copy()
        out[chosen] = self._sample(rng, "content", len(chosen))
        return out


def _render(word: str, form: int) -> str:
    if form & _CAP:
        word = word[:1].upper() + word[1:]
    if form & _DOT:
        return word + "."
    return word + "," if form & _COMMA else word


def _made_up(rng: np.random.Generator, count: int, shortest: int, longest: int,
             avoid: set[str]) -> list[str]:
    """`count` distinct pronounceable made-up words of `shortest`-`longest` syllables."""
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr ch sh th".split()
    vowels = "a e i o u ai ea io ou".split()
    codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st"]
    out: dict[str, None] = {}
    while len(out) < count:
        need = count - len(out)
        syllables = rng.integers(shortest, longest + 1, need).tolist()
        first = rng.integers(0, len(onsets), (need, longest)).tolist()
        second = rng.integers(0, len(vowels), (need, longest)).tolist()
        ends = rng.integers(0, len(codas), need).tolist()
        for n, o, v, e in zip(syllables, first, second, ends, strict=True):
            word = "".join(onsets[o[k]] + vowels[v[k]] for k in range(n)) + codas[e]
            if word not in avoid:
                out[word] = None
    return list(out)[:count]


def _numbers(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct number strings: years, small counts, thousands with commas."""
    out: dict[str, None] = {str(y): None for y in range(1950, 2031)}
    out.update({str(n): None for n in range(1, 101)})
    while len(out) < count:
        n = int(rng.integers(101, 10_000_000))
        out[f"{n:,}" if n >= 10_000 else str(n)] = None
    return list(out)[:count]


# --- the benchmark ---------------------------------------------------------------------


class Timed:
    """Documents of the corpus for `Index.build`, timing their own generation."""

    def __init__(self, generator: Generator, docs: int, seed: int, keep: set[int]) -> None:
        self.generator, self.docs, self.seed, self.keep = generator, docs, seed, keep
        self.seconds = 0.0
        self.words = 0
        self.kept: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]] = {}

    def __iter__(self) -> Iterator[tuple[str, str]]:
        rng = np.random.default_rng(self.seed)
        for first in range(0, self.docs, BATCH):
            start = time.perf_counter()
            batch = self.generator.batch(rng, min(BATCH, self.docs - first))
            texts = []
            for number, (ids, forms) in enumerate(batch, first):
                texts.append((f"doc-{number:08d}", self.generator.text(ids, forms)))
                self.words += len(ids)
                if number in self.keep:
                    self.kept[number] = (ids, forms)
            self.seconds += time.perf_counter() - start
            yield from texts


def _disk(root: Path) -> dict[str, int]:
    """Bytes on disk under `root` by part: postings (keys and owners), store, ids, other."""
    parts = {"postings": 0, "store": 0, "ids": 0, "other": 0}
    for path in root.rglob("*"):
        if path.is_file():
            name = path.name
            part = ("postings" if name in ("postings.npy", "docs.npy") else
                    "store" if name in ("store.bin", "offsets.npy") else
                    "ids" if name == "ids.txt" else "other")
            parts[part] += path.stat().st_size
    return parts


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: VmHWM where /proc has it (ru_maxrss
    on Linux keeps the parent's peak across fork and exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform != "darwin" else 1024  # KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / scale


def query_child(index_path: Path, queries_path: Path) -> int:
    """Run the queries against the index in this (fresh) process; print JSON results."""
    queries = json.loads(queries_path.read_text(encoding="utf-8"))
    index = Index.open(index_path)
    index.query(queries[0]["text"])  # untimed: first look-up, imports
    out = []
    for q in queries:
        start = time.perf_counter()
        matches = index.query(q["text"])
        out.append({"ms": 1000 * (time.perf_counter() - start), "source": q["source"],
                    "top": matches[0].id if matches else None})
    print(json.dumps({"queries": out, "rss_mib": peak_rss_mib()}))
    return 0


def _percentiles(values: list[float]) -> str:
    if not values:
        return "\u2013"
    return f"{np.percentile(values, 50):.1f} / {np.percentile(values, 95):.1f}"


def main(argv: list[str] | None = None) -> int:
    """Generate, index, query; print a Markdown table (and save JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents to index")
    parser.add_argument("--queries", type=int, default=200,
                        help="queries, half spun-like copies of indexed documents")
    parser.add_argument("--seed", type=int, default=1, help="corpus and query seed")
    parser.add_argument("--dir", type=Path, help="build the index here (default: a temporary "
                        "directory, removed afterwards)")
    parser.add_argument("--json", type=Path, help="also write the measures as JSON here")
    parser.add_argument("--query-child", nargs=2, type=Path, metavar=("INDEX", "QUERIES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.query_child:
        return query_child(*args.query_child)
    start = time.perf_counter()
    generator = Generator(args.seed)
    vocabulary_s = time.perf_counter() - start
    rng = np.random.default_rng(args.seed + 1)
    sourced = args.queries // 2
    picked = rng.choice(args.docs, size=min(sourced, args.docs), replace=False).tolist()
    corpus = Timed(generator, args.docs, args.seed, set(picked))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        print(f"indexing {args.docs:,} synthetic documents ...", file=sys.stderr)
        start = time.perf_counter()
        Index.build(root / "index", corpus)
        build_s = time.perf_counter() - start - corpus.seconds
        build_rss = peak_rss_mib()
        disk = _disk(root / "index")
        queries = []
        for number in picked:
            ids, forms = corpus.kept[number]
            queries.append({"text": generator.text(generator.perturb(rng, ids), forms),
                            "source": f"doc-{number:08d}"})
        unrelated = generator.batch(np.random.default_rng(args.seed + 2),
                                    args.queries - len(queries))
        queries += [{"text": generator.text(ids, forms), "source": None}
                    for ids, forms in unrelated]
        (root / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
        print(f"querying ({len(queries)} queries, fresh process) ...", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, __file__, "--query-child", str(root / "index"),
             str(root / "queries.json")],
            capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(f"bench_trace: query process failed:\n{child.stderr}")
    result = json.loads(child.stdout)
    answered = result["queries"]
    ms = [q["ms"] for q in answered]
    ms_sourced = [q["ms"] for q in answered if q["source"]]
    ms_unrelated = [q["ms"] for q in answered if not q["source"]]
    found = sum(q["top"] == q["source"] for q in answered if q["source"])
    silent = sum(q["top"] is None for q in answered if not q["source"])
    total = sum(disk.values())
    per_doc = total / args.docs
    cores = os.cpu_count()
    rows = [
        ("machine", f"{cores} CPU cores ({platform.machine()}), Python "
                    f"{platform.python_version()}; build and queries single-process"),
        ("corpus", f"{args.docs:,} synthetic documents, {corpus.words / args.docs:.0f} words "
                   f"each on average (seed {args.seed})"),
        ("generation (not counted below)",
         f"{args.docs / corpus.seconds:,.0f} docs/s (+ {vocabulary_s:.1f} s vocabulary)"),
        ("index build", f"{args.docs / build_s:,.0f} docs/s ({build_s:.1f} s)"),
        ("peak RSS, build process", f"{build_rss:,.0f} MiB"),
        ("query latency p50 / p95, all", f"{_percentiles(ms)} ms ({len(ms)} queries)"),
        ("query latency p50 / p95, spun-like copies", f"{_percentiles(ms_sourced)} ms"),
        ("query latency p50 / p95, unrelated", f"{_percentiles(ms_unrelated)} ms"),
        ("spun-like copies traced to their original (top 1)",
         f"{found} / {len(ms_sourced)} ({REPLACE:.0%} of content words replaced)"),
        ("unrelated queries with no match", f"{silent} / {len(ms_unrelated)}"),
        ("peak RSS, query process", f"{result['rss_mib']:,.0f} MiB"),
        ("disk per document", f"{per_doc:,.0f} bytes (postings {disk['postings'] / args.docs:,.0f}"
                              f", store {disk['store'] / args.docs:,.0f}, ids "
                              f"{disk['ids'] / args.docs:,.0f})"),
        ("disk for 1M documents (extrapolated)", f"{per_doc * 1e6 / 2**30:.2f} GiB"),
    ]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        payload = {
            "docs": args.docs, "seed": args.seed, "cores": cores,
            "mean_words": corpus.words / args.docs,
            "generation_docs_per_s": args.docs / corpus.seconds,
            "build_docs_per_s": args.docs / build_s, "build_s": build_s,
            "build_rss_mib": build_rss, "query_rss_mib": result["rss_mib"],
            "query_ms": {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95))},
            "query_ms_sourced": {"p50": float(np.percentile(ms_sourced, 50)),
                                 "p95": float(np.percentile(ms_sourced, 95))},
            "query_ms_unrelated": {"p50": float(np.percentile(ms_unrelated, 50)),
                                   "p95": float(np.percentile(ms_unrelated, 95))},
            "sourced_found": found, "sourced": len(ms_sourced),
            "unrelated_no_match": silent, "unrelated": len(ms_unrelated),
            "disk_bytes": disk, "disk_bytes_per_doc": per_doc,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
