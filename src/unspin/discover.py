"""Discovery of tortured phrases no list knows.

For every span of one to a few words, the reverse thesaurus proposes the
wordings a spinner could have started from ("profound" <- "deep"); the language
model scores the sentence with each. A span is suspected when some candidate is
far more natural in context than what is written. The gain is a log10
probability ratio over the span and the two words after it (whose prediction the
span conditions), so it reads as "N orders of magnitude more likely".
"""

from __future__ import annotations

from dataclasses import dataclass

from unspin.config import Config
from unspin.lexicon import ReverseThesaurus
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
    """A suspected span tokens[start:stop] of one sentence and its best original."""

    start: int
    stop: int
    original: str
    gain: float
    observed_logprob: float
    proposed_logprob: float
    sources: int


def _eligible(tokens: list[Token], lm: NGramLM) -> list[bool]:
    """Tokens a spinner could have produced and we may judge: common-noun-like words."""
    return [
        t.text.isalpha()
        and (not t.is_capitalized or t.sentence_start)
        and lm.known(t.norm)
        for t in tokens
    ]


def propose(
    tokens: list[Token], lm: NGramLM, thesaurus: ReverseThesaurus, config: Config
) -> list[Proposal]:
    """Non-overlapping proposals for one sentence, best gain first."""
    seq = ["<s>", *(t.norm for t in tokens), "</s>"]
    lp = [0.0] + [lm.logprob(seq[k], seq[max(0, k - 2) : k]) for k in range(1, len(seq))]
    ok = _eligible(tokens, lm)
    found: list[Proposal] = []
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + thesaurus.max_phrase_words) + 1):
            if not ok[j - 1]:
                break
            words = seq[i + 1 : j + 1]
            if all(w in STOPWORDS for w in words):
                continue
            # The words whose probability the span influences: itself and the next two.
            stop_obs = min(j + 3, len(seq))
            if min(lp[i + 1 : stop_obs]) > config.max_observed_logprob:
                continue
            links = thesaurus.originals(" ".join(words))
            if not links:
                continue
            observed = sum(lp[i + 1 : stop_obs])
            best: Proposal | None = None
            for link in links:
                cand = link.original.split()
                new = seq[: i + 1] + cand + seq[j + 1 :]
                stop_new = min(i + 1 + len(cand) + 2, len(new))
                score = lm.score(new, i + 1, stop_new)
                gain = score - observed
                if best is None or gain > best.gain:
                    best = Proposal(i, j, link.original, gain, observed, score, link.sources)
            if best is not None and best.gain >= config.min_gain:
                found.append(best)
    found.sort(key=lambda p: -p.gain)
    chosen: list[Proposal] = []
    for p in found:
        if all(p.stop <= q.start or p.start >= q.stop for q in chosen):
            chosen.append(p)
    return chosen
