"""Compile the Problematic Paper Screener pairs into the shipped known-phrase list.

Input: pps_pairs.dev.csv (tortured, expected, nb_papers, context_ops), CC BY 4.0,
Cabanac, Labbé & Magazinov (2021). Output: src/unspin/data/known_phrases.tsv with
the `expected` side cleaned into a usable replacement ("deep learning (DL)" ->
"deep learning", "economic development/profit growth" -> "economic development")
and the raw text kept as a note, so a reviewer still sees the curators' words.

With `--data`, pairs whose tortured side occurs in the human-written DEV documents of
../shared/data (news and abstracts, never spun) are dropped: a phrase people write
("speech processing") cannot mark a document as spun, whatever a noisy row says.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

HEADER = (
    "# Known tortured phrases from the Problematic Paper Screener\n"
    "# (Cabanac, Labbe, Magazinov 2021, Tortured phrases), CC BY 4.0.\n"
    "# tortured\texpected\tnb_papers\tcontext_ops\tnote\n"
)
_PHRASE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 '\-()]*$")


def clean_expected(raw: str) -> tuple[str, bool]:
    """A plain replacement from the curators' `expected` text, and whether it is sure."""
    text = raw.replace("\\\"", "").replace('"', "").replace("\xa0", " ")
    unsure = "?" in text
    text = re.sub(r"\[[^\]]*\]", " ", text)  # "[neural network] layer outputs"
    text = re.sub(r"\([^)]*\)", " ", text)  # "deep learning (DL)", "(?)"
    text = text.split("/")[0].replace("?", " ")
    text = re.sub(r"\s+", " ", text).strip(" ,;.")
    return text, not unsure


def load_pairs(path: Path) -> list[tuple[str, str, int, str, str]]:
    """Rows (tortured, expected, nb_papers, context_ops, note) that are usable."""
    rows = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            tortured = re.sub(r"\s+", " ", row["tortured"].replace("\xa0", " ")).strip()
            expected, sure = clean_expected(row["expected"])
            key = tortured.lower()
            if not _PHRASE_OK.match(tortured) or not expected or key in seen:
                continue
            if expected.lower() == key:
                continue
            seen.add(key)
            note = "" if expected == row["expected"].strip() else row["expected"].strip()
            if not sure:
                note = (note + " (curators unsure)").strip()
            ops = row["context_ops"].replace("\t", " ").strip()
            rows.append((tortured, expected, int(row["nb_papers"] or 0), ops, note))
    return rows


def written_by_people(rows: list[tuple[str, str, int, str, str]], data: Path) -> set[str]:
    """Tortured phrases (lower case) that occur in the clean dev documents."""
    import datasets  # the evaluation's splits, so the test split stays unseen

    from unspin.core.tokens import words

    wanted = {tuple(words(r[0])) for r in rows}
    longest = max(len(w) for w in wanted)
    seen: set[str] = set()
    for _, text in datasets.load_news(data, "dev") + datasets.load_science(data, "dev"):
        toks = words(text)
        for n in range(1, longest + 1):
            for i in range(len(toks) - n + 1):
                if (gram := tuple(toks[i : i + n])) in wanted:
                    seen.add(" ".join(gram))
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_pps = Path("../shared/data/tortured/pps_pairs.dev.csv")
    parser.add_argument("--pps", type=Path, default=default_pps)
    parser.add_argument("--output", type=Path, default=Path("src/unspin/data/known_phrases.tsv"))
    parser.add_argument("--data", type=Path, help="drop phrases found in clean dev documents here")
    args = parser.parse_args()
    rows = load_pairs(args.pps)
    if args.data:
        from unspin.core.tokens import words

        common = written_by_people(rows, args.data)
        dropped = [r for r in rows if " ".join(words(r[0])) in common]
        rows = [r for r in rows if " ".join(words(r[0])) not in common]
        print(f"dropped {len(dropped)} phrases found in clean dev text, e.g. "
              + ", ".join(r[0] for r in dropped[:12]))
    with args.output.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER)
        for row in sorted(rows, key=lambda r: (-r[2], r[0].lower())):
            out.write("\t".join(str(x).replace("\t", " ") for x in row) + "\n")
    print(f"wrote {len(rows)} known phrases to {args.output}")


if __name__ == "__main__":
    main()
