"""An embedded, on-disk index of reference documents for `trace`.

Layout of an index directory (no server; numpy arrays memory-mapped at query time):

    manifest.json          format, parameters, the segments and their document counts
    seg-000001/postings.npy  sampled fingerprints (uint32, sorted) ...
    seg-000001/docs.npy      ... and the segment-local document of each (uint32)
    seg-000001/store.bin     each document as zlib-compressed JSON [id, text]
    seg-000001/offsets.npy   where each document starts in store.bin (uint64, n+1)
    seg-000001/ids.txt       the ids, one JSON string per line (duplicate checks)

`build` writes a whole new directory beside the target and renames it into place;
`add` writes a new segment, then replaces manifest.json atomically. A crash leaves
the previous index intact; a half-written segment is never listed and is removed by
the next `add`.

A query looks its sampled fingerprints up in every segment, counts hits per document,
and re-ranks the best `Config.trace_candidates` by the share of the query's full
fingerprint set that the document holds (containment, so an excerpt of a source
scores as high as a whole copy). Matches under `Config.trace_min_score` are dropped:
no match rather than a guess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from unspin.core.config import Config, validate_text
from unspin.core.errors import InputError
from unspin.core.records import Match
from unspin.trace.align import agreement, align, coherence
from unspin.trace.fingerprint import (
    SentenceFeatures,
    fingerprint_pairs,
    fingerprints,
    sentence_features,
)

FORMAT = "unspin-index"
VERSION = 1
MANIFEST = "manifest.json"

SAMPLE = 2
"""Keep one fingerprint in `SAMPLE` (by hash, so query and document keep the same ones)
in the postings. 1 makes the index twice as large for a little more recall on short
queries; 4 halves it again but a 100-word excerpt then looks up only ~10 fingerprints."""
MAX_POSTINGS = 5000
"""A fingerprint held by more documents than this per segment is skipped at query time:
it says little and costs the most to count."""
SEGMENT_DOCS = 200_000
"""Documents per segment written by one `build`/`add`: bounds the memory of sorting
the postings (about 1 GB of temporaries per segment of news-sized documents)."""
FINGERPRINT_BATCH = 1000
"""Documents fingerprinted together when building (amortizes numpy's per-call cost)."""
MIN_FINGERPRINTS = 5
"""A query with fewer fingerprints (a sentence or two) cannot be traced reliably; it
gets no match."""
MIN_NUMBERS = 2
"""A query needs this many distinct numbers before its numbers are checked against a
candidate source (one figure is too weak a signal either way)."""
NUMBER_POWER = 2
"""How hard a candidate's missing numbers weigh: score x agreement ** power. On dev
news, power 2 with `Config.trace_min_score` 0.25 kept recall@1 at 0.99 (copies) and
0.97 (half excerpts) and left 0.97 of hard unsourced texts unmatched (0.85 with plain
fingerprint containment; 0.94 with power 1)."""
MIN_SENTENCE_AGREEMENT = 0.25
"""Least median sentence agreement (`unspin.trace.align.agreement`) of a reported source. On
dev news it cut the hard unsourced texts matched from 3% to 2% at the same recall@1."""
COHERENT = ((0.10, 0.75), (0.15, 0.60))
"""(least score, least coherence) pairs: a source scoring under `Config.trace_min_score` is
still reported from such a score when the query reads coherently as a spun passage of it
(`unspin.trace.align.coherence`: the lesser of the share of its sentences that align and
the share that align in order). Heavily spun copies and short excerpts keep few
fingerprints (dev news, a dictionary spinner at 70% of words: the true source of every
copy missed at 0.25 ranked first, at 0.09-0.24, with coherence 0.6-1.0), while the hard
unsourced texts (same outlet and topic) that reach such scores align out of order
(coherence 0.5 or less at 0.15 and up; under 0.75 at 0.10). Lower pairs find more heavily
spun copies and risk matching same-story texts."""
MIN_COHERENT_SENTENCES = 2
"""Fewest query sentences for the coherence test (one shared sentence proves little)."""
_NUMBER = re.compile(r"\d(?:[\d.,]*\d)?")


@dataclass(frozen=True, slots=True)
class _Segment:
    """One immutable segment, its arrays memory-mapped."""

    path: Path
    postings: npt.NDArray[np.uint32]
    docs: npt.NDArray[np.uint32]
    offsets: npt.NDArray[np.uint64]

    @classmethod
    def open(cls, path: Path) -> _Segment:
        postings = np.load(path / "postings.npy", mmap_mode="r")
        docs = np.load(path / "docs.npy", mmap_mode="r")
        offsets = np.load(path / "offsets.npy", mmap_mode="r")
        if len(postings) != len(docs) or len(offsets) < 1:
            raise ValueError(f"{path.name}: arrays disagree")
        if (path / "store.bin").stat().st_size != int(offsets[-1]):
            raise ValueError(f"{path.name}: store.bin is truncated")
        return cls(path, postings, docs, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def document(self, number: int) -> tuple[str, str]:
        """(id, text) of the segment's document `number`."""
        start, end = int(self.offsets[number]), int(self.offsets[number + 1])
        with open(self.path / "store.bin", "rb") as handle:
            handle.seek(start)
            doc_id, text = json.loads(zlib.decompress(handle.read(end - start)))
        return doc_id, text

    def hits(self, keys: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        """Segment-local documents holding each of `keys`, one entry per hit."""
        lo = np.searchsorted(self.postings, keys, side="left")
        hi = np.searchsorted(self.postings, keys, side="right")
        chunks = [self.docs[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
                  if 0 < b - a <= MAX_POSTINGS]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint32)


class Index:
    """Reference documents, searchable by the fingerprints a spinner leaves alone.

    `Index.build(path, docs)` creates one, `Index.open(path)` reads one, `add` extends
    it and `query` finds the sources of a text. Documents are `(id, text)` pairs.
    """

    def __init__(self, path: Path, manifest: dict[str, Any], segments: list[_Segment]) -> None:
        self.path = path
        self._manifest = manifest
        self._segments = segments

    # --- creating and opening ------------------------------------------------------

    @classmethod
    def build(cls, path: str | os.PathLike[str], docs: Iterable[tuple[str, str]]) -> Index:
        """Index `docs` into a new directory `path`, replacing an index already there.

        Raises `InputError` if `path` holds something other than an unspin index, or
        for a duplicate or malformed id; then nothing at `path` has changed.
        """
        target = Path(path)
        if target.exists() and not _is_index(target) and (
                not target.is_dir() or any(target.iterdir())):
            raise InputError(f"{target}: exists and is not an unspin index; not overwritten")
        temp = target.parent / f".{target.name}.building-{os.getpid()}"
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        try:
            manifest = _new_manifest()
            _write_segments(temp, manifest, docs, set())
            _write_manifest(temp, manifest)
            if target.exists():
                old = target.parent / f".{target.name}.old-{os.getpid()}"
                target.rename(old)
                temp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                temp.rename(target)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        return cls.open(target)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Index:
        """Open the index at `path`; `InputError` if it is missing or corrupt."""
        root = Path(path)
        if not root.is_dir():
            raise InputError(f"{root}: no such index")
        try:
            manifest = json.loads((root / MANIFEST).read_text("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
                    or manifest.get("version") != VERSION:
                raise ValueError("not an unspin index of this version")
            segments = [_Segment.open(root / s["name"]) for s in manifest["segments"]]
            if [len(s) for s in segments] != [s["docs"] for s in manifest["segments"]]:
                raise ValueError("segment sizes disagree with the manifest")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InputError(f"{root}: not a readable unspin index ({error})") from None
        return cls(root, manifest, segments)

    def add(self, docs: Iterable[tuple[str, str]]) -> int:
        """Add `docs` as new segment(s); returns how many were added.

        Ids already in the index (or repeated in `docs`) raise `InputError`, and then
        the index is unchanged.
        """
        listed = {s["name"] for s in self._manifest["segments"]}
        for leftover in [*self.path.glob(".seg-*"), *self.path.glob("seg-*")]:
            if leftover.name not in listed:  # left by an add that failed or crashed
                shutil.rmtree(leftover, ignore_errors=True)
        manifest = json.loads(json.dumps(self._manifest))
        before = manifest["docs"]
        _write_segments(self.path, manifest, docs, set(self.ids()))
        _write_manifest(self.path, manifest)
        fresh = Index.open(self.path)
        self._manifest, self._segments = fresh._manifest, fresh._segments
        return int(self._manifest["docs"] - before)

    # --- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._manifest["docs"])

    def ids(self) -> Iterator[str]:
        """Every document id, in index order."""
        for segment in self._segments:
            with open(segment.path / "ids.txt", encoding="utf-8") as handle:
                for line in handle:
                    yield json.loads(line)

    def documents(self, step: int = 1) -> Iterator[tuple[str, str]]:
        """Every `step`-th document as `(id, text)`, in index order (learning reads a
        sample of the reference corpus for its base rates)."""
        for segment in self._segments:
            for number in range(0, len(segment), max(step, 1)):
                yield segment.document(number)

    def query(self, text: str, *, top: int = 5, config: Config | None = None) -> list[Match]:
        """The reference documents `text` was most likely spun from, best first.

        Each match has its containment score and the aligned passages; documents under
        `config.trace_min_score` are left out, so an unsourced text gets []. Empty or
        oversized text raises `InputError`.
        """
        return [match for match, _ in self.query_sources(text, top=top, config=config)]

    def query_sources(self, text: str, *, top: int = 5, config: Config | None = None
                      ) -> list[tuple[Match, str]]:
        """`query`'s matches, each with the text of its source document (to quote the
        passages from)."""
        config = config or Config()
        validate_text(text, config)
        query_prints = fingerprints(text)
        if len(query_prints) < MIN_FINGERPRINTS:
            return []
        sampled = query_prints[query_prints % SAMPLE == 0]
        counted: list[tuple[int, int, int]] = []  # (hits, segment, local doc)
        for number, segment in enumerate(self._segments):
            docs, counts = np.unique(segment.hits(sampled), return_counts=True)
            best = np.argsort(-counts, kind="stable")[: config.trace_candidates]
            counted += [(int(counts[i]), number, int(docs[i])) for i in best]
        counted.sort(key=lambda c: (-c[0], c[1], c[2]))
        chosen = counted[: config.trace_candidates]
        sources = [self._segments[number].document(local) for _, number, local in chosen]
        scores = _weighted_containment(query_prints, *fingerprint_pairs(
            [text for _, text in sources]), len(sources))
        numbers, sentences = _numbers(text), sentence_features(text)
        found: list[tuple[Match, str]] = []
        for (doc_id, source), shared in zip(sources, scores.tolist(), strict=True):
            score = shared * _number_agreement(numbers, source) ** NUMBER_POWER
            if _reported(score, sentences, source, config):
                found.append((Match(doc_id, round(score, 4), tuple(align(text, source))), source))
        found.sort(key=lambda pair: -pair[0].score)
        return found[:top]

    def query_many(self, queries: Iterable[tuple[str, str]], *, top: int = 5,
                   config: Config | None = None, skip: Callable[[str], None] | None = None
                   ) -> Iterator[tuple[str, list[Match]]]:
        """`(id, matches)` for each `(id, text)` of `queries`, in order, as `query` finds
        them. A text `query` refuses (empty, oversized) raises `InputError`, or with
        `skip` is left out and `skip` gets "ID: why"."""
        for query_id, text in queries:
            try:
                matches = self.query(text, top=top, config=config)
            except InputError as error:
                if skip is None:
                    raise
                skip(f"{query_id}: {error}")
                continue
            yield query_id, matches


def _reported(score: float, query: list[SentenceFeatures], source: str, config: Config
              ) -> bool:
    """Whether a candidate with `score` is reported as a source: at `trace_min_score`, or
    from a lower score of `COHERENT` when the query reads coherently enough as a passage
    of it; and its sentences agree (`MIN_SENTENCE_AGREEMENT`). The source's sentences
    are read only for a candidate whose score can pass (most of the candidates cannot)."""
    lowest = min(least for least, _ in COHERENT)
    if score < min(config.trace_min_score, lowest):
        return False
    targets = sentence_features(source)
    passes = score >= config.trace_min_score or (
        len(query) >= MIN_COHERENT_SENTENCES
        and any(score >= least and coherence(query, targets) >= needed
                for least, needed in COHERENT))
    return passes and agreement(query, targets) >= MIN_SENTENCE_AGREEMENT


def _numbers(text: str) -> set[str]:
    """The distinct numbers written in `text` ("5.5", "30,000", "1987")."""
    return set(_NUMBER.findall(text))


def _number_agreement(numbers: set[str], source: str) -> float:
    """Share of the query's numbers that `source` writes too (1 for a query with fewer
    than `MIN_NUMBERS`). Spinners swap words, never figures, so a spun copy or excerpt
    keeps every number of its source; a templated text (an earnings or trade report,
    the same story's follow-up) shares the wording and differs in the figures."""
    if len(numbers) < MIN_NUMBERS:
        return 1.0
    return len(numbers & _numbers(source)) / len(numbers)


def _weighted_containment(query: npt.NDArray[np.uint32], owners: npt.NDArray[np.uint32],
                          prints: npt.NDArray[np.uint32], candidates: int
                          ) -> npt.NDArray[np.float64]:
    """Each candidate's share of the query's fingerprints, each fingerprint weighted by
    1 / the number of candidates holding it (1 when none does).

    The candidates are the documents most like the query, so a fingerprint many of
    them share is the outlet's boilerplate or the topic's stock phrasing ("said in a
    statement on", an earnings table's rows), not evidence of copying: plain
    containment let same-outlet, same-topic texts pass for sources. A spun copy keeps
    the passages only its source holds, at full weight.
    """
    held = np.isin(prints, query)
    owners, prints = owners[held], prints[held]
    shared, counts = np.unique(prints, return_counts=True)
    weights = np.ones(len(query))
    weights[np.searchsorted(query, shared)] = 1.0 / counts
    per_pair = weights[np.searchsorted(query, prints)]
    return np.bincount(owners, weights=per_pair, minlength=candidates) / weights.sum()


# --- writing -------------------------------------------------------------------------


def _is_index(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def _new_manifest() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "sample": SAMPLE, "docs": 0, "segments": []}


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Replace root/manifest.json atomically (write a temporary file, then rename)."""
    temp = root / f".{MANIFEST}.{os.getpid()}"
    temp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temp, root / MANIFEST)


def _write_segments(root: Path, manifest: dict[str, Any], docs: Iterable[tuple[str, str]],
                    seen: set[str]) -> None:
    """Write `docs` as segments of up to `SEGMENT_DOCS` under `root`, listing them in
    `manifest` (not yet saved)."""
    batch: list[tuple[str, str]] = []
    for doc_id, text in docs:
        if not isinstance(doc_id, str) or not doc_id or "\n" in doc_id:
            raise InputError(f"bad document id {doc_id!r}: ids are non-empty one-line strings")
        if doc_id in seen:
            raise InputError(f"duplicate document id {doc_id!r}")
        seen.add(doc_id)
        batch.append((doc_id, text))
        if len(batch) == SEGMENT_DOCS:
            _write_segment(root, manifest, batch)
            batch = []
    if batch:
        _write_segment(root, manifest, batch)


def _write_segment(root: Path, manifest: dict[str, Any], batch: list[tuple[str, str]]) -> None:
    """Write one segment into a hidden directory, then rename it to its final name."""
    number = 1 + max((int(s["name"].split("-")[1]) for s in manifest["segments"]), default=0)
    name = f"seg-{number:06d}"
    temp = root / f".{name}"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    keys: list[npt.NDArray[np.uint32]] = []
    owners: list[npt.NDArray[np.uint32]] = []
    offsets = [0]
    with open(temp / "store.bin", "wb") as store, \
            open(temp / "ids.txt", "w", encoding="utf-8") as ids:
        for first in range(0, len(batch), FINGERPRINT_BATCH):
            chunk = batch[first : first + FINGERPRINT_BATCH]
            docs, prints = fingerprint_pairs([text for _, text in chunk])
            sampled = prints % SAMPLE == 0
            keys.append(prints[sampled])
            owners.append(docs[sampled] + np.uint32(first))
            for doc_id, text in chunk:
                blob = zlib.compress(json.dumps([doc_id, text]).encode(), 1)
                store.write(blob)
                offsets.append(offsets[-1] + len(blob))
                ids.write(json.dumps(doc_id) + "\n")
    postings = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint32)
    docs = np.concatenate(owners) if owners else np.zeros(0, dtype=np.uint32)
    order = np.argsort(postings, kind="stable")
    np.save(temp / "postings.npy", postings[order])
    np.save(temp / "docs.npy", docs[order])
    np.save(temp / "offsets.npy", np.array(offsets, dtype=np.uint64))
    temp.rename(root / name)
    manifest["segments"].append({"name": name, "docs": len(batch)})
    manifest["docs"] += len(batch)
