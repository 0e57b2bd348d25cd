"""Spark engine against the local engine on the same corpus (`make bench-spark`).

The corpus is synthetic and seeded: `--docs` documents (default 10,000) of 3-8 sentences
drawn from the bundled texts (examples/*.txt and the golden cases in tests/golden), so
documents differ but stay in the style the engine is tuned for. It is screened to JSON
Lines by the local engine (`screen_corpus`, `--jobs` worker processes, default 2) and
by Spark (`screen_spark`, master `--master`, default local[2]), both from a cold start
(worker processes start and load the models inside the timed run; the start-up of the
Spark session, as `unspin screen --engine spark` starts it, is timed apart). The two
output files must be byte-identical. Prints a Markdown table; the issue's target is Spark
local[2] within 1.5x of the local engine's wall time.

Needs the `spark` extra and Java 17+.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from unspin.screening import screen_corpus

ROOT = Path(__file__).resolve().parent.parent


def sentence_pool() -> list[str]:
    """Sentences of the bundled example texts and golden cases."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("examples/*.txt"))]
    for path in sorted(ROOT.glob("tests/golden/*.json")):
        texts += [case["text"] for case in json.loads(path.read_text(encoding="utf-8"))
                  if isinstance(case, dict) and isinstance(case.get("text"), str)]
    pool = []
    for text in texts:
        pool += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]
    return sorted(set(pool))


def write_corpus(path: Path, docs: int, seed: int) -> int:
    """`docs` seeded documents into `path` as JSON Lines; returns their words."""
    rng = random.Random(seed)
    pool = sentence_pool()
    words = 0
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(docs):
            text = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))
            words += len(text.split())
            handle.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
    return words


def main(argv: list[str] | None = None) -> int:
    """Run both engines and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the corpus")
    parser.add_argument("--jobs", type=int, default=2, help="local engine worker processes")
    parser.add_argument("--master", default="local[2]", help="Spark master")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="unspin-bench-spark-") as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        words = write_corpus(corpus, args.docs, args.seed)

        start = time.perf_counter()
        local = screen_corpus([str(corpus)], folder / "local.jsonl", jobs=args.jobs)
        local_s = time.perf_counter() - start

        # after the local run: its workers fork from this process, which must not hold a JVM
        from unspin.spark import screen_spark, start_session

        start = time.perf_counter()  # the session `unspin screen --engine spark` starts
        session = start_session(args.master, {"spark.ui.showConsoleProgress": "false"})
        startup_s = time.perf_counter() - start
        session.sparkContext.setLogLevel("ERROR")
        start = time.perf_counter()
        spark = screen_spark([str(corpus)], str(folder / "spark.jsonl"))
        spark_s = time.perf_counter() - start
        session.stop()
        same = (folder / "local.jsonl").read_bytes() == (folder / "spark.jsonl").read_bytes()
    assert (local.written, local.skipped) == (spark.written, spark.skipped), (local, spark)
    rows = [
        ("corpus", f"{args.docs:,} documents, {words / args.docs:.0f} words on average "
                   f"(seed {args.seed})"),
        ("machine", f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
                    f"{platform.python_version()}"),
        (f"local engine, jobs={args.jobs}", f"{local_s:.1f} s ({args.docs / local_s:.1f} docs/s)"),
        (f"Spark {args.master}, job", f"{spark_s:.1f} s ({args.docs / spark_s:.1f} docs/s)"),
        ("Spark session start-up", f"{startup_s:.1f} s"),
        ("Spark / local wall time (target ≤ 1.5)", f"{spark_s / local_s:.2f} "
         f"({(spark_s + startup_s) / local_s:.2f} with start-up)"),
        ("outputs byte-identical", "yes" if same else "NO"),
    ]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
