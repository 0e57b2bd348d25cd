"""`learn`: a spinner's profile from the copies `trace` matched with their sources.

For each document: mechanical damage is repaired first (so a pasted quote is not read
as a swap), the document is traced, and every aligned passage is aligned again word by
word with its source. A replaced run of at most `MAX_WORDS` words on each side whose
both sides hold a content word, and no digit, is a swap (original -> observed); an
unequal run is split where one end is a swap seen on its own elsewhere ("Bank said" ->
"Financial institution stated" gives "said" -> "stated" and "bank" -> "financial
institution"); a few words inserted beside an unchanged one are that word grown into a
phrase ("Windows" -> "Home windows"). Deleted words, longer insertions, and words
outside the aligned passages teach nothing. Then, per observed phrase, how often it stood
unchanged in the copies (`Entry.kept`), how often it and each original stood in the
sources (`Entry.source_count`, `Entry.original_totals`) and how often it occurs in a
sample of the reference corpus (`Entry.reference`) are counted, and the profile's span
and document models are fitted on the traced copies (each occurrence labelled swapped
or kept by the alignment, with the document's own counts left out, so the fit sees
phrases as a new document would) and on clean reference documents.
"""

from __future__ import annotations

import datetime
import difflib
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from unspin.core.config import Config
from unspin.core.errors import InputError
from unspin.core.lm import default_lm
from unspin.core.records import apply_findings
from unspin.core.tokens import Token, sentences
from unspin.discovery.profile import (
    MAX_WORDS,
    Entry,
    Model,
    Profile,
    content,
    occurrences,
    scan,
    span_inputs,
    whole_evidence,
)
from unspin.repair import find_repairs
from unspin.trace.index import Index

REFERENCE_SAMPLE = 2000
"""Reference documents read for the clean base rates (evenly spaced through the index).
More: steadier rates for rare phrases, slower learning (about 1 ms per document)."""
NEGATIVE_DOCUMENTS = 100
"""Least number of clean reference documents the models are fitted against (as many as
the traced copies when there are more). More: more conservative on clean text."""
PEEL_SEEN = 2
"""Times a one-word swap must be seen on its own before an unequal run is split at it."""
L2 = 1.0
"""Ridge penalty of the logistic fits (the profile's models have 4 and 2 inputs)."""

Position = tuple[int, int]  # (sentence, token)


@dataclass
class _Traced:
    """One traced copy: its tokens, the swaps harvested and what aligned unchanged."""

    doc_id: str
    sents: list[list[Token]]
    blocks: list[tuple[list[str], list[Position]]] = field(default_factory=list)
    """Replaced runs: (source words, query token positions), resolved after all reads."""
    equal: set[Position] = field(default_factory=set)
    swaps: dict[tuple[int, int, int], str] = field(default_factory=dict)
    """(sentence, start, stop) of each swap in this copy -> its original."""
    source: list[list[str]] = field(default_factory=list)
    """The words of each aligned source passage."""
    words: int = 0


def _positions(sents: list[list[Token]], start: int, end: int) -> list[Position]:
    """Token positions inside the character range [start, end)."""
    return [(s, k) for s, sent in enumerate(sents) for k, t in enumerate(sent)
            if start <= t.offset and t.end <= end]


def _read(doc_id: str, text: str, index: Index, config: Config) -> _Traced | None:
    """The copy's aligned runs against its sources, or None when it traces to none."""
    text = apply_findings(text, find_repairs(text))
    matches = index.query_sources(text, top=3, config=config)
    if not matches:
        return None
    traced = _Traced(doc_id, sentences(text))
    used: set[Position] = set()
    for match, source in matches:
        source_tokens = [t for sent in sentences(source) for t in sent]
        for p in match.passages:
            query = [q for q in _positions(traced.sents, p.query_offset,
                                           p.query_offset + p.query_length) if q not in used]
            end = p.source_offset + p.source_length
            src = [t.norm for t in source_tokens if p.source_offset <= t.offset and t.end <= end]
            used.update(query)
            _diff(traced, src, query)
    return traced if traced.words else None


def _diff(traced: _Traced, src: list[str], query: list[Position]) -> None:
    """Word-align one passage: equal words are kept, replaced runs become blocks."""
    words = [traced.sents[s][k].norm for s, k in query]
    matcher = difflib.SequenceMatcher(a=src, b=words, autojunk=False)
    traced.words += len(words)
    traced.source.append(src)
    codes = matcher.get_opcodes()
    for op, _, _, j1, j2 in codes:
        if op == "equal":
            traced.equal.update(query[j1:j2])
    for n, (op, i1, i2, j1, j2) in enumerate(codes):
        if op == "replace" and i2 - i1 <= MAX_WORDS and j2 - j1 <= MAX_WORDS:
            traced.blocks.append((src[i1:i2], query[j1:j2]))
        elif op == "insert" and j2 - j1 < MAX_WORDS:
            # A split or padded word ("Windows" -> "Home windows", "based" -> "primarily
            # based") aligns as an insertion beside the word it grew from: the next word
            # if it is unchanged, else the previous one.
            if n + 1 < len(codes) and codes[n + 1][0] == "equal":
                traced.equal.discard(query[j2])
                traced.blocks.append((src[i2 : i2 + 1], query[j1 : j2 + 1]))
            elif n > 0 and codes[n - 1][0] == "equal":
                traced.equal.discard(query[j1 - 1])
                traced.blocks.append((src[i1 - 1 : i1], query[j1 - 1 : j2]))


def _word_ok(token: Token) -> bool:
    return not any(c.isdigit() for c in token.text)


def _one_to_one(traced: _Traced) -> Iterable[tuple[str, str]]:
    """(original, observed) of the equal-length blocks' word pairs (the peeling table)."""
    for src, query in traced.blocks:
        if len(src) == len(query):
            for word, (s, k) in zip(src, query, strict=True):
                yield word, traced.sents[s][k].norm


def _resolve(traced: _Traced, seen: Counter[tuple[str, str]]) -> None:
    """Turn each block into swaps: word by word when both sides are as long, else the
    run with known one-word swaps peeled off its ends (`PEEL_SEEN`)."""
    for src, query in traced.blocks:
        if len(src) == len(query):
            for word, position in zip(src, query, strict=True):
                _swap(traced, [word], [position])
            continue
        src, query = list(src), list(query)
        while len(src) > 1 and len(query) > 1:
            if seen[(src[0], traced.sents[query[0][0]][query[0][1]].norm)] >= PEEL_SEEN:
                _swap(traced, src[:1], query[:1])
                src, query = src[1:], query[1:]
            elif seen[(src[-1], traced.sents[query[-1][0]][query[-1][1]].norm)] >= PEEL_SEEN:
                _swap(traced, src[-1:], query[-1:])
                src, query = src[:-1], query[:-1]
            else:
                break
        _swap(traced, src, query)


def _swap(traced: _Traced, src: list[str], query: list[Position]) -> None:
    """Record src -> the query words as a swap if it is one a dictionary spinner makes:
    one sentence, words joined by spaces, no digits, content words on both sides."""
    s = query[0][0]
    ks = [k for _, k in query]
    tokens = traced.sents[s][ks[0] : ks[-1] + 1]
    if any(q[0] != s for q in query) or ks != list(range(ks[0], ks[-1] + 1)):
        return
    if not all(t.joined for t in tokens[1:]) or not all(map(_word_ok, tokens)):
        return
    observed = [t.norm for t in tokens]
    if observed == src or not content(observed) or not content(src) \
            or any(any(c.isdigit() for c in w) for w in src):
        return
    traced.swaps[(s, ks[0], ks[-1] + 1)] = " ".join(src)


def _harvest(reads: list[_Traced]) -> Profile:
    """The profile's entries (originals, forms, documents) from every copy's swaps. A
    phrase-for-phrase swap seen once is dropped: mostly two neighbouring swaps read as
    one ("close yesterday" -> "change state past times"), which a second copy would not
    repeat."""
    pairs = Counter((" ".join(t.norm for t in traced.sents[s][a:b]), original)
                    for traced in reads for (s, a, b), original in traced.swaps.items())
    profile = Profile("")
    for traced in reads:
        for (s, start, stop), original in list(traced.swaps.items()):
            tokens = traced.sents[s][start:stop]
            observed = " ".join(t.norm for t in tokens)
            if len(tokens) > 1 and " " in original and pairs[(observed, original)] < 2:
                del traced.swaps[(s, start, stop)]
                continue
            profile.add(Entry(observed, {original: 1}, documents=(traced.doc_id,),
                              forms=(" ".join(t.text for t in tokens),)))
    return profile


def _labels(traced: _Traced, profile: Profile) -> list[tuple[int, int, int, int]]:
    """(sentence, start, stop, label) of the profile phrases in the copy's aligned part:
    1 where the copy swapped it in, 0 where it stood as in the source."""
    found = []
    for s, start, stop in scan(traced.sents, profile):
        if (s, start, stop) in traced.swaps:
            found.append((s, start, stop, 1))
        elif all((s, k) in traced.equal for k in range(start, stop)):
            found.append((s, start, stop, 0))
    return found


def _source_counts(traced: _Traced, wanted: set[str]) -> Counter[str]:
    """How often each `wanted` phrase stands in the copy's aligned source passages."""
    counts: Counter[str] = Counter()
    for passage in traced.source:
        for i in range(len(passage)):
            for n in range(1, min(MAX_WORDS, len(passage) - i) + 1):
                key = " ".join(passage[i : i + n])
                if key in wanted:
                    counts[key] += 1
    return counts


@dataclass
class _Own:
    """One document's own contribution to the profile's counts (left out when the
    models are fitted on it)."""

    swaps: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    source: Counter[str] = field(default_factory=Counter)
    reference: Counter[str] = field(default_factory=Counter)


def _without(profile: Profile, own: _Own) -> dict[str, Entry]:
    """The profile's entries with one document's own counts taken out."""
    entries = dict(profile.entries)
    touched = {o for o, _ in own.swaps} | set(own.kept) | set(own.reference)
    touched |= {key for key, entry in entries.items()
                if own.source and (key in own.source or not own.source.keys().isdisjoint(
                    entry.original_totals))}
    for key in touched:
        entry = entries.get(key)
        if entry is None:
            continue
        originals = {k: v - own.swaps[(key, k)] for k, v in entry.originals.items()}
        entries[key] = replace(
            entry, originals={k: v for k, v in originals.items() if v > 0}
            or {next(iter(entry.originals)): 0},
            original_totals={k: v - own.source[k] for k, v in entry.original_totals.items()},
            kept=entry.kept - own.kept[key], source_count=entry.source_count - own.source[key],
            reference=entry.reference - own.reference[key])
    return entries


def _fit(xs: list[tuple[float, ...]], ys: list[int]) -> Model:
    """Ridge logistic regression (Newton's method); the bias is not penalised."""
    x = np.hstack([np.asarray(xs, dtype=float), np.ones((len(xs), 1))])
    y = np.asarray(ys, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * L2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Model(tuple(float(v) for v in w[:-1]), float(w[-1]))


def learn(docs: Iterable[tuple[str, str]], index: Index, *, name: str = "",
          config: Config | None = None, reference_sample: int = REFERENCE_SAMPLE,
          skip: Callable[[str], None] | None = None,
          progress: Callable[[int, int], None] | None = None) -> Profile:
    """The profile of the spinner that wrote `docs` (`(id, text)` pairs), learned from
    those `index` traces to a source; the others teach nothing (their count is in the
    header). A text `trace` refuses raises `InputError`, or with `skip` is left out and
    `skip` gets "ID: why". `progress(read, traced)` is called after each document."""
    config = config or Config()
    reads: list[_Traced] = []
    read = 0
    for doc_id, text in docs:
        try:
            traced = _read(doc_id, text, index, config)
        except InputError as error:
            if skip is None:
                raise
            skip(f"{doc_id}: {error}")
            continue
        read += 1
        if traced is not None:
            reads.append(traced)
        if progress is not None:
            progress(read, len(reads))
    seen = Counter(pair for traced in reads for pair in _one_to_one(traced))
    for traced in reads:
        _resolve(traced, seen)
    profile = _harvest(reads)
    profile.name = name
    profile.created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    profile.documents_read, profile.documents_traced = read, len(reads)
    profile.spun_words = sum(t.words for t in reads)
    if not profile.entries:
        return profile
    labels = [_labels(traced, profile) for traced in reads]
    wanted = set(profile.entries) | {o for e in profile.entries.values() for o in e.originals}
    owns = [_own(traced, found, wanted) for traced, found in zip(reads, labels, strict=True)]
    for own in owns:
        for key, count in own.kept.items():
            profile.entries[key].kept += count
        for key, count in own.source.items():
            if key in profile.entries:
                profile.entries[key].source_count += count
    for entry in profile.entries.values():
        entry.original_totals = {o: sum(own.source[o] for own in owns) for o in entry.originals}
    negatives = _reference(profile, index, reference_sample, {t.doc_id for t in reads},
                           max(NEGATIVE_DOCUMENTS, len(reads)))
    _fit_models(profile, reads, labels, owns, negatives)
    return profile


def _own(traced: _Traced, found: list[tuple[int, int, int, int]], wanted: set[str]) -> _Own:
    """One copy's swaps, kept phrases and source counts."""
    def phrase(s: int, a: int, b: int) -> str:
        return " ".join(t.norm for t in traced.sents[s][a:b])

    return _Own(Counter((phrase(s, a, b), original)
                        for (s, a, b), original in traced.swaps.items()),
                Counter(phrase(s, a, b) for s, a, b, label in found if label == 0),
                _source_counts(traced, wanted))


def _reference(profile: Profile, index: Index, sample: int, exclude: set[str], keep: int
               ) -> list[tuple[list[list[Token]], Counter[str]]]:
    """Count the profile's phrases in a sample of the reference corpus (into
    `Entry.reference` and `Profile.reference_words`); return up to `keep` of the sampled
    documents, tokenized, with their own counts, as the models' clean examples."""
    step = max(1, len(index) // max(sample, 1))
    kept: list[tuple[list[list[Token]], Counter[str]]] = []
    for doc_id, text in index.documents(step):
        sents = sentences(text)
        profile.reference_words += sum(len(s) for s in sents)
        counts = Counter(" ".join(t.norm for t in sents[s][a:b])
                         for s, a, b in scan(sents, profile))
        for key, count in counts.items():
            profile.entries[key].reference += count
        if len(kept) < keep and doc_id not in exclude:
            kept.append((sents, counts))
    return kept


def _fit_models(profile: Profile, reads: list[_Traced],
                labels: list[list[tuple[int, int, int, int]]], owns: list[_Own],
                negatives: list[tuple[list[list[Token]], Counter[str]]]) -> None:
    """Fit the span and document models, each document's own counts left out."""
    lm = default_lm()
    span_x: list[tuple[float, ...]] = []
    span_y: list[int] = []
    doc_x: list[tuple[float, ...]] = []
    doc_y: list[int] = []
    for traced, found, own in zip(reads, labels, owns, strict=True):
        entries = _without(profile, own)
        occurs = occurrences(traced.sents, profile, lm, entries)
        n_words = sum(len(s) for s in traced.sents)
        label = {(s, a, b): y for s, a, b, y in found}
        rows = span_inputs(occurs, n_words)
        for occurrence, row in zip(occurs, rows, strict=True):
            y = label.get((occurrence.sentence, occurrence.start, occurrence.stop))
            if y is not None:
                span_x.append(row)
                span_y.append(y)
        doc_x.append(whole_evidence(occurs, n_words))
        doc_y.append(1)
    for sents, counts in negatives:
        occurs = occurrences(sents, profile, lm, _without(profile, _Own(reference=counts)))
        n_words = sum(len(s) for s in sents)
        rows = span_inputs(occurs, n_words)
        span_x += rows
        span_y += [0] * len(rows)
        doc_x.append(whole_evidence(occurs, n_words))
        doc_y.append(0)
    if len(set(span_y)) == 2:
        profile.span_model = _fit(span_x, span_y)
    if len(set(doc_y)) == 2:
        profile.document_model = _fit(doc_x, doc_y)
    profile.fit = {"span_examples": len(span_y), "span_swaps": sum(span_y),
                   "traced_documents": len(reads), "clean_documents": len(negatives),
                   "log_loss": round(_log_loss(profile.span_model, span_x, span_y), 4)}


def _log_loss(model: Model, xs: list[tuple[float, ...]], ys: list[int]) -> float:
    """Mean log loss of `model` on its training examples (a sanity figure in the header)."""
    if not ys:
        return 0.0
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        p = min(max(model.probability(x), 1e-9), 1 - 1e-9)
        total -= math.log(p if y else 1 - p)
    return total / len(ys)

