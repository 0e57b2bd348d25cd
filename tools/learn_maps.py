"""Learn word and short-phrase inverse maps from Problematic Paper Screener pairs.

Each PPS pair (tortured, expected) shows what a spinner wrote for an original:
"profound learning" for "deep learning" teaches profound <- deep, which then
applies to phrases no list knows ("profound neural organization"). Only the pairs
`datasets.pps_split` lists (about 80%) are read: the held-out 20% stay unseen, so
discovery can be evaluated on them. Output: src/unspin/data/learned_maps.tsv,
`observed<TAB>original<TAB>support` (support: how many distinct pairs teach it),
which `unspin.discovery.lexicon` merges into the reverse thesaurus as source "pps-learned".

Alignment of one pair (`align`): same number of words -> position by position,
each differing word and each differing run of 2-3 adjacent words; otherwise the
identical words anchor, and when a single observed run faces a single expected run
(both at most 3 words) that run -> run map is kept ("imaginative and prescient" <-
"vision"). Whole phrases of at most 3 words on both sides are kept too.
"""

from __future__ import annotations

import argparse
import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from pathlib import Path

from datasets import DEFAULT_DATA, Pair, load_pps_pairs, pps_split

from unspin.core.tokens import STOPWORDS, words
from unspin.discovery.lexicon import ReverseThesaurus

MAX_RUN_WORDS = 3
OUTPUT = Path("src/unspin/data/learned_maps.tsv")
HEADER = """\
# Inverse maps learned from tortured-phrase pairs of the Problematic Paper Screener
# (Cabanac, G., Labbé, C. & Magazinov, A. 2021, Tortured phrases: A dubious writing style
# emerging in science), used under CC BY 4.0.
# Built by tools/learn_maps.py from the pairs not held out for evaluation (about 80%,
# tools/datasets.py pps_split): word-by-word alignment of equal-length pairs, run -> run
# maps of unequal-length pairs, whole phrases of at most 3 words; built {date}.
# observed\toriginal\tsupport (distinct pairs teaching the map)
"""

FUNCTION_WORDS = STOPWORDS | frozenset(
    """one like even well still yet however thus although though since without within among
    across toward towards around along behind beyond onto whether either neither many much
    several every another less least quite rather almost already always never often therefore
    hence whereas whose etc""".split()
)
"""Discovery's stopwords and other very common function words: never an observed side."""

Mapping = tuple[str, str]


def usable(observed: Sequence[str], original: Sequence[str]) -> bool:
    """Whether observed <- original is worth keeping: differing, no numbers, not stopwords.

    Drops maps with a stopword-only side and those whose observed side is only
    function words ("of" <- "in", "quite" <- "pretty").
    """
    return (
        0 < len(observed) <= MAX_RUN_WORDS
        and 0 < len(original) <= MAX_RUN_WORDS
        and list(observed) != list(original)
        and not any(ch.isdigit() for w in (*observed, *original) for ch in w)
        and not all(w in FUNCTION_WORDS for w in observed)
        and not all(w in STOPWORDS for w in original)
    )


def align(tortured: str, expected: str) -> set[Mapping]:
    """The (observed, original) maps one PPS pair teaches, lower case, space-joined."""
    obs, exp = words(tortured), words(expected)
    found: list[tuple[Sequence[str], Sequence[str]]] = [(obs, exp)]  # the whole phrase
    if len(obs) == len(exp):
        run: list[int] = []
        for i in [*range(len(obs)), len(obs)]:  # a sentinel index closes the last run
            if i < len(obs) and obs[i] != exp[i]:
                found.append(([obs[i]], [exp[i]]))
                run.append(i)
                continue
            if len(run) > 1:
                found.append((obs[run[0] : run[-1] + 1], exp[run[0] : run[-1] + 1]))
            run = []
    else:
        gaps = [
            op for op in SequenceMatcher(None, obs, exp, autojunk=False).get_opcodes()
            if op[0] != "equal"
        ]
        if len(gaps) == 1 and gaps[0][0] == "replace":
            _, i1, i2, j1, j2 = gaps[0]
            found.append((obs[i1:i2], exp[j1:j2]))
        elif {op[0] for op in gaps} in ({"insert"}, {"delete"}):
            # One side is the other plus words: a screener query ("exactness accuracy"
            # | "accuracy", "the cloud platform"), not a rewording. Keep nothing.
            found = []
    return {(" ".join(o), " ".join(e)) for o, e in found if usable(o, e)}


def learn(pairs: Iterable[Pair]) -> Counter[Mapping]:
    """Each map with the number of distinct pairs (as word sequences) that teach it."""
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    support: Counter[Mapping] = Counter()
    for tortured, expected, _ in pairs:
        key = (tuple(words(tortured)), tuple(words(expected)))
        if key not in seen:
            seen.add(key)
            support.update(align(tortured, expected))
    return support


def build(data: Path) -> tuple[Counter[Mapping], int, int]:
    """(maps, how many dropped as unscorable, listed pairs left out) from the PPS pairs.

    Only listed pairs teach; those whose expected phrase has the words of a held-out
    one (it differs only in hyphens or spacing) are left out too (the split hashes the raw text, so
    "ground-truth" and "ground truth" can fall on either side).
    """
    listed, heldout = pps_split(load_pps_pairs(data))
    unseen = {tuple(words(expected)) for _, expected, _ in heldout}
    kept = [p for p in listed if tuple(words(p[1])) not in unseen]
    learned, dropped = scorable(learn(kept))
    return learned, dropped, len(listed) - len(kept)


def scorable(support: Counter[Mapping]) -> tuple[Counter[Mapping], int]:
    """The maps discovery can use (every word known to the LM, observed words alphabetic).

    Discovery never looks up a word the LM does not know, and an unknown original
    scores -7 per word; returns the kept maps and how many were dropped.
    """
    from unspin.core.lm import default_lm

    lm = default_lm()
    kept = Counter({
        (o, e): n for (o, e), n in support.items()
        if all(w.isalpha() and lm.known(w) for w in o.split())
        and all(lm.known(w) for w in e.split())
    })
    return kept, len(support) - len(kept)


def write(support: Counter[Mapping], output: Path, date: str) -> None:
    """Write the maps sorted by observed then original (UTF-8, LF)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER.format(date=date))
        for (observed, original), n in sorted(support.items()):
            out.write(f"{observed}\t{original}\t{n}\n")


def coverage(th: ReverseThesaurus, heldout: Iterable[Pair]) -> tuple[int, int, int, int, int]:
    """Equal-length pairs: (covered, differing) word positions, (covered, total) pairs and
    the candidates offered over those positions.

    A differing position is covered when the expected word is among
    `th.originals(observed word)`; a pair when all its differing positions are.
    """
    hit = total = pairs_hit = pairs_total = offered = 0
    for tortured, expected, _ in heldout:
        obs, exp = words(tortured), words(expected)
        if len(obs) != len(exp):
            continue
        diff = [(o, e) for o, e in zip(obs, exp, strict=True) if o != e
                and not any(ch.isdigit() for ch in o + e)]
        if not diff:
            continue
        ok = []
        for o, e in diff:
            links = th.originals(o)
            offered += len(links)
            ok.append(e in {link.original for link in links})
        hit, total = hit + sum(ok), total + len(ok)
        pairs_hit, pairs_total = pairs_hit + all(ok), pairs_total + 1
    return hit, total, pairs_hit, pairs_total, offered


def report(output: Path, heldout: list[Pair]) -> None:
    """Print held-out coverage of the thesaurus alone and with the learned maps."""
    alone = ReverseThesaurus.load(learned=False)
    merged = ReverseThesaurus.load(learned=output)
    print(f"held-out pairs: {len(heldout)}; equal-length ones, word by word:")
    for name, th in (("thesaurus alone", alone), ("thesaurus + learned", merged)):
        hit, total, pairs_hit, pairs_total, offered = coverage(th, heldout)
        print(f"  {name:<19}  positions covered {hit}/{total} ({hit / total:.1%}), "
              f"pairs fully covered {pairs_hit}/{pairs_total} ({pairs_hit / pairs_total:.1%}), "
              f"{offered / total:.1f} candidates per position")
    phrase_hit = sum(
        " ".join(words(e)) in {link.original for link in merged.originals(" ".join(words(t)))}
        for t, e, _ in heldout
    )
    print(f"held-out pairs reversed whole by one learned link: {phrase_hit}/{len(heldout)} "
          f"(phrase maps taught by longer listed pairs)")
    print(f"max_phrase_words with learned maps: {merged.max_phrase_words}")


def main() -> None:
    """Learn the maps from the listed PPS pairs, write them, optionally report coverage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="development data folder (tortured/pps_pairs.dev.csv)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--report", action="store_true",
                        help="print held-out coverage before/after the learned maps")
    args = parser.parse_args()
    listed, heldout = pps_split(load_pps_pairs(args.data))
    learned, dropped, near = build(args.data)
    print(f"learning from {len(listed) - near} listed pairs ({near} more left out: their "
          f"expected phrase has the words of a held-out one)")
    write(learned, args.output, datetime.date.today().isoformat())
    words_only = sum(" " not in o and " " not in e for o, e in learned)
    multi = sum(n > 1 for n in learned.values())
    print(f"{args.output}: {len(learned):,} maps ({words_only:,} word -> word, "
          f"{len(learned) - words_only:,} with a phrase; {multi:,} taught by 2+ pairs; "
          f"{len({o for o, _ in learned}):,} observed forms), {dropped} dropped "
          f"(words the LM does not know), {args.output.stat().st_size / 1e3:.1f} kB")
    if args.report:
        report(args.output, heldout)


if __name__ == "__main__":
    main()
