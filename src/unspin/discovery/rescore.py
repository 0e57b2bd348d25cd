"""The precise path: the neural LM rescores the spans the fast path raises.

The 3-gram LM sees two words of context and knows little science; the neural LM
reads the whole sentence. For each raised span it scores the sentence as written
and with each candidate original (case kept), and the best candidate's log10
ratio plus the channel prior becomes the proposal's score.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from unspin.core.tokens import Token, match_case
from unspin.discovery.decoder import Option, Proposal


class SentenceScorer(Protocol):
    """What rescoring needs of a neural LM (unspin.discovery.neural.NeuralLM has it)."""

    name: str

    def score(self, texts: list[str]) -> list[float]:
        """Total log10 probability of each text."""
        ...


def rescore(
    text: str,
    tokens: list[Token],
    proposals: list[Proposal],
    scorer: SentenceScorer,
    candidates: int,
    context_after: int,
) -> list[Proposal]:
    """`proposals` of one sentence with neural gains, scores and best originals.

    Each span is judged on the sentence up to `context_after` words past it: the
    words further on barely depend on the change and would only cost time.
    """
    lo = tokens[0].offset if tokens else 0
    jobs: list[tuple[str, list[tuple[tuple[Option, ...], str]]]] = []
    for p in proposals:
        a, b = tokens[p.start].offset, tokens[p.stop - 1].end
        end = tokens[min(p.stop + context_after, len(tokens)) - 1].end
        options = [p.parts, *((o,) for o in p.alternatives)][:candidates]
        jobs.append((text[lo:end], [
            (parts, text[lo:a] + match_case(text[a:b], _wording(parts)) + text[b:end])
            for parts in options
        ]))
    texts = [t for observed, vs in jobs for t in (observed, *(v for _, v in vs))]
    unique = list(dict.fromkeys(texts))
    logprob = dict(zip(unique, scorer.score(unique), strict=True))
    out = []
    for p, (observed, variants) in zip(proposals, jobs, strict=True):
        base = logprob[observed]
        parts, variant = max(
            variants, key=lambda pv: logprob[pv[1]] + sum(o.prior for o in pv[0])
        )
        gain = logprob[variant] - base
        score = gain + sum(o.prior for o in parts)
        out.append(
            replace(p, parts=parts, gain=gain, score=score, observed_logprob=base,
                    proposed_logprob=logprob[variant], scorer="neural", fast_gain=p.gain)
        )
    return out


def _wording(parts: tuple[Option, ...]) -> str:
    """The original wording a run of options proposes."""
    return " ".join(o.link.original for o in parts)
