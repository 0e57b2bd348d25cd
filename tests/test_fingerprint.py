"""Fingerprints survive synonym swaps; exact shingles do not. Alignment pairs sentences."""

from __future__ import annotations

import numpy as np

from unspin.trace.align import align
from unspin.trace.fingerprint import (
    PLACEHOLDER,
    fingerprint_pairs,
    fingerprints,
    sentence_features,
    skeleton,
)

SOURCE = (
    "Microsoft is making Windows safer, the company said on Monday. "
    "Bill Gates announced the plan in Seattle on 12 May, two weeks after the attack. "
    "The new version will ship to 400 million users in 2005."
)
SPUN = (
    "Microsoft is making Windows more secure, the firm stated on Monday. "
    "Bill Gates declared the scheme in Seattle on 12 May, two weeks following the assault. "
    "The fresh edition will ship to 400 million customers in 2005."
)
OTHER = (
    "The World Bank said on Tuesday that poverty in Africa fell by 10% in 2004. "
    "The report was published in Washington by its chief economist."
)


def test_skeleton_keeps_names_numbers_and_function_words() -> None:
    [first, *_] = skeleton(SOURCE)
    symbols = [u.symbol for u in first]
    assert symbols[:2] == [PLACEHOLDER, "is"]  # sentence-initial capital: not a name
    assert "^windows" in symbols and "^monday" in symbols and "the" in symbols
    run = next(u for u in first if u.symbol == PLACEHOLDER and "safer" in u.words)
    assert SOURCE[run.start : run.end] == "safer"
    assert run.words == ("safer",)
    assert "#12" in [u.symbol for u in skeleton(SOURCE)[1]]


def test_a_content_run_of_any_length_is_one_placeholder() -> None:
    one = [u.symbol for u in skeleton("He went to the bank on Monday.")[0]]
    two = [u.symbol for u in skeleton("He went to the financial institution on Monday.")[0]]
    assert one == two


def test_spun_copy_keeps_most_fingerprints_unrelated_text_shares_none() -> None:
    source, spun, other = fingerprints(SOURCE), fingerprints(SPUN), fingerprints(OTHER)
    assert source.dtype == np.uint32 and np.all(np.diff(source.astype(np.int64)) > 0)
    shared = len(np.intersect1d(spun, source)) / len(spun)
    assert shared >= 0.6
    assert len(np.intersect1d(other, source)) <= 1


def test_fingerprints_are_stable_and_empty_text_has_none() -> None:
    assert np.array_equal(fingerprints(SOURCE), fingerprints(SOURCE))
    assert len(fingerprints("")) == 0 and len(fingerprints("...")) == 0


def test_sentence_features_cover_each_sentence() -> None:
    features = sentence_features(SOURCE)
    assert len(features) == 3
    assert SOURCE[features[1].start : features[1].end].startswith("Bill Gates")
    assert "^seattle" in features[1].features and "attack" in features[1].features


def test_align_pairs_a_spun_copy_with_its_source_as_one_passage() -> None:
    [passage] = align(SPUN, SOURCE)
    assert (passage.query_offset, passage.source_offset) == (0, 0)
    assert passage.query_length == len(SPUN)  # the full stop included
    assert passage.source_length == len(SOURCE)


def test_align_finds_nothing_between_unrelated_texts() -> None:
    assert align(OTHER, SOURCE) == []


def test_a_batch_gives_each_document_its_own_fingerprints() -> None:
    texts = [SOURCE, "", OTHER, "Only words here", SPUN]
    owners, prints = fingerprint_pairs(texts)
    for number, text in enumerate(texts):
        assert np.array_equal(prints[owners == number], fingerprints(text))


def test_an_empty_batch_has_no_fingerprints() -> None:
    owners, prints = fingerprint_pairs([])
    assert len(owners) == len(prints) == 0
