"""Throughput and start-up benchmark of unspin (`make bench`).

Library: words/second of a warm `unspin.check` (after one untimed call) on a fixed
text built from the repo's examples, repeated for at least two seconds. CLI:
median wall time of five cold `unspin` processes. Screening: documents/second of
`screen_corpus` (the engine of `unspin screen`) over a synthetic corpus of the bundled
examples, with one worker and with one per CPU (pool start-up included), and the
parallel efficiency, jobs=N speed / (jobs=1 speed x N) (the issue's target is at least
0.8), and the peak RSS of `unspin screen` on a corpus and on one 4x larger (equal when
screening streams). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import unspin
from unspin.discovery.tagger import BASE_PACKAGE
from unspin.screening import default_jobs, screen_corpus

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "spun_news.txt", ROOT / "examples" / "spun_abstract.txt"]
FALLBACK = (
    "The profound learning technique was prepared on a colossal dataset of pictures. Our "
    "outcomes demonstrate that the proposed neural organization beats the best in class "
    "strategies on three benchmark datasets, while utilizing far less registering power. "
    "Stock costs rose pointedly on Tuesday after the organization declared that its "
    "quarterly benefits had multiplied, driven by solid interest for its cloud "
    "administrations and a rebound in promoting deals."
)


def bench_text() -> str:
    """The benchmark text: the spun examples, or an embedded paragraph if they are absent."""
    parts = [p.read_text(encoding="utf-8").strip() for p in EXAMPLES if p.is_file()]
    return "\n\n".join(parts) if parts else FALLBACK


def example_text(words: int) -> str:
    """`words` words: the bundled examples repeated as paragraphs, the last one cut at
    the word count (a cold check of a typical document; the web service's benchmark
    text)."""
    texts = [p.read_text(encoding="utf-8").strip() for p in sorted(ROOT.glob("examples/*.txt"))]
    texts = texts or [FALLBACK]
    parts: list[str] = []
    left = words
    while left > 0:
        paragraph = texts[len(parts) % len(texts)]
        ends = [m.end() for m in re.finditer(r"\S+", paragraph)][:left]
        parts.append(paragraph[: ends[-1]])
        left -= len(ends)
    return "\n\n".join(parts)


def warm_throughput(
    text: str, min_seconds: float, config: unspin.Config | None = None
) -> tuple[float, int]:
    """Words/second of `unspin.check(text)` after one untimed call, and the call count."""
    unspin.check(text, config=config)
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        unspin.check(text, config=config)
        calls += 1
    return len(text.split()) * calls / elapsed, calls


def screening_speed(texts: list[str], docs: int, jobs: int, folder: Path) -> float:
    """Documents/second of `screen_corpus` over `docs` documents cycling through `texts`,
    with `jobs` workers, written to JSON Lines (the models are loaded beforehand)."""
    corpus = folder / "corpus.jsonl"
    if not corpus.exists():
        with open(corpus, "w", encoding="utf-8") as handle:
            for i in range(docs):
                handle.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")
    return timed_screen(corpus, folder / f"out{jobs}.jsonl", jobs, docs)[0]


def html_page(text: str, number: int) -> str:
    """`text` as a news page: navigation, the article's paragraphs, a footer."""
    paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n") if part.strip())
    links = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(30))
    return (f"<!DOCTYPE html><html><head><title>Story {number}</title></head><body>"
            f"<nav><ul>{links}</ul></nav><article><h1>Story {number}</h1>{paragraphs}"
            "</article><footer>All rights reserved.</footer></body></html>")


def screening_pages_speed(texts: list[str], docs: int, jobs: int, folder: Path
                          ) -> tuple[float, float]:
    """Documents/second of `screen_corpus` over a directory of `docs` HTML pages, with
    `jobs` workers, and the CPU milliseconds per document of this process, which feeds
    the workers: 1000 / that is the most documents a second any number of workers can
    be fed (the pages' text is extracted in the workers)."""
    pages = folder / "pages"
    if not pages.exists():
        pages.mkdir()
        for i in range(docs):
            (pages / f"{i:05d}.html").write_text(html_page(texts[i % len(texts)], i), "utf-8")
    return timed_screen(pages, folder / f"pages{jobs}.jsonl", jobs, docs)


def timed_screen(corpus: Path, output: Path, jobs: int, docs: int) -> tuple[float, float]:
    """Documents/second of `screen_corpus` over `corpus`, and the CPU milliseconds per
    document this process spent (the workers' time not counted)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    summary = screen_corpus([str(corpus)], output, jobs=jobs)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert summary.written == docs, summary
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return docs / elapsed, 1000 * cpu / docs


_PEAK_RSS = (
    "import sys\n"
    "from unspin.cli import main\n"
    "main(sys.argv[1:])\n"
    "for line in open('/proc/self/status'):\n"
    "    if line.startswith('VmHWM:'):\n"
    "        print(int(line.split()[1]) / 1024)\n"
)


def screening_memory(texts: list[str], docs: int, folder: Path) -> float:
    """Peak RSS (MiB) of one `unspin screen --jobs 1` process over `docs` documents: equal
    figures for a small and a 4x larger corpus show the screening is streamed."""
    corpus = folder / f"memory{docs}.jsonl"
    with open(corpus, "w", encoding="utf-8") as handle:
        for i in range(docs):
            handle.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, "screen", str(corpus), "-o",
         str(folder / f"memory{docs}.out.jsonl"), "--jobs", "1"],
        capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def print_table(rows: list[tuple[str, str]]) -> None:
    """Print (measure, value) rows as a Markdown table (shared by the bench tools)."""
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def cli_median(argv: list[str], runs: int) -> float:
    """Median wall seconds of `runs` fresh processes running `argv`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum timed duration")
    parser.add_argument("--runs", type=int, default=5, help="CLI processes per command")
    parser.add_argument("--screen-docs", type=int, default=400,
                        help="documents of the screening corpus")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="workers of the parallel screening run (default: one per CPU)")
    args = parser.parse_args(argv)
    cli = Path(sys.executable).parent / "unspin"
    if not cli.is_file():
        sys.exit(f"bench: CLI not found at {cli} (run `make bench` to install it)")
    text = bench_text()
    start = time.perf_counter()
    unspin.check(text)
    first = time.perf_counter() - start
    speed, calls = warm_throughput(text, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        sample = EXAMPLES[0]
        if not sample.is_file():
            sample = Path(tmp) / "sample.txt"
            sample.write_text(FALLBACK, encoding="utf-8")
        version = cli_median([str(cli), "--version"], args.runs)
        checked = cli_median([str(cli), "check", str(sample)], args.runs)
        long_file = Path(tmp) / "400-words.txt"
        long_file.write_text(example_text(400) + "\n", encoding="utf-8")
        long_words = len(long_file.read_text(encoding="utf-8").split())
        checked_400 = cli_median([str(cli), "check", str(long_file)], args.runs)
        examples = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("examples/*.txt"))]
        examples = examples or [FALLBACK]
        serial = screening_speed(examples, args.screen_docs, 1, Path(tmp))
        parallel = screening_speed(examples, args.screen_docs, args.jobs, Path(tmp))
        pages = (screening_pages_speed(examples, args.screen_docs, args.jobs, Path(tmp))
                 if importlib.util.find_spec("trafilatura") else None)
        small = screening_memory(examples, args.screen_docs, Path(tmp))
        large = screening_memory(examples, 4 * args.screen_docs, Path(tmp))
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    source = ", ".join(p.name for p in EXAMPLES if p.is_file()) or "embedded paragraph"
    rows = [
        ("text", f"{len(text.split())} words ({source})"),
        ("first `check` call (loads models)", f"{first:.3f} s"),
        ("warm `check` throughput", f"{speed:,.0f} words/s ({calls} calls)"),
        (f"`unspin --version` (median of {args.runs})", f"{version:.3f} s"),
        (f"`unspin check {sample.name}` (median of {args.runs})", f"{checked:.3f} s"),
        (f"`unspin check` of a {long_words}-word file (median of {args.runs}; target ≤ 0.8 s)",
         f"{checked_400:.3f} s"),
        (f"`screen` throughput, jobs=1 ({args.screen_docs} example documents)",
         f"{serial:,.1f} docs/s"),
        (f"`screen` throughput, jobs={args.jobs}", f"{parallel:,.1f} docs/s"),
        ("`screen` parallel efficiency (target ≥ 0.8)",
         f"{parallel / (serial * args.jobs):.2f}"),
        (f"`screen` throughput, jobs={args.jobs}, a directory of {args.screen_docs} HTML pages "
         "(feeding process: CPU per page)",
         f"{pages[0]:,.1f} docs/s ({pages[1]:.1f} ms)" if pages else "(no formats extra)"),
        (f"`screen --jobs 1` peak RSS, {args.screen_docs} / {4 * args.screen_docs} documents",
         f"{small:.0f} / {large:.0f} MiB"),
        ("peak RSS, this process", f"{self_rss:.0f} MiB"),
        ("peak RSS, largest CLI process", f"{child_rss:.0f} MiB"),
    ]
    if EXAMPLES[0].is_file() and importlib.util.find_spec(BASE_PACKAGE) is not None:
        tagged, tagged_calls = warm_throughput(text, args.seconds, unspin.Config(tagger=True))
        cold = cli_median([str(cli), "check", "--tagger", str(EXAMPLES[0])], args.runs)
        rows[3:3] = [
            ("warm `check --tagger` throughput (tagger path)",
             f"{tagged:,.0f} words/s ({tagged_calls} calls)"),
            (f"`unspin check --tagger {EXAMPLES[0].name}` (median of {args.runs})",
             f"{cold:.3f} s"),
        ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
