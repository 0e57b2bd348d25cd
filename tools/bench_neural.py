"""Benchmark of the neural scorer (`unspin[neural]`): load time, tokens/s, realistic workload.

Workload: a ~1,000-word news text (the first BBC article of 900-1,100 words in
`--data`/news, else embedded paragraphs), split into sentences; every sentence is scored
together with 5 variants that swap its middle content word for a synonym, in one
`NeuralLM.score` call (the engine's access pattern). Mode `window` scores the same variants
but stops 3 words after the swapped word (`score_spans` with a short suffix), the cheaper
alternative for the engine. Every configuration runs in a fresh subprocess, so load time
and peak RSS are its own. Prints a Markdown table.

    .venv/bin/python tools/bench_neural.py [--data ../shared/data] [--threads 1 2] [--batch 512]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = 5
WINDOW_WORDS = 3
FALLBACK_SYNONYMS = ["matter", "thing", "issue", "point", "part", "case"]
FALLBACK_TEXT = """\
The city council voted on Tuesday to close two of its oldest libraries, a decision that
drew hundreds of residents to a meeting that ran late into the night. Officials said the
buildings needed repairs that would cost more than the service could raise in a decade,
and that the money would be better spent on longer opening hours at the central branch.
Parents and teachers argued that children in the poorer districts would lose the only
quiet place they had to study after school. One head teacher told the council that half of
her pupils had no computer at home and relied on the library to finish their homework.
The leader of the council said she understood the anger but that the budget left few
choices. Grants from the national government have fallen by a third since the start of the
decade, while the cost of social care for older people has continued to rise. A campaign
group has promised to challenge the decision in court, arguing that the council failed to
consult properly before the vote. Its lawyers say the law requires a full assessment of
how the closures would affect disabled residents, and that no such study was published.
Meanwhile, volunteers in one neighbourhood have offered to run their branch themselves,
as has happened in several other towns. Critics of that model say that volunteer libraries
often struggle to stay open once the first wave of enthusiasm fades, and that they cannot
offer the same range of services as trained staff. Supporters reply that a library run by
volunteers is better than no library at all. The council will publish a final plan next
month, after a further round of talks with community groups and local businesses.
"""


def load_text(data: Path | None) -> tuple[str, str]:
    """(source label, text): a ~1,000-word BBC article when available, else the fallback."""
    path = data / "news" / "bbc_news_2225.dev.jsonl" if data else None
    if path and path.is_file():
        with path.open(encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                if 900 <= len(row["text"].split()) <= 1100:
                    return f"BBC {row['id']} ({row['title']})", row["text"]
    text = " ".join(FALLBACK_TEXT.split())
    return "embedded paragraphs x3", " ".join([text] * 3)


def synonyms_of(word: str) -> list[str]:
    """Up to VARIANTS one-word synonyms from unspin's thesaurus, padded with fillers."""
    found: list[str] = []
    try:
        from unspin.discovery.lexicon import default_thesaurus

        for link in default_thesaurus().originals(word):
            cand = link.original
            if cand.isalpha() and cand != word and cand not in found:
                found.append(cand)
    except (ImportError, AttributeError):  # thesaurus API changed: fillers still time it
        pass
    found.extend(s for s in FALLBACK_SYNONYMS if s != word and s not in found)
    return found[:VARIANTS]


def workload(text: str) -> list[tuple[str, list[str], str, list[str]]]:
    """Per sentence: (prefix, [observed word, *synonyms], suffix words) around the swap."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]
    jobs = []
    for sentence in sentences:
        words = sentence.split()
        slots = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and len(w) >= 4]
        if not slots:
            jobs.append(("", [sentence], "", []))
            continue
        k = min(slots, key=lambda i: abs(i - len(words) / 2))
        options = [words[k], *synonyms_of(words[k])]
        jobs.append((" ".join(words[:k]), options, "", words[k + 1 :]))
    return jobs


def run_one(args: argparse.Namespace) -> dict[str, float | int | str]:
    """One configuration in this process: load, score the workload, measure."""
    source, text = load_text(args.data)
    jobs = workload(text)
    start = time.perf_counter()
    from unspin.discovery.neural import NeuralLM

    lm = NeuralLM(n_threads=args.threads[0], n_batch=args.batch[0], n_ctx=args.n_ctx)
    load_s = time.perf_counter() - start
    lm.score(["Warm up the model ."])
    lm.reset()
    lm.tokens_evaluated = 0
    start = time.perf_counter()
    for prefix, options, _, rest in jobs:
        if args.mode == "window":
            lm.score_spans(prefix, options, " ".join(rest[:WINDOW_WORDS]))
        else:
            lm.score([" ".join(p for p in (prefix, o, *rest) if p) for o in options])
    work_s = time.perf_counter() - start
    words = len(text.split())
    return {
        "source": source,
        "mode": args.mode,
        "threads": args.threads[0],
        "batch": args.batch[0],
        "load_s": load_s,
        "sentences": len(jobs),
        "texts": sum(len(j[1]) for j in jobs),
        "words": words,
        "tokens": lm.tokens_evaluated,
        "tok_s": lm.tokens_evaluated / work_s,
        "work_s": work_s,
        "s_per_1k": work_s / words * 1000,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_avg": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, nargs="+", default=[8, 32, 512])
    parser.add_argument("--modes", nargs="+", default=["full", "window"])
    parser.add_argument("--n-ctx", type=int, default=512)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return
    from unspin.discovery.neural import INSTALL_HINT, NeuralLM

    if not NeuralLM.available():
        sys.exit(f"bench_neural: {INSTALL_HINT}")
    rows = []
    for mode in args.modes:
        for threads in args.threads:
            for batch in args.batch:
                cmd = [
                    sys.executable,
                    __file__,
                    "--one",
                    "--data",
                    str(args.data),
                    "--threads",
                    str(threads),
                    "--batch",
                    str(batch),
                    "--mode",
                    mode,
                    "--n-ctx",
                    str(args.n_ctx),
                ]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                rows.append(json.loads(out.strip().splitlines()[-1]))
                print(f"  {mode} threads={threads} batch={batch}: done", file=sys.stderr)
    first = rows[0]
    print(
        f"text: {first['source']}, {first['words']} words, {first['sentences']} sentences, "
        f"{VARIANTS} variants each; 1-min load average at the end: "
        f"{max(r['load_avg'] for r in rows):.2f}\n"
    )
    print(
        "| mode | threads | n_batch | load s | texts | tokens run | tokens/s "
        "| s per 1k words | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = [
            r["mode"],
            r["threads"],
            r["batch"],
            f"{r['load_s']:.2f}",
            r["texts"],
            r["tokens"],
            f"{r['tok_s']:.0f}",
            f"{r['s_per_1k']:.1f}",
            f"{r['rss_mib']:.0f}",
        ]
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
