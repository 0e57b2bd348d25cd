"""Where discovery loses recall on a leave-one-source-out fold (dev split): what
docs/quality.md's "Where recall is lost" says, per fold.

    python tools/diagnose.py coverage moby   # originals among the candidates, 1 and 2 hops
    python tools/diagnose.py decoder mythes  # swaps restored exactly with no confidence cut
    python tools/diagnose.py fill glove      # originals among SmolLM2's next tokens (neural)

Each runs discovery with the fold's sources switched off, as tools/eval.py does.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import datasets
from eval import as_span
from folds import FOLDS, Fold

import unspin
from unspin import Config
from unspin.core.tokens import words
from unspin.discovery.sources import sources_for


def coverage(fold: Fold, docs: list[datasets.SpunDoc], hops_from: int) -> str:
    """Share of gold edits whose original is a candidate, directly or via the candidates
    of the `hops_from` best candidates (two hops), and the candidates per edit."""
    sources = sources_for(fold.config(Config()))
    total = one = two = n_one = n_two = 0
    for doc in docs:
        for edit in doc.edits:
            span = as_span(edit.observed)
            if not span:
                continue
            total += 1
            first = [link.original for link in sources.originals(span, span)]
            second = set(first)
            for original in first[:hops_from]:
                hop = as_span(original)
                second.update(link.original for link in sources.originals(hop, hop))
            wanted = " ".join(words(edit.original))
            one += wanted in first
            two += wanted in second
            n_one, n_two = n_one + len(first), n_two + len(second)
    return (f"{fold.name}: {total} edits; original among candidates {one / total:.3f} "
            f"({n_one / total:.0f} per edit); two hops via the best {hops_from}: "
            f"{two / total:.3f} ({n_two / total:.0f} per edit)")


def decoder(fold: Fold, docs: list[datasets.SpunDoc]) -> str:
    """Share of gold edits overlapped by any proposal, and restored exactly, with every
    proposal kept (no confidence cut)."""
    probe = replace(fold.config(Config()), min_confidence=0.0)
    total = overlapped = exact = 0
    for doc in docs:
        found = [f for f in unspin.check(doc.text, config=probe).findings
                 if f.evidence.get("source") == "discovery"]
        for e in doc.edits:
            total += 1
            hits = [f for f in found if f.offset < e.offset + e.length and e.offset < f.end]
            overlapped += bool(hits)
            exact += any(f.offset == e.offset and f.length == e.length
                         and f.replacements[0].value.lower() == e.original.lower()
                         for f in hits)
    return (f"{fold.name}: {total} edits; overlapped by a proposal {overlapped / total:.3f}; "
            f"restored exactly {exact / total:.3f}")


def fill(fold: Fold, docs: list[datasets.SpunDoc], k: int, per_doc: int) -> str:
    """Share of gold edits whose original's first token is among SmolLM2's `k` likeliest
    next tokens after the spun text before it (left context only): the reach of LM fill."""
    import numpy as np

    from unspin.discovery.neural import default_neural_lm

    lm = default_neural_lm()
    llm = lm._llm
    total = original = observed = 0
    for doc in docs:
        for e in doc.edits[:per_doc]:
            tokens = lm.tokenize(doc.text[max(0, e.offset - 300) : e.offset].rstrip())[-120:]
            llm.reset()
            llm.eval(tokens)
            logits = np.asarray(llm.scores[len(tokens) - 1])
            top = np.argpartition(-logits, k)[:k]
            pieces = [llm.detokenize([int(t)]).decode("utf-8", "ignore") for t in top]
            starts = [p.strip().lower() for p in pieces
                      if p.startswith(" ") and p.strip().isalpha()]

            def among(word: str, starts: list[str] = starts) -> bool:
                return any(word.startswith(s) and len(s) >= min(3, len(word)) for s in starts)

            total += 1
            original += among(e.original.split()[0].lower())
            observed += among(e.observed.split()[0].lower())
    lm.reset()
    return (f"{fold.name}: {total} edits; original's first token in the top {k}: "
            f"{original / total:.3f}; the observed word's: {observed / total:.3f}")


def main(argv: list[str] | None = None) -> int:
    """Print one diagnosis for one fold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("coverage", "decoder", "fill"))
    parser.add_argument("fold", choices=[f.name for f in FOLDS])
    parser.add_argument("--data", type=Path, default=datasets.DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=20, help="dev documents")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--k", type=int, default=50, help="fill: next tokens kept")
    parser.add_argument("--hops-from", type=int, default=5, help="coverage: second-hop seeds")
    args = parser.parse_args(argv)
    fold = {f.name: f for f in FOLDS}[args.fold]
    try:
        docs = datasets.spun_news(args.data, "dev", args.n, args.seed, *fold.spin_args())
    except FileNotFoundError as error:
        sys.exit(f"diagnose: {error}")
    if args.what == "coverage":
        print(coverage(fold, docs, args.hops_from))
    elif args.what == "decoder":
        print(decoder(fold, docs))
    else:
        print(fill(fold, docs, args.k, per_doc=15))
    return 0


if __name__ == "__main__":
    sys.exit(main())
