"""The reverse thesaurus: shipped data answers spinner substitutions; the loader's API."""

from __future__ import annotations

from pathlib import Path

import pytest

from unspin.discovery.lexicon import (
    Link,
    ReverseThesaurus,
    SortedTable,
    default_thesaurus,
    source_names,
)

FIXTURE = (
    "#unspin-thesaurus v3 sources: 1=Moby 2=MyThes 4=WordNet; max_words=2\n"
    "outcome\tresult=7;effect=1\n"
    "profound learning\tdeep learning=2\n"
    "result\toutcome=5\n"
)


def originals(th: ReverseThesaurus, observed: str) -> list[str]:
    """Candidate originals of `observed`, as plain strings."""
    return [link.original for link in th.originals(observed)]


@pytest.fixture()
def tiny(tmp_path: Path) -> ReverseThesaurus:
    path = tmp_path / "tiny.tsv"
    path.write_text(FIXTURE, encoding="utf-8")
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
    path = tmp_path / "other.tsv"
    path.write_bytes(b"hello\tworld=1\n")
    with pytest.raises(ValueError, match="not an unspin thesaurus"):
        ReverseThesaurus.load(path)


def test_source_names() -> None:
    assert source_names(1) == ["moby"]
    assert source_names(6) == ["mythes", "wordnet"]
    assert source_names(7) == ["moby", "mythes", "wordnet"]
    assert source_names(0) == []


LEARNED_FIXTURE = (
    "# learned maps (comment lines are skipped)\n"
    "imaginative and prescient\tvision\t1\n"
    "outcome\tconsequence\t1\n"
    "outcome\tresult\t2\n"
    "prescient\tvision\t3\n"
    "upshot\tresult\t1\n"
)
FANOUT_FIXTURE = (
    "#unspin-thesaurus v3 sources: 1=Moby 2=MyThes 4=WordNet; max_words=1\n"
    "outcome\tresult=7:12;effect=1:30\n"
    "result\toutcome=5:9\n"
)


@pytest.fixture()
def learned(tmp_path: Path) -> ReverseThesaurus:
    path = tmp_path / "th.tsv"
    path.write_text(FANOUT_FIXTURE, encoding="utf-8")
    maps = tmp_path / "learned_maps.tsv"
    maps.write_text(LEARNED_FIXTURE, encoding="utf-8")
    return ReverseThesaurus.load(path, learned=maps)


def test_learned_links_merge_with_thesaurus_links(learned: ReverseThesaurus) -> None:
    # An existing link gains the bit and sorts by its new source count; a new link comes
    # after the thesaurus links with as many sources (fan-out: learned forms, here 1).
    assert learned.originals("outcome") == (
        Link("result", 15, 12), Link("effect", 1, 30), Link("consequence", 8, 1)
    )
    assert source_names(15) == ["moby", "mythes", "wordnet", "pps-learned"]
    assert source_names(8) == ["pps-learned"]
    # A new observed form: the original's thesaurus fan-out when it has one ...
    assert learned.originals("upshot") == (Link("result", 8, 12),)
    # ... else how many observed forms the learned maps give it.
    assert learned.originals("imaginative and prescient") == (Link("vision", 8, 2),)
    assert learned.originals("result") == (Link("outcome", 5, 9),)
    assert learned.max_phrase_words == 3
    # The evaluation spinner's forward map stays thesaurus-only.
    assert learned.forward() == {
        "result": ["outcome"], "effect": ["outcome"], "outcome": ["result"]
    }


def test_learned_maps_only_join_the_shipped_thesaurus_by_default(tiny: ReverseThesaurus) -> None:
    assert all(link.sources < 8 for link in tiny.originals("outcome"))


def test_rejects_bad_learned_file(tmp_path: Path) -> None:
    path = tmp_path / "th.tsv"
    path.write_text(FIXTURE, encoding="utf-8")
    maps = tmp_path / "maps.tsv"
    maps.write_text("profound\tdeep\n", encoding="utf-8")
    with pytest.raises(ValueError, match="maps.tsv:1"):
        ReverseThesaurus.load(path, learned=maps)


@pytest.mark.parametrize(
    ("observed", "original"),
    [("profound", "deep"), ("counterfeit", "artificial"), ("getting to know", "learning")],
)
def test_shipped_learned_maps(observed: str, original: str) -> None:
    links = {link.original: link for link in default_thesaurus().originals(observed)}
    assert "pps-learned" in source_names(links[original].sources)
    assert links[original].fanout >= 1


def test_shipped_thesaurus_without_learned_maps() -> None:
    alone = ReverseThesaurus.load(learned=False)
    assert alone.originals("getting to know") == ()
    assert all(link.sources < 8 for link in alone.originals("profound"))


def test_align_equal_length_pairs() -> None:
    from learn_maps import align

    assert align("profound learning", "deep learning") == {
        ("profound", "deep"), ("profound learning", "deep learning")
    }
    # Adjacent differing words also give their run; the 4-word whole phrase is too long.
    assert align("irregular woodland regression model", "random forest regression model") == {
        ("irregular", "random"), ("woodland", "forest"), ("irregular woodland", "random forest")
    }
    # Numbers and function words teach nothing, the rest of the pair still does.
    assert align("3D imprinting", "3D printing") == {("imprinting", "printing")}
    assert align("learning of machine", "learning in machine") == {
        ("learning of machine", "learning in machine")
    }


def test_align_run_to_run() -> None:
    from learn_maps import align

    assert align("imaginative and prescient loss", "vision loss") == {
        ("imaginative and prescient", "vision")
    }
    assert align("reinforcement getting to know", "reinforcement learning") == {
        ("getting to know", "learning")
    }
    assert align("lattice of covariance", "covariance matrix") == {
        ("lattice of covariance", "covariance matrix")  # reordered: whole phrase only
    }


@pytest.mark.parametrize(
    ("tortured", "expected"),
    [
        ("false error rate", "error rate"),  # one side contains the other: a query
        ("the cloud platform", "cloud platform"),
        ("quick fourier remodel calculation", "fast fourier transform"),  # two runs
        ("laptop imaginative and prescient", "computer vision"),  # a run over 3 words
        ("profound learning", "Profound-learning"),  # the same words
        ("at the", "in the"),  # function words only
        ("quite", "pretty"),  # a very common function word as observed side
    ],
)
def test_align_rejects(tortured: str, expected: str) -> None:
    from learn_maps import align

    assert align(tortured, expected) == set()


def test_usable() -> None:
    from learn_maps import usable

    assert usable(["profound"], ["deep"])
    assert not usable(["of"], ["in"])
    assert not usable(["deep"], ["the"])
    assert not usable(["profound"], ["profound"])
    assert not usable(["a", "b", "c", "d"], ["e"])


SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "tortured").is_dir(), reason="needs ../shared/data")
def test_shipped_learned_maps_come_from_listed_pairs_only() -> None:
    """Rebuilding from the listed (not held-out) PPS pairs gives the shipped file."""
    from learn_maps import build

    from unspin.discovery.lexicon import LEARNED_FILE, parse_learned

    shipped = Path(__file__).resolve().parents[1] / "src" / "unspin" / "data" / LEARNED_FILE
    rebuilt, _, _ = build(SHARED)
    expected: dict[str, dict[str, int]] = {}
    for (observed, original), n in rebuilt.items():
        expected.setdefault(observed, {})[original] = n
    assert parse_learned(shipped.read_text("utf-8")) == expected


def test_sorted_table_finds_every_line_and_nothing_else() -> None:
    keys = sorted(["a", "a b", "ab", "café", "cafe", "zz", "z\u00e9", "m n o"])
    lines = "".join(f"{k}\t{k.upper()}=1\n" for k in keys)
    table = SortedTable(("#unspin-thesaurus v3 test; max_words=3\n" + lines).encode())
    assert table.max_words == 3 and len(table) == len(keys)
    for key in keys:
        assert table.get(key) == f"{key.upper()}=1" and table[key] == f"{key.upper()}=1"
    for missing in ["", " ", "0", "a c", "b", "cafes", "zzz", "\uffff"]:
        assert table.get(missing) is None and missing not in table
    assert list(table) == keys


def test_shipped_table_agrees_with_a_full_read() -> None:
    th = default_thesaurus()
    items = list(th._tails.items())
    assert len(th._tails) == len(items) > 100_000
    for key, tail in items[:: len(items) // 500]:
        assert th._tails.get(key) == tail


def test_gzipped_file_is_unpacked_once_into_the_cache(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from unspin.discovery.lexicon import CACHE_ENV

    packed = tmp_path / "tiny.tsv.gz"
    packed.write_bytes(gzip.compress(FIXTURE.replace(
        "v3 sources: 1=Moby 2=MyThes 4=WordNet; max_words=2",
        "v2 sources: 1=Moby 2=MyThes 4=WordNet").encode()))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    th = ReverseThesaurus.load(packed)
    [copy] = (tmp_path / "cache").iterdir()
    assert copy.read_text("utf-8").startswith("#unspin-thesaurus v3")
    assert th.max_phrase_words == 2 and originals(th, "outcome") == ["result", "effect"]
    monkeypatch.setenv(CACHE_ENV, str(copy / "not-a-directory"))  # unwritable: in memory
    again = ReverseThesaurus.load(packed)
    assert again.max_phrase_words == 2 and originals(again, "outcome") == ["result", "effect"]
