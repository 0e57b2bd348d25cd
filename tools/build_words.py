"""Compile the word list that repair fills gaps from (`make lexicon`).

The words are the CMU pronouncing dictionary's plain entries (no "(2)" variants, no
digits) that the CMU 3-gram LM knows, each with its unigram log10 under that LM; both
ship in `pocketsphinx` (BSD-style licence). Reading the dictionary and asking the LM
about every word took 0.4 s on the first suspected paste of each process; the
compiled file loads in milliseconds. Output: src/unspin/data/words.tsv.gz, one
`word<TAB>log10` line per word, most frequent first (ties alphabetical), so the file
is deterministic and repair reads its frequent words and its common lists in one pass.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

from pocketsphinx import get_model_path

from unspin.core.lm import default_lm
from unspin.repair import WORDS_FILE

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "unspin" / "data" / WORDS_FILE
_PLAIN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def main(argv: list[str] | None = None) -> int:
    """Write the word list and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    lm = default_lm()
    words = set()
    with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as handle:
        for line in handle:
            word = line.split(" ", 1)[0]
            if "(" not in word and _PLAIN.fullmatch(word) and lm.known(word):
                words.add(word)
    unigram = {w: round(lm.logprob(w, ()), 4) for w in words}
    lines = "".join(f"{w}\t{unigram[w]:.4f}\n"
                    for w in sorted(words, key=lambda w: (-unigram[w], w)))
    args.output.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))
    print(f"{args.output}: {len(words):,} words, {args.output.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
