"""Deterministic evaluation sets over the development corpora (never shipped).

Every document goes to split "dev" or "test" by a stable hash of its id, and within
a split to a "spin" or a "clean" pool by another byte of that hash, so spun and
clean sets never share a document. PPS pairs are split by a stable hash of their
expected phrase: 20% "heldout" (kept out of the known list, planted in science
test documents), 80% "listed".
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spinner import Spun, load_forward, spin, substitute_pairs

DEFAULT_DATA = Path("../shared/data")
MIN_WORDS = 40
MAX_WORDS = 400
HELDOUT_PERCENT = 20

Doc = tuple[str, str]
Pair = tuple[str, str, int]

# Per domain: (source file, id key, id prefix); science ids already name their source.
_SOURCES = {
    "news": [
        ("news/bbc_news_2225.dev.jsonl", "id", "bbc:"),
        ("news/reuters21578_news.dev.jsonl", "newid", "reuters:"),
    ],
    "science": [
        ("science/acl_anthology_abstracts_le2022.dev.jsonl", "id", ""),
        ("science/keyphrase_benchmarks_mixed.dev.jsonl", "id", ""),
    ],
}
_NEWS_PREFIXES = tuple(prefix for _, _, prefix in _SOURCES["news"])
_PPS = "tortured/pps_pairs.dev.csv"
_PHRASE_OK = re.compile(r"(?:[^\W_]|[ '-])+")
_ACRONYM = re.compile(r"\s*\([\w-]+\)$")
_BOUNDARY = re.compile(r"[.!?][\"')\]\u201d\u2019]*(?=\s)|\n\s*\n")
_TOKEN = re.compile(r"\w+(?:-\w+)*")


@dataclass
class SpunDoc(Spun):
    """A spun test document (text, gold edits) with its id and original text."""

    id: str
    original: str


def _digest(key: str) -> bytes:
    """The SHA-1 digest of `key` (stable across runs and platforms)."""
    return hashlib.sha1(key.encode("utf-8")).digest()


def split_of(doc_id: str) -> str:
    """The split ("dev" or "test") a document id belongs to."""
    return "dev" if _digest(doc_id)[0] < 128 else "test"


def _pool(doc_id: str) -> str:
    """The pool ("spin" or "clean") a document id belongs to within its split."""
    return "spin" if _digest(doc_id)[1] < 128 else "clean"


def require(data: Path, relative: str) -> Path:
    """`data / relative`, or a FileNotFoundError with a one-line explanation."""
    path = Path(data) / relative
    if not path.is_file():
        raise FileNotFoundError(f"development data not found: {path} (pass --data DIR)")
    return path


def _read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    """The JSON objects of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _reflow_reuters(text: str) -> str:
    """Reuters text with its hard line wraps joined and the trailing REUTER sign-off cut."""
    text = re.sub(r"\s*\bREUTER\b\s*$", "", text)
    paragraphs = re.split(r"\n {2,}", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _is_prose(text: str) -> bool:
    """Whether `text` reads as running prose (not a table of figures, not ALL CAPS)."""
    words = text.split()
    alpha = sum(w.strip(".,;:!?\"'()").isalpha() for w in words)
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return alpha >= 0.7 * len(words) and upper < 0.3 * len(letters)


def truncate(text: str, max_words: int = MAX_WORDS) -> str:
    """The first ~`max_words` words of `text`, cut at a sentence or paragraph end."""
    if len(text.split()) <= max_words:
        return text
    cut = count = 0
    for m in _BOUNDARY.finditer(text):
        count += len(text[cut : m.end()].split())
        if count > max_words:
            break
        cut = m.end()
    if cut == 0:
        return " ".join(text.split()[:max_words])
    return text[:cut].rstrip()


def _prepare(text: str) -> str | None:
    """The stripped, truncated text, or None when it is too short or not prose."""
    text = truncate(text.strip())
    if len(text.split()) < MIN_WORDS or not _is_prose(text):
        return None
    return text


@lru_cache(maxsize=8)
def _corpus(data: str, domain: str) -> list[list[Doc]]:
    """Every usable document of a domain, per source file, as (id, text).

    Full papers are skipped (abstracts only); Reuters wraps are reflowed.
    """
    groups: list[list[Doc]] = []
    for relative, id_key, prefix in _SOURCES[domain]:
        docs: list[Doc] = []
        for row in _read_jsonl(require(Path(data), relative)):
            if row.get("doc_type") == "fulltext":
                continue
            raw = str(row["text"])
            text = _prepare(_reflow_reuters(raw) if id_key == "newid" else raw)
            if text is not None:
                docs.append((f"{prefix}{row[id_key]}", text))
        groups.append(docs)
    return groups


def _groups(data: Path, domain: str, split: str, pool: str | None = None) -> list[list[Doc]]:
    """A domain's documents of one split (and pool), per source file."""
    return [
        [d for d in docs if split_of(d[0]) == split and (pool is None or _pool(d[0]) == pool)]
        for docs in _corpus(str(data), domain)
    ]


def whole_corpora(data: Path, split: str) -> dict[str, list[str]]:
    """Every document of `split` in each clean corpus, whole (not truncated, full
    papers and short texts included), by corpus file name: the false-repair measure
    reads all of them as a user's corpus would come."""
    out: dict[str, list[str]] = {}
    for domain in ("news", "science"):
        for relative, id_key, prefix in _SOURCES[domain]:
            texts = []
            for row in _read_jsonl(require(Path(data), relative)):
                raw = str(row["text"])
                if raw.strip() and split_of(f"{prefix}{row[id_key]}") == split:
                    texts.append(_reflow_reuters(raw) if id_key == "newid" else raw)
            out[Path(relative).name.split(".")[0]] = texts
    return out


def load_news(data: Path, split: str) -> list[Doc]:
    """BBC and Reuters news documents of `split` as (id, text)."""
    return [d for group in _groups(data, "news", split) for d in group]


def load_science(data: Path, split: str) -> list[Doc]:
    """ACL Anthology and keyphrase-benchmark abstracts of `split` as (id, text)."""
    return [d for group in _groups(data, "science", split) for d in group]


def _shuffled(groups: Sequence[Sequence[Doc]], rng: random.Random) -> list[Doc]:
    """Each group shuffled, then interleaved round-robin so sources are balanced."""
    shuffled = [rng.sample(list(g), len(g)) for g in groups]
    out: list[Doc] = []
    for i in range(max((len(g) for g in shuffled), default=0)):
        out += [g[i] for g in shuffled if i < len(g)]
    return out


def load_pps_pairs(data: Path) -> list[Pair]:
    """PPS (tortured, expected, nb_papers) pairs, with noisy rows and duplicates dropped.

    A trailing parenthesised acronym of the expected side is cut ("deep learning
    (DL)" -> "deep learning"); rows with other characters than letters, digits,
    spaces, hyphens and apostrophes (including "(?)") are dropped.
    """
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    with require(Path(data), _PPS).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tortured = " ".join(row["tortured"].split())
            expected = _ACRONYM.sub("", " ".join(row["expected"].split()))
            key = (tortured.lower(), expected.lower())
            if (
                not _PHRASE_OK.fullmatch(tortured)
                or not _PHRASE_OK.fullmatch(expected)
                or key[0] == key[1]
                or key in seen
            ):
                continue
            seen.add(key)
            count = row.get("nb_papers") or "0"
            pairs.append((tortured, expected, int(count) if count.isdigit() else 0))
    return pairs


def is_heldout(expected: str) -> bool:
    """Whether the pairs of this expected phrase are held out of the known list."""
    return int.from_bytes(_digest(expected.lower())[:4], "big") % 100 < HELDOUT_PERCENT


def pps_split(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(listed, heldout): about 80% / 20% of the pairs, by their expected phrase."""
    listed = [p for p in pairs if not is_heldout(p[1])]
    heldout = [p for p in pairs if is_heldout(p[1])]
    return listed, heldout


def spun_news(
    data: Path,
    split: str,
    n: int,
    seed: int,
    forward: Mapping[str, Sequence[str]] | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
    domain: str = "news",
) -> list[SpunDoc]:
    """`n` news documents (or science abstracts, with `domain="science"`) of the spin
    pool, spun at a rate drawn from 0.3-0.5 each.

    `forward` defaults to the lexicon's map; `names`, a map for capitalised words,
    spins names and acronyms too (spinner.spin); documents left unchanged are skipped.
    """
    forward = load_forward() if forward is None else forward
    rng = random.Random(seed)
    out: list[SpunDoc] = []
    for doc_id, text in _shuffled(_groups(data, domain, split, "spin"), rng):
        if len(out) == n:
            break
        spun = spin(text, forward, rng, rng.uniform(0.3, 0.5), names)
        if spun.edits:
            out.append(SpunDoc(spun.text, spun.edits, doc_id, text))
    return out


def _ngrams(text: str, longest: int) -> set[tuple[str, ...]]:
    """Every lower-cased word n-gram of `text` up to `longest` words."""
    words = [w.lower() for w in _TOKEN.findall(text)]
    return {
        tuple(words[i : i + k])
        for i in range(len(words))
        for k in range(1, longest + 1)
        if i + k <= len(words)
    }


def pps_science(data: Path, split: str, pairs: Sequence[Pair], n: int, seed: int) -> list[SpunDoc]:
    """`n` science abstracts of the spin pool with the `pairs` substituted.

    Only abstracts containing at least one expected phrase of `pairs` are used;
    each occurrence gets the pair's tortured phrase.
    """
    by_key: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for tortured, expected, _ in pairs:
        by_key.setdefault(tuple(_TOKEN.findall(expected.lower())), []).append((tortured, expected))
    longest = max((len(k) for k in by_key), default=0)
    rng = random.Random(seed)
    out: list[SpunDoc] = []
    for doc_id, text in _shuffled(_groups(data, "science", split, "spin"), rng):
        if len(out) == n:
            break
        found = _ngrams(text, longest).intersection(by_key)
        if not found:
            continue
        spun = substitute_pairs(text, [p for key in sorted(found) for p in by_key[key]], rng)
        if spun.edits:
            out.append(SpunDoc(spun.text, spun.edits, doc_id, text))
    return out


def domain_of(doc_id: str) -> str:
    """The domain ("news" or "science") of a document id."""
    return "news" if doc_id.startswith(_NEWS_PREFIXES) else "science"


def clean_docs(data: Path, split: str, n: int, seed: int) -> list[Doc]:
    """`n` untouched news then `n` science documents from the clean pool (see `domain_of`)."""
    rng = random.Random(seed)
    return [
        doc
        for domain in ("news", "science")
        for doc in _shuffled(_groups(data, domain, split, "clean"), rng)[:n]
    ]
