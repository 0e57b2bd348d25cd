"""Align the sentences of a spun text with those of its source.

Each query sentence is paired with the source sentence sharing the most features that
survive spinning (names, numbers, kept words, skeleton trigrams; see
`unspin.trace.fingerprint.sentence_features`); runs of pairs that follow each other in both
texts become one passage.
"""

from __future__ import annotations

import re

from unspin.core.records import Passage
from unspin.trace.fingerprint import SentenceFeatures, sentence_features

_CLOSING = re.compile(r"[.!?;:]*[\"'\u201d\u2019)\]]*")

MIN_SIMILARITY = 0.2
"""Jaccard similarity of features above which two sentences are aligned. Lower aligns
more of a heavily spun copy but also pairs unrelated sentences that share a name."""


def agreement(query: list[SentenceFeatures], targets: list[SentenceFeatures]) -> float:
    """The median, over the query's sentences, of the best feature Jaccard similarity
    with one of the source's sentences `targets`: a spun copy or excerpt keeps each
    sentence's names, numbers and skeleton (dev news: 0.33 or more for 99 in 100
    sources), while another outlet's rewrite of the same story shares facts spread over
    other sentences."""
    best = sorted(max((len(s.features & t.features) / len(s.features | t.features)
                       for t in targets if s.features | t.features), default=0.0)
                  for s in query)
    return best[len(best) // 2] if best else 0.0


def _best_targets(query: list[SentenceFeatures], targets: list[SentenceFeatures]
                  ) -> list[SentenceFeatures | None]:
    """Per query sentence, the target sentence it aligns with (None when no target's
    similarity is above `MIN_SIMILARITY`)."""
    found: list[SentenceFeatures | None] = []
    for sentence in query:
        best, similarity = None, MIN_SIMILARITY  # strictly above
        for target in targets:
            union = len(sentence.features | target.features)
            shared = len(sentence.features & target.features)
            if union and shared / union > similarity:
                best, similarity = target, shared / union
        found.append(best)
    return found


def coherence(query: list[SentenceFeatures], targets: list[SentenceFeatures]) -> float:
    """How far `query` reads as one spun passage of the source whose sentences are
    `targets`: the lesser of the share of its sentences that align with one of the
    source's and the share of consecutive aligned sentences that follow each other there
    (the same or the next source sentence). 1.0: every sentence aligns, in order; a
    heavily spun copy loses a sentence or two (0.75 and up), while another text on the
    same story matches a sentence here and there, out of order."""
    best = _best_targets(query, targets)
    pairs = [(s, t) for s, t in zip(query, best, strict=True) if t is not None]
    if not pairs:
        return 0.0
    ordered = sum(_follows(a, b, targets) for a, b in zip(pairs, pairs[1:], strict=False))
    return min(len(pairs) / len(query), ordered / (len(pairs) - 1) if len(pairs) > 1 else 1.0)


def align(query: str, source: str) -> list[Passage]:
    """Aligned passages of `query` and `source`, in query order."""
    targets = sentence_features(source)
    sentences = sentence_features(query)
    pairs = [(s, t) for s, t in zip(sentences, _best_targets(sentences, targets), strict=True)
             if t is not None]
    passages: list[Passage] = []
    run: list[tuple[SentenceFeatures, SentenceFeatures]] = []
    for pair in pairs:
        if run and not _follows(run[-1], pair, targets):
            passages.append(_passage(query, source, run))
            run = []
        run.append(pair)
    if run:
        passages.append(_passage(query, source, run))
    return passages


def _follows(previous: tuple[SentenceFeatures, SentenceFeatures],
             pair: tuple[SentenceFeatures, SentenceFeatures],
             targets: list[SentenceFeatures]) -> bool:
    """Whether `pair` continues the passage ending with `previous` in both texts: the
    next source sentence, or the same one (a sentence the spinner split)."""
    before, after = targets.index(previous[1]), targets.index(pair[1])
    return after in (before, before + 1)


def _passage(query: str, source: str,
             run: list[tuple[SentenceFeatures, SentenceFeatures]]) -> Passage:
    """The passage covering a run of aligned sentence pairs, closing punctuation included."""
    q_start, q_end = run[0][0].start, _closed(query, run[-1][0].end)
    s_start = min(p[1].start for p in run)
    s_end = _closed(source, max(p[1].end for p in run))
    return Passage(q_start, q_end - q_start, s_start, s_end - s_start)


def _closed(text: str, end: int) -> int:
    """`end` moved past the punctuation and closing quotes that end a sentence there."""
    m = _CLOSING.match(text, end)
    return m.end() if m else end
