"""Repair on damage from two generators: the one written beside repair and one written
apart from it (`make eval`).

Documents: clean BBC and Reuters news of a split (and clean science abstracts, only
for the false-repair rate), and the same news spun by
tools/spinner.py (so pastes land beside spun words). Each is damaged by
tools/damage.py and, separately, by tools/damage_wild.py, then repaired by
`unspin.repair`. Score, whatever the generator did: the character edits from the
undamaged text to the damaged one, and what is left of them after repair,

    restored = 1 - edits(gold, repaired) / edits(gold, damaged)

(edits: a character diff's changed characters, the longer side of each change; a
repair that breaks something correct counts against it). Clean text goes through
repair too: the share of its characters changed is the false-repair rate. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from damage import damage
from damage_wild import MODES, damage_wild
from datasets import DEFAULT_DATA, clean_docs, whole_corpora
from spinner import load_forward, spin

from unspin.repair import find_repairs, repair_text

RATE = 0.5
TARGET = 0.80
"""The issue's target share restored on the independent generator."""
MAX_CLEAN_CHANGED = 0.05
"""The most of clean text's characters (percent) repair may change."""


def edits(a: str, b: str) -> int:
    """Characters changed between `a` and `b` (the longer side of each diff change)."""
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


def restored(golds: list[str], make: Callable[[str, random.Random], str], seed: int
             ) -> tuple[float, int]:
    """Share of the damage `make` did that repair undid, over `golds`; damaged docs."""
    rng = random.Random(seed)
    before = after = docs = 0
    for gold in golds:
        damaged = make(gold, rng)
        if damaged == gold:
            continue
        docs += 1
        before += edits(gold, damaged)
        after += edits(gold, repair_text(damaged))
    return (1 - after / before if before else 0.0), docs


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--n", type=int, default=400,
                        help="news documents (at 150 the shares vary by about 0.02)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--by-mode", action="store_true",
                        help="also score tools/damage_wild.py one mode at a time")
    args = parser.parse_args(argv)
    try:
        pool = clean_docs(args.data, args.split, args.n, args.seed)
    except FileNotFoundError as error:
        sys.exit(f"eval_repair: {error}")
    docs = [t for i, t in pool if i.startswith(("bbc", "reuters"))]
    science = [t for i, t in pool if not i.startswith(("bbc", "reuters"))]
    rng = random.Random(args.seed)
    forward = load_forward()
    spun = [spin(t, forward, rng, 0.3).text for t in docs]
    generators: dict[str, Callable[[str, random.Random], str]] = {
        "tools/damage.py (written beside repair)": lambda t, r: damage(t, r, RATE)[0],
        "tools/damage_wild.py (written apart)": lambda t, r: damage_wild(t, r, RATE)[0],
    }
    clean = {name: (sum(map(len, texts)), sum(edits(t, repair_text(t)) for t in texts))
             for name, texts in (("news", docs), ("science", science))}
    print(f"Repair on {len(docs)} {args.split} news documents (rate {RATE}, seed {args.seed}); "
          f"target: >= {TARGET:.2f} restored on the independent generator, <= "
          f"{MAX_CLEAN_CHANGED}% of clean characters changed.\n")
    print("| damage generator | clean news: restored (docs) | spun news: restored (docs) |")
    print("|---|---|---|")
    if args.by_mode:
        for mode in sorted(set(MODES)):
            generators[f"damage_wild.py, {mode} only"] = (
                lambda t, r, m=mode: damage_wild(t, r, RATE, modes=(m,))[0])
    for name, make in generators.items():
        plain, n_plain = restored(docs, make, args.seed)
        spun_share, n_spun = restored(spun, make, args.seed)
        print(f"| {name} | {plain:.3f} ({n_plain}) | {spun_share:.3f} ({n_spun}) |")
    for name, (chars, changed) in clean.items():
        print(f"\nClean {name} through repair: {100 * changed / max(chars, 1):.3f}% of "
              f"{chars:,} characters changed.")
    print(f"\nEvery clean corpus, whole ({args.split} split; target: 0 repairs per 100k "
          "words):\n")
    print("| corpus | docs | words | repairs | per 100k words | rules |")
    print("|---|---|---|---|---|---|")
    for name, texts in whole_corpora(args.data, args.split).items():
        found = [f for t in texts for f in find_repairs(t)]
        n_words = sum(len(t.split()) for t in texts)
        rules = Counter(str(f.evidence.get("rule", f.kind)) for f in found)
        named = ", ".join(f"{rule} {n}" for rule, n in rules.most_common()) or "–"
        print(f"| {name} | {len(texts):,} | {n_words:,} | {len(found)} | "
              f"{100_000 * len(found) / max(n_words, 1):.2f} | {named} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
