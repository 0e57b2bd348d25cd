"""The fast path's scorer and decoder: restoration as noisy-channel decoding.

For every span of one to a few words, the candidate sources (unspin.discovery.sources)
propose the wordings a spinner could have started from ("profound" <- "deep"). A cheap
local test keeps the few candidates that fit their context far better than what is
written; a beam decoder then picks the best wording of the whole sentence under the
3-gram language model, where each change pays a fixed cost (`Config.min_gain`) less
its channel prior (the candidate's rank among the span's candidates). Deciding the
sentence jointly lets neighbouring changes support each other, as spinners swap both
words of a collocation ("counterfeit consciousness").

Each run of adjacent changes becomes one `Proposal`, whose `gain` is the log10
probability ratio of the decoded sentence over the same sentence with that run
put back as written, measured over the run and the two words after it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from unspin.core.config import Config
from unspin.core.lm import NGramLM
from unspin.core.tokens import STOPWORDS, Token
from unspin.discovery.lexicon import Link
from unspin.discovery.sources import Sources


@dataclass(frozen=True, slots=True)
class Option:
    """A candidate original `link` for the observed tokens[start:stop] of a sentence."""

    start: int
    stop: int
    link: Link
    prior: float
    """Channel prior in log10: -Config.channel_weight * log10(the link's rank among the
    span's candidates), less `Config.length_penalty` per word the original is shorter
    than what is written, plus `Config.shape_bonus` when the span shows a spinner's
    case pattern and `Config.tagger_bonus` per unit of the tagger's log-odds on it."""
    anomaly: str = ""
    """The spinner's case pattern the span shows, if any (unspin.discovery.shapes)."""

    @property
    def words(self) -> list[str]:
        """The original as LM words."""
        return self.link.original.split()


@dataclass(frozen=True, slots=True)
class Proposal:
    """A run of adjacent changes tokens[start:stop] and the evidence for it.

    `gain` is the LM log10 ratio (decoded over as written); `score` adds the
    channel priors of its parts.
    """

    start: int
    stop: int
    parts: tuple[Option, ...]
    gain: float
    score: float
    observed_logprob: float
    proposed_logprob: float
    alternatives: tuple[Option, ...] = ()
    """Other candidate originals of a one-part run, best local score first."""
    scorer: str = "fast"
    """Which LM gave `gain`: "fast" (3-gram) or "neural" (unspin.discovery.rescore)."""
    fast_gain: float | None = None
    """The 3-gram gain, kept as evidence when the neural LM rescored the run."""
    observed_fit: float = 0.0
    """The least 3-gram log10 probability of the run's words (and the two after) as
    written: how badly the observed wording fits its context."""

    @property
    def original(self) -> str:
        """The proposed original wording of the whole span."""
        return " ".join(part.link.original for part in self.parts)


def _eligible(tokens: list[Token], lm: NGramLM) -> list[bool]:
    """Tokens a spinner could have produced and we may judge: common-noun-like words."""
    return [
        t.text.isalpha() and (not t.is_capitalized or t.sentence_start) and lm.known(t.norm)
        for t in tokens
    ]


@functools.lru_cache(maxsize=65536)
def _candidates(links: tuple[Link, ...]) -> tuple[tuple[Link, float, list[str]], ...]:
    """(link, log10 rank, words) for the links worth trying, cached per candidate list.

    The rank is the link's place in its source's ordering (most sources agreeing first):
    the channel prior. Originals made only of function words are left out: spinners
    leave those alone.
    """
    return tuple(
        (link, math.log10(rank), link.original.split())
        for rank, link in enumerate(links, 1)
        if not all(w in STOPWORDS for w in link.original.split())
    )


class _Sentence:
    """One sentence as the LM sees it, with the observed wording's log-probabilities."""

    def __init__(self, tokens: list[Token], lm: NGramLM) -> None:
        self.lm = lm
        self.seq = ["<s>", *(t.norm for t in tokens), "</s>"]
        seq = self.seq
        self.lp = [0.0] + [lm.logprob(seq[k], seq[max(0, k - 2) : k]) for k in range(1, len(seq))]

    def suspicious(self, i: int, j: int, config: Config) -> bool:
        """Whether tokens[i:j] or the two words after fit their context poorly."""
        return min(self.lp[i + 1 : min(j + 3, len(self.lp))]) <= config.max_observed_logprob

    def local_score(self, i: int, j: int, cand: list[str]) -> float:
        """LM gain of `cand` for tokens[i:j] with everything else as written."""
        seq = self.seq
        stop_obs = min(j + 3, len(seq))
        lo = max(0, i - 1)  # two words of history before the span
        window = seq[lo : i + 1] + cand + seq[j + 1 : stop_obs]
        proposed = self.lm.score(window, i + 1 - lo, len(window))
        return proposed - sum(self.lp[i + 1 : stop_obs])

    def window_gain(self, words: list[str], reverted: list[str], a: int, b: int) -> tuple[
        float, float, float
    ]:
        """(gain, proposed, observed) of `words` over `reverted`, which differ in [a, b)."""
        proposed = self.lm.score(words, a, min(b + 2, len(words)))
        stop = min(b + len(reverted) - len(words) + 2, len(reverted))
        observed = self.lm.score(reverted, a, stop)
        return proposed - observed, proposed, observed


def _options(
    tokens: list[Token],
    sent: _Sentence,
    sources: Sources,
    config: Config,
    cost: float,
    odds: Sequence[float] | None,
) -> list[list[Option]]:
    """Per start token, the few candidate originals worth decoding, best first.

    `odds` are the tagger's per-token log-odds (None: no tagger)."""
    ok = _eligible(tokens, sent.lm)
    norms = [t.norm for t in tokens]
    floor = cost - config.joint_slack
    out: list[list[Option]] = [[] for _ in tokens]
    for i in range(len(tokens)):
        scored: list[tuple[float, Option]] = []
        for j in range(i + 1, min(len(tokens), i + sources.max_phrase_words) + 1):
            if (not ok[j - 1] and j - 1 > i) or (j - 1 > i and not tokens[j - 1].joined):
                break
            span = tokens[i:j]
            anomaly = sources.anomalous(span, tokens)
            if not ok[i] and not anomaly:
                continue
            words = norms[i:j]
            if all(w in STOPWORDS for w in words):
                continue
            tagged = max(odds[i:j]) if odds is not None else -math.inf
            if (not anomaly and tagged < config.tagger_suspect
                    and not sent.suspicious(i, j, config)):
                continue
            bonus = (config.shape_bonus if anomaly else 0.0) + config.tagger_bonus * max(
                0.0, tagged)
            for link, log_rank, cand in _candidates(sources.originals(span, tokens)):
                shorter = max(0, j - i - len(cand))
                prior = (bonus - config.channel_weight * log_rank
                         - config.length_penalty * shorter)
                if (s := sent.local_score(i, j, cand) + prior) >= floor:
                    scored.append((s, Option(i, j, link, prior, anomaly)))
        scored.sort(key=lambda pair: -pair[0])
        out[i] = [option for _, option in scored[: config.candidates]]
    return out


_Chain = tuple[Option, "_Chain"] | None
"""The options chosen so far, newest first, as a linked list: a hypothesis extends its
parent's in O(1), so a sentence with thousands of changes costs no more per word."""


def _decode(sent: _Sentence, options: list[list[Option]], beam: int, cost: float) -> list[Option]:
    """The changes of the best sentence wording: trigram Viterbi with a beam.

    States are the last two words; each change costs `cost` minus its prior.
    """
    lm = sent.lm
    n = len(options)
    # agenda[k]: state (last two words) -> (score, chosen options), before token k
    agenda: list[dict[tuple[str, ...], tuple[float, _Chain]]] = [{} for _ in range(n + 1)]
    agenda[0][("<s>",)] = (0.0, None)

    def push(k: int, state: tuple[str, ...], score: float, chosen: _Chain) -> None:
        old = agenda[k].get(state)
        if old is None or score > old[0]:
            agenda[k][state] = (score, chosen)

    for k in range(n):
        items = sorted(agenda[k].items(), key=lambda kv: -kv[1][0])[:beam]
        agenda[k] = {}  # done with: free it
        word = sent.seq[k + 1]
        for state, (score, chosen) in items:
            push(k + 1, (state[-1], word), score + lm.logprob(word, state), chosen)
            for option in options[k]:
                s, h = score + option.prior - cost, state
                for w in option.words:
                    s += lm.logprob(w, h)
                    h = (h[-1], w)
                push(option.stop, h, s, (option, chosen))
    final = max(agenda[n].items(), key=lambda kv: kv[1][0] + lm.logprob("</s>", kv[0]))
    chain, out = final[1][1], []
    while chain is not None:
        out.append(chain[0])
        chain = chain[1]
    return out[::-1]


def _runs(tokens: list[Token], chosen: list[Option]) -> Iterator[list[Option]]:
    """Group decoded changes into runs of adjacent, space-joined options."""
    run: list[Option] = []
    for option in chosen:
        if run and (option.start != run[-1].stop or not tokens[option.start].joined):
            yield run
            run = []
        run.append(option)
    if run:
        yield run


def propose(
    tokens: list[Token],
    lm: NGramLM,
    sources: Sources,
    config: Config,
    change_cost: float | None = None,
    odds: Sequence[float] | None = None,
) -> list[Proposal]:
    """The proposals of one sentence, in text order.

    `change_cost` (default `config.min_gain`) is what each change pays in the decoder;
    the neural path lowers it to raise more candidates for rescoring. `odds`, the
    tagger's log-odds per token, make words suspect and raise their candidates' prior.
    """
    sent = _Sentence(tokens, lm)
    cost = config.min_gain if change_cost is None else change_cost
    options = _options(tokens, sent, sources, config, cost, odds)
    if not any(options):
        return []
    chosen = _decode(sent, options, config.beam, cost)
    # The decoded sentence and each chosen option's [a, b) in it, built in one pass: an
    # edit in place per option would shift the tail each time (quadratic on long lines).
    decoded: list[str] = []
    positions: list[tuple[int, int]] = []
    cursor = 0  # next index of sent.seq to copy; token i is sent.seq[i + 1]
    for option in chosen:
        decoded += sent.seq[cursor : option.start + 1]
        positions.append((len(decoded), len(decoded) + len(option.words)))
        decoded += option.words
        cursor = option.stop + 1
    decoded += sent.seq[cursor:]
    out: list[Proposal] = []
    index = 0
    for run in _runs(tokens, chosen):
        a, b = positions[index][0], positions[index + len(run) - 1][1]
        index += len(run)
        # The run's window with two words of history either side, as decoded and reverted.
        lo, hi = max(0, a - 2), min(len(decoded), b + 2)
        observed_run = sent.seq[run[0].start + 1 : run[-1].stop + 1]
        window = decoded[lo:hi]
        reverted = decoded[lo:a] + observed_run + decoded[b:hi]
        gain, proposed, observed = sent.window_gain(window, reverted, a - lo, b - lo)
        prior = sum(option.prior for option in run)
        alternatives = tuple(
            o for o in options[run[0].start] if o.stop == run[0].stop and o is not run[0]
        ) if len(run) == 1 else ()
        out.append(
            Proposal(run[0].start, run[-1].stop, tuple(run), gain, gain + prior, observed,
                     proposed, alternatives,
                     observed_fit=min(sent.lp[run[0].start + 1 : run[-1].stop + 3]))
        )
    return out
