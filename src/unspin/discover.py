"""Discovery of tortured phrases no list knows.

For every span of one to a few words, the reverse thesaurus proposes the
wordings a spinner could have started from ("profound" <- "deep"); the language
model scores the sentence with each. A span is suspected when some candidate is
far more natural in context than what is written. The gain is a log10
probability ratio over the span and the two words after it (whose prediction the
span conditions), so it reads as "N orders of magnitude more likely".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from unspin.config import Config
from unspin.lexicon import Link, ReverseThesaurus
from unspin.lm import NGramLM
from unspin.tokens import Token

# Function words: spinners rarely touch them alone, and the LM favours them.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall upon per via""".split()
)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A suspected span tokens[start:stop] of one sentence and its best original.

    `gain` is the LM log10 ratio (proposed over observed); `score` adds the channel
    prior, log10 of the chance that a spinner turns the original into what is written.
    """

    start: int
    stop: int
    links: tuple[Link, ...]
    gain: float
    score: float
    observed_logprob: float
    proposed_logprob: float

    @property
    def original(self) -> str:
        """The proposed original wording of the whole span."""
        return " ".join(link.original for link in self.links)


def _eligible(tokens: list[Token], lm: NGramLM) -> list[bool]:
    """Tokens a spinner could have produced and we may judge: common-noun-like words."""
    return [
        t.text.isalpha() and (not t.is_capitalized or t.sentence_start) and lm.known(t.norm)
        for t in tokens
    ]


def _prior(links: tuple[Link, ...], weight: float) -> float:
    """log10 chance (times `weight`) that a spinner picked these synonyms: 1/fan-out each."""
    return -weight * sum(math.log10(max(link.fanout, 1)) for link in links)


class _Sentence:
    """One sentence as the LM sees it, with the observed wording's log-probabilities."""

    def __init__(self, tokens: list[Token], lm: NGramLM) -> None:
        self.lm = lm
        self.seq = ["<s>", *(t.norm for t in tokens), "</s>"]
        seq = self.seq
        self.lp = [0.0] + [lm.logprob(seq[k], seq[max(0, k - 2) : k]) for k in range(1, len(seq))]

    def best(
        self, i: int, j: int, options: list[tuple[Link, ...]], config: Config
    ) -> Proposal | None:
        """The highest-scoring replacement of tokens[i:j] among `options`, if any clears."""
        seq, lp = self.seq, self.lp
        stop_obs = min(j + 3, len(seq))  # the span and the two words it conditions
        observed = sum(lp[i + 1 : stop_obs])
        best: Proposal | None = None
        for links in options:
            cand = " ".join(link.original for link in links).split()
            new = seq[: i + 1] + cand + seq[j + 1 :]
            proposed = self.lm.score(new, i + 1, min(i + 1 + len(cand) + 2, len(new)))
            gain = proposed - observed
            score = gain + _prior(links, config.channel_weight)
            if best is None or score > best.score:
                best = Proposal(i, j, links, gain, score, observed, proposed)
        return best if best is not None and best.score >= config.min_gain else None

    def suspicious(self, i: int, j: int, config: Config) -> bool:
        """Whether tokens[i:j] or the two words after fit their context poorly."""
        return min(self.lp[i + 1 : min(j + 3, len(self.lp))]) <= config.max_observed_logprob


def propose(
    tokens: list[Token], lm: NGramLM, thesaurus: ReverseThesaurus, config: Config
) -> list[Proposal]:
    """Non-overlapping proposals for one sentence, best score first.

    Spans are single words or phrases the thesaurus knows ("known as" <- "called"),
    and pairs of adjacent content words decoded jointly, because spinners often
    swap both words of a collocation ("counterfeit consciousness").
    """
    sent = _Sentence(tokens, lm)
    ok = _eligible(tokens, lm)
    norms = [t.norm for t in tokens]
    found: list[Proposal] = []
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + thesaurus.max_phrase_words) + 1):
            if not ok[j - 1] or (j - 1 > i and not tokens[j - 1].joined):
                break
            words = norms[i:j]
            if all(w in STOPWORDS for w in words) or not sent.suspicious(i, j, config):
                continue
            links = thesaurus.originals(" ".join(words))
            if links and (p := sent.best(i, j, [(link,) for link in links], config)):
                found.append(p)
        if (
            i + 1 < len(tokens)
            and ok[i]
            and ok[i + 1]
            and tokens[i + 1].joined
            and norms[i] not in STOPWORDS
            and norms[i + 1] not in STOPWORDS
            and max(sent.lp[i + 1], sent.lp[i + 2]) <= config.max_observed_logprob
        ):
            first = thesaurus.originals(norms[i])[: config.pair_candidates]
            second = thesaurus.originals(norms[i + 1])[: config.pair_candidates]
            pairs = [(a, b) for a in first for b in second]
            if pairs and (p := sent.best(i, i + 2, pairs, config)):
                found.append(p)
    found.sort(key=lambda p: -p.score)
    chosen: list[Proposal] = []
    for p in found:
        if all(p.stop <= q.start or p.start >= q.stop for q in chosen):
            chosen.append(p)
    return chosen
