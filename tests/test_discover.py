"""Discovery: the sentence decoder, candidate rules, evidence and the neural rescoring hook."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import unspin
from unspin import Config, InputError
from unspin.core.lm import default_lm
from unspin.core.tokens import sentences
from unspin.discovery.decoder import propose
from unspin.discovery.lexicon import ReverseThesaurus
from unspin.discovery.rescore import rescore
from unspin.discovery.sources import Sources
from unspin.pipeline.engine import analyze

THESAURUS_ONLY = frozenset({"moby", "mythes", "wordnet"})

EXAMPLE = Path(__file__).parents[1] / "examples" / "spun_news.txt"
FIXTURE = (
    "#unspin-thesaurus v3 sources: 1=Moby 2=MyThes 4=WordNet; max_words=2\n"
    "consciousness\tintelligence=2:4\n"
    "counterfeit\tartificial=2:4\n"
    "financial institution\tbank=4:2\n"
    "remains\tis=1:2\n"
)


@pytest.fixture()
def tiny(tmp_path: Path) -> ReverseThesaurus:
    path = tmp_path / "tiny.tsv"
    path.write_text(FIXTURE, encoding="utf-8")
    return ReverseThesaurus.load(path, learned=False)


def originals(text: str, th: ReverseThesaurus, config: Config) -> list[str]:
    """The proposed originals of a one-sentence text."""
    sources = Sources(th, default_lm(), config)
    return [p.original for p in propose(sentences(text)[0], default_lm(), sources, config)]


def test_adjacent_swaps_are_decoded_as_one_run(tiny: ReverseThesaurus) -> None:
    text = "Advances in counterfeit consciousness are changing the world."
    config = Config(sources=THESAURUS_ONLY, min_gain=2.0)
    assert originals(text, tiny, config) == ["artificial intelligence"]


def test_function_word_originals_are_never_proposed(tiny: ReverseThesaurus) -> None:
    # "is" fits far better than "remains", but spinners leave function words alone.
    text = "The story this year remains about digital music."
    assert originals(text, tiny, Config(sources=THESAURUS_ONLY)) == []


def test_title_case_phrase_mid_sentence_is_judged(tiny: ReverseThesaurus) -> None:
    text = "The loan was approved by the World Financial institution on Monday."
    config = Config(channel_weight=0.0, min_gain=1.0, sources=THESAURUS_ONLY | {"shape"})
    assert originals(text, tiny, config) == ["bank"]
    # An all-capitalised name is left alone.
    assert originals("He joined the World Financial Institution in May.", tiny, config) == []


class FakeScorer:
    """A stand-in neural LM: prefers texts containing `liked`."""

    name = "fake"

    def __init__(self, liked: str) -> None:
        self.liked = liked
        self.calls: list[list[str]] = []

    def score(self, texts: list[str]) -> list[float]:
        self.calls.append(list(texts))
        return [-10.0 + 5.0 * (self.liked in t) for t in texts]


def test_rescore_picks_the_variant_the_scorer_prefers(tiny: ReverseThesaurus) -> None:
    text = "Advances in counterfeit consciousness are changing the world."
    tokens = sentences(text)[0]
    config = Config(sources=THESAURUS_ONLY, min_gain=2.0)
    raised = propose(tokens, default_lm(), Sources(tiny, default_lm(), config), config)
    scorer = FakeScorer("artificial intelligence")
    (p,) = rescore(text, tokens, raised, scorer, candidates=3, context_after=2)
    assert p.scorer == "neural" and p.fast_gain == raised[0].gain
    assert p.gain == pytest.approx(5.0)
    # The window ends two words after the span; the observed window is scored too.
    assert "Advances in counterfeit consciousness are changing" in scorer.calls[0]


def test_neural_without_the_extra_is_a_clear_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import unspin.pipeline.engine as engine

    def missing() -> None:
        raise InputError(engine.INSTALL_HINT)

    monkeypatch.setattr(engine, "neural_scorer", missing)
    with pytest.raises(InputError, match="unspin\\[neural\\]"):
        unspin.check("Some text to check.", config=Config(neural=True))


def test_discovered_finding_carries_its_evidence() -> None:
    text = EXAMPLE.read_text("utf-8")
    config = Config(known_list=False, min_confidence=0.0)
    finding = analyze(text, config).findings[0]
    ev = finding.evidence
    assert ev["source"] == "discovery" and ev["links"][0]["original"]
    link = ev["links"][0]
    assert link["sources"] and (link.get("synonyms_of_original") or link["candidate_rank"]) >= 1
    assert ev["proposed_logprob"] > ev["observed_logprob"]
    assert {"gain_log10", "score_log10", "lm", "original_elsewhere_in_text",
            "observed_count_in_text", "frequency_gain_log10", "observed_fit_log10",
            "case_pattern"} <= set(ev)


def test_switched_off_sources_give_no_candidates() -> None:
    from unspin.discovery.sources import sources_for

    span = sentences("The firm stated it would grow.")[0]
    every = sources_for(Config()).originals(span[2:3], span)
    assert "said" in [link.original for link in every]
    none = sources_for(Config(sources=frozenset({"shape"}))).originals(span[2:3], span)
    assert none == ()
    with pytest.raises(ValueError, match="unknown candidate source"):
        Sources(ReverseThesaurus({}), default_lm(), Config(sources=frozenset({"nope"})))


def test_stricter_confidence_never_adds_findings() -> None:
    text = EXAMPLE.read_text("utf-8")
    loose = analyze(text, replace(Config(), min_confidence=0.0)).findings
    strict = analyze(text, Config()).findings
    assert {f.offset for f in strict} <= {f.offset for f in loose}


def test_one_long_sentence_costs_linear_time() -> None:
    """A text without full stops is one sentence: the decoder must stay linear in it
    (it once copied the decoded sentence per change and the chosen changes per step)."""
    import time

    unspin.check("Warm up the models first.")

    def seconds(n: int) -> float:
        text = "they were making Home windows safer on their LAPTOP and " * (n // 10)
        start = time.process_time()
        unspin.check(text)
        return time.process_time() - start

    small, large = seconds(2_000), seconds(8_000)
    assert large < 8 * small, (small, large)  # 4x the words; quadratic would be 16x
