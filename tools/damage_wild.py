"""A second damage generator, written apart from tools/damage.py and wider than it.

tools/damage.py was written beside the repair it tests, so it makes the damage repair
knows how to undo; measuring only on it overstates repair (it scored 0.86 where a
sealed set gave 0.64). This one is written from the description of real pipelines
alone. Each quote mark or possessive is hit with probability `rate`, several per
sentence included, and pasted back 1-`max_shift` characters early (never across a
line break) in one of four ways:

* overwrite: the token lands early over what stood there, its own place keeps
  what it did not cover (`after Trump's` -> `afTrump'smp's`, `result,"` -> `res"lt,"`);
* move: the token leaves its place and is inserted early (`result,"` -> `resu"lt,`);
* double: inserted early and kept in place (`result,"` -> `resu"lt,"`);
* split: a quote and a space overwrite one letter (`October,”` -> `Oct” ber,”`).

Run on spun text too, so pastes land beside spun words. The gold is the clean text;
tools/eval_repair.py scores a repair by edit distance, whatever the mode.

    python tools/damage_wild.py FILE [--rate 0.5] [--seed 1]   # damaged text on stdout
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

MAX_SHIFT = 5
MODES = ("overwrite", "overwrite", "overwrite", "move", "double", "split")
"""Drawn uniformly: overwrites are the common case of real pipelines."""
_PROTECTED = re.compile(
    r"[^\W\d_]+['\u2019]s\b"  # a possessive, pasted whole
    r"|[\"\u201c\u201d\u2018\u2019]"  # any double quote, curly single quote
    r"|(?<=\s)'|'(?=[\s,.;:!?])"  # a straight single quote at a word's edge
)


def damage_wild(text: str, rng: random.Random, rate: float,
                max_shift: int = MAX_SHIFT, modes: tuple[str, ...] = MODES) -> tuple[str, int]:
    """`text` with its protected tokens pasted back early, each in one of `modes`; and
    how many were."""
    out = text
    hits = 0
    # Right to left, so earlier offsets stay valid while later ones are edited.
    for m in reversed(list(_PROTECTED.finditer(text))):
        if rng.random() >= rate:
            continue
        token, start, end = m.group(), m.start(), m.end()
        shift = rng.randint(1, max_shift)
        at = start - shift
        if at < 0 or "\n" in out[at:start]:
            continue
        mode = rng.choice(modes)
        if mode == "split" and token[0] in "\"\u201d\u2019" and out[at].isalpha():
            out = out[:at] + token[0] + " " + out[at + 1 :]
        elif mode == "move":
            out = out[:at] + token + out[at:start] + out[end:]
        elif mode == "double":
            out = out[:at] + token + out[at:]
        else:  # overwrite
            out = out[:at] + token + out[at + len(token) :]
        hits += 1
    return out, hits


def main(argv: list[str] | None = None) -> int:
    """Damage a file and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    damaged, _ = damage_wild(args.file.read_text("utf-8"), random.Random(args.seed), args.rate)
    sys.stdout.write(damaged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
