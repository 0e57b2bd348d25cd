"""Speed of spinner profiles (`make bench`): `unspin.learn` against a 20,000-document
index, and what a loaded profile adds to `unspin.check`.

The reference index holds news and science abstracts of ../shared/data (both splits,
up to --index-docs); --learn-docs news documents of the index are spun by the
commercial-dictionary family (tools/folds.py) and learned from, timed end to end
(tracing, alignment, the reference sample, the model fits). Then --check-docs other
spun news documents are checked with the default configuration, without and with the
learned profile, the two taking turns, best of five passes each. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from datasets import DEFAULT_DATA, load_news, load_science, spun_news
from folds import COMMERCIAL

import unspin
from unspin import Config, Index


def timed_checks(texts: list[str], configs: list[Config], rounds: int = 5) -> list[float]:
    """Milliseconds per document of `unspin.check` over `texts` for each config: the
    best of `rounds` passes, the configs taking turns (caches warm for both alike)."""
    best = [float("inf")] * len(configs)
    for _ in range(rounds):
        for k, config in enumerate(configs):
            start = time.perf_counter()
            for text in texts:
                unspin.check(text, config=config)
            best[k] = min(best[k], 1000 * (time.perf_counter() - start) / len(texts))
    return best


def main(argv: list[str] | None = None) -> int:
    """Build the index, learn, check; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--index-docs", type=int, default=20_000)
    parser.add_argument("--learn-docs", type=int, default=200)
    parser.add_argument("--check-docs", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        news = load_news(args.data, "test") + load_news(args.data, "dev")
        science = load_science(args.data, "test") + load_science(args.data, "dev")
    except FileNotFoundError as error:
        sys.exit(f"bench_learn: {error}")
    forward, names = COMMERCIAL.spin_args()
    spun = [d for split in ("test", "dev")
            for d in spun_news(args.data, split, (args.learn_docs + args.check_docs) // 2 + 1,
                               1, forward, names)]
    learn_set, check_set = spun[: args.learn_docs], spun[args.learn_docs :][: args.check_docs]
    hidden = {d.id for d in check_set}
    reference = [d for d in news if d[0] not in hidden]
    reference = (reference + science)[: args.index_docs]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"indexing {len(reference)} documents ...", file=sys.stderr)
        index = Index.build(Path(tmp) / "index", reference)
        index.query(learn_set[0].text)  # untimed: opens the store
        start = time.perf_counter()
        profile = unspin.learn([(d.id, d.text) for d in learn_set], index, name="bench")
        seconds = time.perf_counter() - start
        path = Path(tmp) / "bench.profile.jsonl"
        profile.save(path)
        texts = [d.text for d in check_set]
        plain, loaded = timed_checks(texts, [Config(), replace(Config(), profiles=(str(path),))])
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"Spinner profiles: {len(reference):,}-document index; {len(learn_set)} copies "
          f"(commercial-dictionary spinner) learned, {len(check_set)} others checked "
          f"({words:.0f} words each on average).")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| `learn` documents/s (traced {profile.documents_traced} of "
          f"{profile.documents_read}, {profile.pairs:,} swaps) | {len(learn_set) / seconds:.1f} |")
    print(f"| `check` ms per document, default | {plain:.1f} |")
    print(f"| `check` ms per document, default + the profile | {loaded:.1f} |")
    print(f"| added by the profile | {100 * (loaded - plain) / plain:+.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
