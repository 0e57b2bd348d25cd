"""The reverse thesaurus: shipped data answers spinner substitutions; the loader's API."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from unspin.lexicon import Link, ReverseThesaurus, default_thesaurus, source_names

FIXTURE = (
    "#unspin-thesaurus v2 sources: 1=Moby 2=MyThes 4=WordNet\n"
    "outcome\tresult=7;effect=1\n"
    "profound learning\tdeep learning=2\n"
    "result\toutcome=5\n"
)


def originals(th: ReverseThesaurus, observed: str) -> list[str]:
    """Candidate originals of `observed`, as plain strings."""
    return [link.original for link in th.originals(observed)]


@pytest.fixture()
def tiny(tmp_path: Path) -> ReverseThesaurus:
    path = tmp_path / "tiny.tsv.gz"
    path.write_bytes(gzip.compress(FIXTURE.encode()))
    return ReverseThesaurus.load(path)


@pytest.mark.parametrize(
    ("observed", "original"),
    [
        ("outcomes", "results"),
        ("profound", "deep"),
        ("financial institution", "bank"),
        ("known as", "called"),
        ("counterfeit", "fake"),
    ],
)
def test_shipped_data_reverses_spinner_synonyms(observed: str, original: str) -> None:
    assert original in originals(default_thesaurus(), observed)


def test_shipped_data_shape() -> None:
    th = default_thesaurus()
    assert th.originals("no such wording here") == ()
    assert 1 <= th.max_phrase_words <= 4
    links = th.originals("results")
    assert 0 < len(links) <= 60
    assert all(link.original == link.original.lower() and 0 < link.sources < 8 for link in links)
    counts = [link.sources.bit_count() for link in links]
    assert counts == sorted(counts, reverse=True)  # more sources first


def test_shipped_forward_matches_originals() -> None:
    th = default_thesaurus()
    forward = th.forward()
    assert "outcomes" in forward["results"]
    for original, synonyms in list(forward.items())[:200]:
        for observed in synonyms:
            assert original in originals(th, observed)


def test_tiny_file(tiny: ReverseThesaurus) -> None:
    assert tiny.originals("outcome") == (Link("result", 7), Link("effect", 1))
    assert originals(tiny, "profound learning") == ["deep learning"]
    assert tiny.originals("unknown") == ()
    assert tiny.max_phrase_words == 2
    assert tiny.forward() == {
        "result": ["outcome"],
        "effect": ["outcome"],
        "deep learning": ["profound learning"],
        "outcome": ["result"],
    }


def test_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.gz"
    path.write_bytes(gzip.compress(b"hello\tworld=1\n"))
    with pytest.raises(ValueError, match="not an unspin thesaurus"):
        ReverseThesaurus.load(path)


def test_source_names() -> None:
    assert source_names(1) == ["moby"]
    assert source_names(6) == ["mythes", "wordnet"]
    assert source_names(7) == ["moby", "mythes", "wordnet"]
    assert source_names(0) == []
