"""Word-level quality of a replaced-word tagger on the TEST split, leave-one-source-out.

For each fold: the tagger (trained without that fold's source, tools/train_tagger.py
--against FOLD) scores test news spun by the fold's spinner and clean test news and
science. Prints the word AUC (spun words against untouched words of spun documents)
and, at the cut that holds clean words to 0.5 flags per 1,000 in both domains, the
word recall and precision on the spun documents.

    python tools/eval_tagger.py --fold glove   # reads build/tagger-glove.npz
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import datasets
import numpy as np
from eval import auc
from folds import FOLDS
from spinner import Spun

from unspin.core.tokens import sentences
from unspin.discovery.tagger import Tagger, load_tagger


def word_scores(tagger: Tagger, doc: Spun) -> tuple[list[float], list[int]]:
    """Every word's log-odds and gold label (1 inside a spinner edit)."""
    sents = sentences(doc.text)
    scores = [x for row in tagger.score(doc.text, sents) for x in row]
    labels = [int(doc.edited(t.offset, t.end)) for s in sents for t in s]
    return scores, labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=datasets.DEFAULT_DATA)
    parser.add_argument("--fold", choices=[f.name for f in FOLDS], required=True)
    parser.add_argument("--tagger", type=Path,
                        help="the tagger to measure (default: the fold's, Fold.tagger_path)")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-1k", type=float, default=0.5)
    args = parser.parse_args(argv)
    fold = next(f for f in FOLDS if f.name == args.fold)
    tagger = load_tagger(args.tagger or fold.tagger_path())
    spun = datasets.spun_news(args.data, "test", args.n, args.seed, *fold.spin_args())
    started = time.monotonic()
    pairs = [word_scores(tagger, d) for d in spun]
    words = sum(len(s) for s, _ in pairs)
    speed = words / (time.monotonic() - started)
    scores = np.array([x for s, _ in pairs for x in s])
    labels = np.array([y for _, ys in pairs for y in ys])
    cuts = []
    clean_docs = datasets.clean_docs(args.data, "test", args.n, args.seed)
    for domain in ("news", "science"):
        clean = [Spun(t, []) for i, t in clean_docs if datasets.domain_of(i) == domain]
        flat = np.sort([x for d in clean for x in word_scores(tagger, d)[0]])[::-1]
        allowed = int(len(flat) * args.per_1k / 1000)
        cuts.append(flat[allowed] if allowed < len(flat) else -np.inf)
        print(f"clean {domain}: {len(flat)} words, cut for {args.per_1k}/1k: {cuts[-1]:.3f}")
    cut = max(cuts)
    hit = scores > cut
    print(f"fold {args.fold}: {len(spun)} docs, {words} words ({speed:.0f} words/s), "
          f"{labels.mean():.3f} spun; word AUC {auc(scores[labels == 1], scores[labels == 0]):.3f}")
    print(f"at cut {cut:.3f}: recall {hit[labels == 1].mean():.3f}, "
          f"precision {labels[hit].mean() if hit.any() else float('nan'):.3f}")
    for c in (0.0, 1.0, 2.0):
        h = scores > c
        print(f"  at {c:.1f}: recall {h[labels == 1].mean():.3f}, precision {labels[h].mean():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
