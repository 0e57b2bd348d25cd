"""Synthetic spinning-pipeline damage: quote marks and possessives pasted back early.

Spinning pipelines protect quote marks and possessives, spin the text, then paste each
protected token back at an offset the spin made stale: it lands 1-6 characters early
and overwrites what stood there, while the token's tail survives at its real place
("all of Ireland's" -> "all Ireland'sd's", `result,"` -> `res"lt,"`). `damage` does
the same to clean text and returns gold spans, so tools/eval.py can measure how much
of it `unspin.repair` undoes.

    python tools/damage.py FILE [--rate 0.5] [--seed 1]   # damaged text on stdout
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_SHIFT = 6
TOKEN = re.compile(
    r"[\"\u201c\u201d]"  # double quotes of any style
    r"|(?<![\w'\u2019])['\u2018](?=[^\W\d_])"  # an opening single quote
    r"|(?<=[^\W\d_])['\u2019](?![\w'\u2019])"  # a closing single quote (or s' possessive)
    r"|(?<![\w'\u2019])[^\W\d_]+['\u2019]s(?![\w'\u2019])"  # a possessive
)
CONTRACTIONS = frozenset(
    "it's that's he's she's there's what's who's here's let's where's how's".split())


@dataclass(frozen=True, slots=True)
class Paste:
    """One damaged stretch. Overwriting keeps lengths, so offsets hold in both texts."""

    offset: int
    length: int
    original: str
    damaged: str
    token: str
    shift: int


def damage(text: str, rng: random.Random, rate: float) -> tuple[str, list[Paste]]:
    """`text` with each quote mark and possessive pasted 1-6 characters early with
    probability `rate`, overwriting; returns the damaged text and the gold spans.

    A paste never crosses a line break or touches an earlier damaged stretch.
    """
    out = list(text)
    spans: list[Paste] = []
    free_from = 0
    for m in TOKEN.finditer(text):
        token = m.group()
        if token.lower().replace("\u2019", "'") in CONTRACTIONS or rng.random() >= rate:
            continue
        shift = rng.randint(1, MAX_SHIFT)
        start, end = m.start() - shift, m.end()
        if start < free_from or "\n" in text[start : m.start()]:
            continue
        if text[start : start + len(token)] == token:
            continue
        out[start : start + len(token)] = token
        damaged = "".join(out[start:end])
        spans.append(Paste(start, end - start, text[start:end], damaged, token, shift))
        free_from = end
    return "".join(out), spans


def main(argv: list[str] | None = None) -> int:
    """Print a damaged copy of a file; the number of pastes goes to stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="UTF-8 text file")
    parser.add_argument("--rate", type=float, default=0.5,
                        help="share of quote marks and possessives pasted early")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)
    damaged, spans = damage(args.path.read_text("utf-8"), random.Random(args.seed), args.rate)
    sys.stdout.write(damaged)
    print(f"damage: {len(spans)} pastes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
