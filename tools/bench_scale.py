"""Cost against length on one-line text (`make bench`): is any path superlinear?

PDFs, JSON Lines rows and pasted text often have no newline at all. For each size this
builds one line of that many words from the bundled spun example (no newline), with
and without one non-ASCII character (the mojibake repair's trigger), and times
`unspin.check` and `unspin.repair` on it in a fresh process, which also reports its
peak RSS. Seconds per 1k words that stay flat as the size grows mean linear cost;
the RSS growth per word, times the input limit's words, bounds a maximal input's
memory. Prints a Markdown table.

`--max-input DATA` adds one run on the largest input `check` accepts
(`Config.max_chars`): dev news of DATA (tools/datasets.py) joined into one document,
about 830k words and 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from datasets import load_news

from unspin import Config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "spun_news.txt"
SIZES = (1_000, 4_000, 16_000, 64_000)

_RUN = """
import json, sys, time
import unspin
text = sys.stdin.read()
unspin.check("A warm-up sentence, so that model loading is not timed.")
start = time.perf_counter()
unspin.check(text)
checked = time.perf_counter() - start
start = time.perf_counter()
unspin.repair(text)
repaired = time.perf_counter() - start
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        rss = int(line.split()[1]) / 1024
print(json.dumps({"check": checked, "repair": repaired, "rss": rss}))
"""


def one_line(words: int, non_ascii: bool) -> str:
    """`words` words of the example on one line, with one 'é' when `non_ascii`."""
    base = EXAMPLE.read_text(encoding="utf-8").split()
    text = " ".join((base * (words // len(base) + 1))[:words])
    return text.replace(" the ", " th\u00e9 ", 1) if non_ascii else text


def max_input(data: Path) -> str:
    """Dev news joined into one document just under the input limit."""
    limit = Config().max_chars
    parts: list[str] = []
    total = 0
    for _, text in load_news(data, "dev"):
        if total + len(text) + 2 > limit:
            break
        parts.append(text)
        total += len(text) + 2
    return "\n\n".join(parts)


def measure(text: str) -> dict[str, float]:
    """Seconds of check and repair on `text`, and peak RSS (MiB), in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _RUN], input=text, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    """Print the scaling table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="words per one-line document")
    parser.add_argument("--max-input", type=Path, metavar="DATA",
                        help="also check one maximal document of DATA's dev news")
    args = parser.parse_args(argv)
    if not EXAMPLE.is_file():
        sys.exit(f"bench_scale: {EXAMPLE} is missing")
    print("| words (one line) | text | `check` s | s per 1k words | `repair` s | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for words in args.sizes:
        for non_ascii in (False, True):
            got = measure(one_line(words, non_ascii))
            kind = "one non-ASCII char" if non_ascii else "ASCII"
            print(f"| {words:,} | {kind} | {got['check']:.2f} | "
                  f"{1000 * got['check'] / words:.3f} | {got['repair']:.2f} | {got['rss']:.0f} |",
                  flush=True)
    if args.max_input is not None:
        text = max_input(args.max_input)
        got = measure(text)
        words = len(text.split())
        print(f"\nMaximal input: {len(text):,} characters ({words:,} words of dev news): "
              f"`check` {got['check']:.0f} s ({words / got['check']:,.0f} words/s), peak "
              f"RSS {got['rss']:,.0f} MiB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
