"""Invariants of the evaluation spinner (tools/spinner.py) and splits (tools/datasets.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from spinner import Spun, spin, substitute_pairs

FORWARD = {
    "results": ["outcomes"],
    "deep learning": ["profound learning"],
    "big": ["huge", "enormous"],
    "company": ["organization"],
    "market": ["marketplace"],
    "show": ["demonstrate"],
    "the": ["this"],
    "apple": ["pome"],
    "sales": ["deals"],
}
TEXT = (
    "Results show that deep learning helps the big company. Now Apple sales grew in the "
    "market, and the company said results were big. SALES rose at Apple too."
)
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def undo(spun: Spun) -> str:
    """The original text, rebuilt from the spun text and its edits."""
    text = spun.text
    for edit in reversed(spun.edits):
        text = text[: edit.offset] + edit.original + text[edit.offset + edit.length :]
    return text


def check_edits(spun: Spun, original: str) -> None:
    """Edits are exact, ordered, non-overlapping and explain every change."""
    for edit in spun.edits:
        assert spun.text[edit.offset : edit.offset + edit.length] == edit.observed
        assert edit.observed.lower() != edit.original.lower()
    for a, b in zip(spun.edits, spun.edits[1:], strict=False):
        assert a.offset + a.length <= b.offset
    assert undo(spun) == original


def test_spin_edits_are_exact_and_complete() -> None:
    for seed in range(20):
        check_edits(spin(TEXT, FORWARD, random.Random(seed), rate=0.5), TEXT)


def test_spin_is_deterministic() -> None:
    first = spin(TEXT, FORWARD, random.Random(7), rate=0.5)
    assert spin(TEXT, FORWARD, random.Random(7), rate=0.5) == first
    assert spin(TEXT, FORWARD, random.Random(7), rate=0.0).edits == []


def test_spin_full_rate_respects_names_stopwords_and_case() -> None:
    spun = spin(TEXT, FORWARD, random.Random(1), rate=1.0)
    check_edits(spun, TEXT)
    originals = [e.original for e in spun.edits]
    assert "the" not in originals  # stopword
    assert "Apple" not in originals and "SALES" not in originals  # proper noun, ALL CAPS
    assert spun.text.startswith("Outcomes demonstrate that profound learning helps the ")
    assert "deep learning" in originals  # a phrase replaced as one unit
    assert "Apple deals grew in the marketplace" in spun.text


def test_spin_keeps_sentence_initial_names() -> None:
    spun = spin("Apple Inc said results were big.", FORWARD, random.Random(1), rate=1.0)
    assert spun.text == "Apple Inc said outcomes were huge." or "enormous" in spun.text


def test_substitute_pairs_longest_first_with_case() -> None:
    text = "Deep neural network models beat a neural network. Networking is not a network."
    pairs = [
        ("profound neural organization", "deep neural network"),
        ("neural organization", "neural network"),
        ("organization", "network"),
    ]
    spun = substitute_pairs(text, pairs, random.Random(0))
    check_edits(spun, text)
    assert spun.text == (
        "Profound neural organization models beat a neural organization. "
        "Networking is not a organization."
    )
    assert [e.original for e in spun.edits] == ["Deep neural network", "neural network", "network"]


def test_substitute_pairs_across_line_breaks() -> None:
    spun = substitute_pairs("big\ndata here", [("huge information", "big data")], random.Random(0))
    assert spun.text == "huge information here"
    assert spun.edits[0].original == "big\ndata"


def needs_data() -> Path:
    """The development data folder, or skip the test when it is absent."""
    if not (DATA / "tortured" / "pps_pairs.dev.csv").is_file():
        pytest.skip(f"development data not found at {DATA.resolve()}")
    return DATA


def test_pps_pairs_are_clean_and_split_by_expected() -> None:
    from datasets import load_pps_pairs, pps_split

    pairs = load_pps_pairs(needs_data())
    assert len(pairs) > 1000
    assert all("(" not in t + e and "?" not in t + e for t, e, _ in pairs)
    listed, heldout = pps_split(pairs)
    assert len(listed) + len(heldout) == len(pairs)
    assert 0.1 < len(heldout) / len(pairs) < 0.3
    assert not {e.lower() for _, e, _ in listed} & {e.lower() for _, e, _ in heldout}
    assert pps_split(pairs) == (listed, heldout)


def test_spun_news_is_deterministic_and_on_its_split() -> None:
    from datasets import load_news, split_of, spun_news
    from spinner import SAMPLE_FORWARD

    data = needs_data()
    docs = spun_news(data, "test", 3, 5, SAMPLE_FORWARD)
    assert len(docs) == 3
    assert spun_news(data, "test", 3, 5, SAMPLE_FORWARD) == docs
    for doc in docs:
        assert split_of(doc.id) == "test"
        check_edits(doc, doc.original)
    assert all(split_of(doc_id) == "dev" for doc_id, _ in load_news(data, "dev")[:50])


def test_names_are_spun_from_their_own_map_with_their_case_kept() -> None:
    text = "Data stored on their PC was lost, the World Bank said."
    names = {"pc": ["laptop"], "bank": ["financial institution"]}
    spun = spin(text, {}, random.Random(1), 1.0, names)
    assert spun.text == ("Data stored on their LAPTOP was lost, "
                         "the World Financial institution said.")
    check_edits(spun, text)
    assert spin(text, {}, random.Random(1), 1.0).edits == []  # names are left alone by default


def test_common_synonyms_are_drawn_more_often() -> None:
    forward = {"said": ["stated", "asseverated"]}
    rng = random.Random(3)
    picks = [spin("He said so.", forward, rng, 1.0).edits[0].observed for _ in range(200)]
    assert picks.count("stated") > 150


def test_folds_switch_off_their_own_source_and_train_on_disjoint_ones() -> None:
    from folds import FOLDS

    from unspin import Config

    for fold in FOLDS:
        assert not fold.config(Config()).sources & fold.off
        assert fold not in fold.trainers() and all(not f.off & fold.off for f in fold.trainers())
