"""Candidate sources: GloVe neighbours and case-pattern (shape) rules."""

from __future__ import annotations

from unspin.core.lm import default_lm
from unspin.core.tokens import sentences
from unspin.discovery.lexicon import GLOVE, SHAPE
from unspin.discovery.neighbours import NeighbourSource, default_neighbours, same_stem
from unspin.discovery.shapes import ShapeSource


def test_neighbours_propose_close_words_of_other_stems() -> None:
    source = NeighbourSource(default_neighbours(), 0.7)
    found = [link.original for link in source.originals("clients")]
    assert "customers" in found
    assert all(not same_stem(w, "clients") for w in found)
    assert all(link.sources == GLOVE for link in source.originals("clients"))
    assert [link.fanout for link in source.originals("clients")][:3] == [1, 2, 3]
    assert source.originals("two words") == () and source.originals("qzxv") == ()


def test_same_stem_means_one_word_inflected() -> None:
    assert same_stem("attempt", "attempting") and not same_stem("customers", "consumers")


def test_acronyms_nearest_a_word() -> None:
    assert "pc" in default_neighbours().acronyms("laptop")


def shape() -> ShapeSource:
    return ShapeSource(default_neighbours(), default_lm())


def test_caps_word_in_a_lower_case_sentence_restores_to_an_acronym() -> None:
    sent = sentences("The data stored on their LAPTOP was lost.")[0]
    links = shape().originals(sent[5:6], sent)
    assert links[0].original == "pc" and links[0].sources == SHAPE
    # An acronym, a short word or a shouted headline is no anomaly.
    sent = sentences("The BBC said the UK and NASA TOLD US.")[0]
    assert not any(shape().anomalous([t], sent) for t in sent)


def test_title_phrase_mid_sentence_restores_to_its_last_word() -> None:
    sent = sentences("Microsoft is making Home windows safer.")[0]
    assert shape().title_phrase(sent[3:5])
    assert [link.original for link in shape().originals(sent[3:5], sent)] == ["windows"]
    # Names capitalise every word; a sentence start is no anomaly; nor is a word WordNet
    # knows capitalised ("German films", "Smith said").
    for text, span in (("He met the Home Secretary.", slice(3, 5)),
                       ("Home windows are open.", slice(0, 2)),
                       ("He watched German films.", slice(2, 4)),
                       ("Analyst John Smith said so.", slice(2, 4))):
        assert not shape().title_phrase(sentences(text)[0][span]), text


def test_title_phrase_ending_a_longer_name_gets_no_last_word_candidate() -> None:
    sent = sentences("Analysts at the World Financial institution agreed.")[0]
    assert shape().title_phrase(sent[4:6])
    assert shape().originals(sent[4:6], sent) == ()
