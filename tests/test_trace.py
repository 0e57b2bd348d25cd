"""`trace`: the index (`unspin.Index`), the corpus reader and the `index`/`trace` commands.

The formats beyond text and JSON Lines are tested in test_loaders.py.

The fixtures are a few made-up news paragraphs and a hand-spun copy of one ("said" ->
"stated", "company" -> "firm", "safer" -> "more secure"): names and numbers survive the
spin, which is what the index keys on.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from unspin import Index, InputError
from unspin.cli import main
from unspin.io.loaders import iter_documents
from unspin.trace.align import coherence
from unspin.trace.fingerprint import sentence_features

ENERGY = (
    "Northwind Power said on Tuesday that it would close its coal plant in Leeds by 2027. "
    "The company said the move would cut emissions by 40 percent and make the grid safer. "
    "About 350 workers will be offered jobs at a new wind farm near Hull, the company said."
    "\n\nUnion leader Mary Clarke said the plan was a good start but came too late.\n"
)
RAIL = (
    "Rail operator Avanti said on Friday that 12 trains between London and Glasgow were "
    "cancelled after a storm damaged the line near Carlisle. Engineers expect to reopen the "
    "route by Sunday, a spokesman for Network Rail said. Passengers with tickets for "
    "Saturday can travel on Monday instead.\n"
)
HEALTH = (
    "A study of 2,400 patients in Sweden found that a daily walk of 30 minutes lowered the "
    "risk of heart disease by a fifth. Dr Anna Berg of the Karolinska Institute said the "
    "results were clear. The team will now follow the patients for another 10 years.\n"
)
DOCS = {"energy": ENERGY, "rail": RAIL, "health": HEALTH}

SPUN_INTRO = "Cheap flights to Spain are on sale this week. "
SPUN = SPUN_INTRO + (
    "The firm stated the move would reduce emissions by 40 percent and make the grid more "
    "secure. About 350 employees will be offered positions at a new wind farm near Hull, "
    "the firm stated.\n"
)
"""Sentences 2-3 of ENERGY, spun, after a sentence of its own."""
UNRELATED = (
    "The recipe calls for two cups of flour, a pinch of salt and three eggs. Mix them in a "
    "bowl and bake the dough for 25 minutes until it turns golden. Serve it warm.\n"
)


def jsonl(rows: list[dict[str, str]] | list[str]) -> str:
    """JSON Lines text of `rows` (strings are written as they are)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def write_corpus(tmp_path: Path, docs: dict[str, str] = DOCS) -> str:
    """`docs` as a corpus.jsonl under `tmp_path`; returns its path."""
    path = tmp_path / "corpus.jsonl"
    path.write_text(jsonl([{"id": k, "text": v} for k, v in docs.items()]), "utf-8")
    return str(path)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` and its bytes: to show a directory is unchanged."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def error_line(err: str) -> str:
    """The last stderr line of a failed command, which must be the one error."""
    line = err.splitlines()[-1]
    assert line.startswith("unspin: error: "), err
    assert "Traceback" not in err
    return line


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return Index.build(tmp_path / "ix", DOCS.items())


# --- the library ------------------------------------------------------------------------


def test_query_finds_the_source_of_a_spun_excerpt(index: Index) -> None:
    [match] = index.query(SPUN)
    assert match.id == "energy" and 0.35 <= match.score <= 1
    assert match.passages
    union = ENERGY.index("Union")
    for passage in match.passages:
        query = SPUN[passage.query_offset:passage.query_offset + passage.query_length]
        source = ENERGY[passage.source_offset:passage.source_offset + passage.source_length]
        assert passage.query_offset >= len(SPUN_INTRO)  # not the sentence of its own
        assert passage.source_offset >= ENERGY.index("The company")  # not sentence 1
        assert passage.source_offset + passage.source_length <= union  # nor sentence 4
        assert "stated" in query and "said" in source
    first = match.passages[0]
    assert SPUN[first.query_offset:].startswith("The firm stated")
    assert ENERGY[first.source_offset:].startswith("The company said")
    assert match.to_dict()["passages"][0]["query_offset"] == first.query_offset


def test_query_of_an_indexed_text_and_of_an_unrelated_one(index: Index) -> None:
    assert [m.id for m in index.query(RAIL)] == ["rail"]
    assert index.query(UNRELATED) == []
    assert index.query("Too short.") == []


def test_query_many_gives_each_query_in_order_and_skips_refused_ones(index: Index) -> None:
    skipped: list[str] = []
    queries = [("q1", SPUN), ("blank", "  \n"), ("q2", UNRELATED), ("q3", RAIL)]
    results = list(index.query_many(queries, top=1, skip=skipped.append))
    assert [(query_id, [m.id for m in matches]) for query_id, matches in results] == [
        ("q1", ["energy"]), ("q2", []), ("q3", ["rail"])]
    assert results[0][1] == index.query(SPUN, top=1)
    assert len(skipped) == 1 and skipped[0].startswith("blank: ") and "empty" in skipped[0]
    with pytest.raises(InputError, match="empty"):
        list(index.query_many(queries))  # without skip, a refused query raises


def test_add_then_query_finds_the_added_document(index: Index) -> None:
    assert index.query(UNRELATED) == []
    assert index.add([("recipe", UNRELATED)]) == 1
    assert len(index) == 4 and "recipe" in set(index.ids())
    assert [m.id for m in index.query(UNRELATED)] == ["recipe"]
    reopened = Index.open(index.path)
    assert len(reopened) == 4 and [m.id for m in reopened.query(UNRELATED)] == ["recipe"]


@pytest.mark.parametrize("docs", [
    [("recipe", UNRELATED), ("rail", RAIL)],  # already in the index
    [("recipe", UNRELATED), ("recipe", UNRELATED)],  # repeated in the batch
])
def test_add_with_a_duplicate_id_leaves_the_index_unchanged(
        index: Index, docs: list[tuple[str, str]]) -> None:
    before = snapshot(index.path)
    with pytest.raises(InputError, match="duplicate document id"):
        index.add(docs)
    assert snapshot(index.path) == before
    reopened = Index.open(index.path)
    assert len(reopened) == 3 and reopened.query(UNRELATED) == []


def test_an_add_that_fails_after_writing_a_segment_does_not_block_the_next(
        index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unspin.trace.index.SEGMENT_DOCS", 1)
    with pytest.raises(InputError, match="duplicate document id"):
        index.add([("extra", UNRELATED), ("rail", RAIL)])  # "extra" is written, then fails
    assert len(Index.open(index.path)) == 3
    assert index.add([("extra", UNRELATED)]) == 1
    assert [m.id for m in Index.open(index.path).query(UNRELATED)] == ["extra"]


def test_query_refuses_empty_text(index: Index) -> None:
    with pytest.raises(InputError, match="empty"):
        index.query("  \n")


def test_build_refuses_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an unspin index"):
        Index.build(target, DOCS.items())
    assert snapshot(target) == {"notes.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no leftovers


def test_build_over_an_index_replaces_it(index: Index) -> None:
    rebuilt = Index.build(index.path, [("recipe", UNRELATED)])
    assert len(rebuilt) == 1 and list(rebuilt.ids()) == ["recipe"]
    assert Index.open(index.path).query(RAIL) == []
    assert sorted(p.name for p in index.path.parent.iterdir()) == ["ix"]


@pytest.mark.parametrize("damage", ["segment file", "manifest", "missing"])
def test_corrupt_or_missing_index_raises_on_open(index: Index, damage: str) -> None:
    if damage == "segment file":
        next(index.path.glob("seg-*/postings.npy")).unlink()
    elif damage == "manifest":
        (index.path / "manifest.json").write_text("{garbage")
    with pytest.raises(InputError, match=str(index.path)):
        Index.open(index.path if damage != "missing" else index.path / "nope")


# --- loaders.iter_documents, strict (as index build/add read a corpus) -------------------


def corpus(path: Path, skipped: list[str] | None = None) -> list[tuple[str, str]]:
    """The documents of one corpus, read strictly (a bad document raises)."""
    return list(iter_documents([str(path)], (skipped if skipped is not None else []).append,
                               strict=True))


def test_corpus_jsonl_skips_empty_texts_and_fails_on_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(jsonl([{"id": "a", "text": "one"}, {"id": 2, "text": " "}, "",
                           {"id": "c", "text": "three"}]))
    skipped: list[str] = []
    assert corpus(path, skipped) == [("a", "one"), ("c", "three")]
    assert skipped == [f"{path}:2: input contains only whitespace"]
    path.write_text(jsonl([{"id": "a", "text": "one"}, "{broken"]))
    with pytest.raises(InputError, match=rf"^{path}:2: invalid JSON"):
        corpus(path)


def test_corpus_directory(tmp_path: Path) -> None:
    (tmp_path / "world" / "europe").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "b.txt").write_text("bee")
    (tmp_path / "world" / "europe" / "a.txt").write_text("\ufeffay")  # BOM dropped
    (tmp_path / "world" / "empty.txt").write_text("")
    (tmp_path / "world" / "notes.md").write_text("not a document")
    (tmp_path / ".git" / "x.txt").write_text("hidden")
    (tmp_path / ".hidden.txt").write_text("hidden")
    skipped: list[str] = []
    assert corpus(tmp_path, skipped) == [("b.txt", "bee"), ("world/europe/a.txt", "ay")]
    assert skipped == [f"{tmp_path / 'world' / 'empty.txt'}: input is empty"]


def test_corpus_one_text_file_and_errors(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("text")
    assert corpus(tmp_path / "one.txt") == [("one.txt", "text")]
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9")
    with pytest.raises(InputError, match="bad.txt: not valid UTF-8"):
        corpus(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        iter_documents([str(tmp_path / "missing.jsonl")], print)  # up front, before any
    with pytest.raises(InputError, match="no such file"):
        iter_documents([str(tmp_path / "missing.txt")], print)
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError, match="no documents in this directory"):
        iter_documents([str(tmp_path / "sub")], print)


# --- cli: index build / add -------------------------------------------------------------


def test_cli_build_from_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "ix"
    assert main(["index", "build", write_corpus(tmp_path), "--output", str(output)]) == 0
    assert capsys.readouterr() == ("", f"indexed 3 documents into {output}\n")
    assert sorted(Index.open(output).ids()) == ["energy", "health", "rail"]


def test_cli_build_from_a_directory_skips_empty_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "uk").mkdir(parents=True)
    (corpus / "uk" / "energy.txt").write_text(ENERGY)
    (corpus / "rail.txt").write_text(RAIL)
    (corpus / "empty.txt").write_text("\n")
    extra = tmp_path / "extra.jsonl"
    extra.write_text(jsonl([{"id": "health", "text": HEALTH}]))
    output = tmp_path / "ix"
    assert main(["index", "build", str(corpus), str(extra), "-o", str(output)]) == 0
    assert capsys.readouterr().err == (
        f"unspin: {corpus / 'empty.txt'}: input contains only whitespace, skipped\n"
        f"indexed 3 documents into {output}, skipped 1\n")
    assert list(Index.open(output).ids()) == ["rail.txt", "uk/energy.txt", "health"]


def test_cli_build_is_all_or_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_corpus(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl([{"id": "x", "text": UNRELATED}, '{"id": "y"}']))
    output = tmp_path / "ix"
    assert main(["index", "build", good, str(bad), "-o", str(output)]) == 2
    assert f'{bad}:2: missing or non-string "text"' in error_line(capsys.readouterr().err)
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "corpus.jsonl"]


@pytest.mark.parametrize(("problem", "message"), [
    ("missing corpus", "missing.jsonl: no such file"),
    ("output is a file", "exists and is not an unspin index"),
    ("output directory missing", "does not exist"),
    ("duplicate across corpora", "again.jsonl: duplicate document id 'rail'"),
])
def test_cli_build_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 problem: str, message: str) -> None:
    corpus = write_corpus(tmp_path)
    again = tmp_path / "again.jsonl"
    again.write_text(jsonl([{"id": "rail", "text": RAIL}]))
    corpora = {"missing corpus": [corpus, str(tmp_path / "missing.jsonl")],
               "duplicate across corpora": [corpus, str(again)]}.get(problem, [corpus])
    output = {"output is a file": tmp_path / "again.jsonl",
              "output directory missing": tmp_path / "nope" / "ix"}.get(problem, tmp_path / "ix")
    before = snapshot(tmp_path)
    assert main(["index", "build", *corpora, "-o", str(output)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in error_line(captured.err)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.jsonl", "corpus.jsonl"]


def test_cli_add(index: Index, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(jsonl([{"id": "recipe", "text": UNRELATED}]))
    assert main(["index", "add", str(index.path), str(extra)]) == 0
    assert capsys.readouterr().err == f"added 1 documents to {index.path} (now 4)\n"
    assert [m.id for m in Index.open(index.path).query(UNRELATED)] == ["recipe"]


def test_cli_add_duplicate_exits_2_and_changes_nothing(
        index: Index, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text(jsonl([{"id": "recipe", "text": UNRELATED}, {"id": "rail", "text": RAIL}]))
    before = snapshot(index.path)
    assert main(["index", "add", str(index.path), str(extra)]) == 2
    assert error_line(capsys.readouterr().err) == (
        f"unspin: error: {extra}: duplicate document id 'rail'")
    assert snapshot(index.path) == before


def test_cli_add_to_a_missing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "add", str(tmp_path / "nope"), write_corpus(tmp_path)]) == 2
    assert "no such index" in error_line(capsys.readouterr().err)
    assert not (tmp_path / "nope").exists()


# --- cli: trace -------------------------------------------------------------------------


def test_cli_trace_one_text(index: Index, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "spun.txt"
    query.write_text(SPUN)
    assert main(["trace", str(query), "--index", str(index.path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{\n  ")  # indented
    result = json.loads(out)
    assert result == {"id": str(query), "matches": [m.to_dict() for m in index.query(SPUN)]}
    assert [m["id"] for m in result["matches"]] == ["energy"]
    assert main(["trace", str(query), "--index", str(index.path), "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == result


def test_cli_trace_stdin_and_no_match(index: Index, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(UNRELATED.encode())))
    assert main(["trace", "-", "--index", str(index.path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": "-", "matches": []}


def test_cli_trace_jsonl_queries(index: Index, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(jsonl([{"id": "spun", "text": SPUN}, "{broken", {"id": 7, "text": ""},
                              {"id": "other", "text": UNRELATED}]))
    assert main(["trace", str(queries), "--index", str(index.path), "--top", "1"]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert [r["id"] for r in results] == ["spun", "other"]
    assert [m["id"] for m in results[0]["matches"]] == ["energy"] and results[1]["matches"] == []
    err = captured.err.splitlines()
    assert err[0].startswith(f"unspin: {queries}:2: invalid JSON")
    assert err[1:] == [f"unspin: {queries}:3: input is empty, skipped",
                       "traced 2 queries, 1 with a match, skipped 2"]
    assert main(["trace", str(queries), "--index", str(index.path), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == results


@pytest.mark.parametrize(("problem", "message"), [
    ("missing index", "no such index"),
    ("corrupt index", "not a readable unspin index"),
    ("missing query", "no such file"),
    ("empty query", "input is empty"),
])
def test_cli_trace_errors_exit_2(index: Index, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str],
                                 problem: str, message: str) -> None:
    query = tmp_path / "q.txt"
    query.write_text("" if problem == "empty query" else SPUN)
    if problem == "corrupt index":
        (index.path / "manifest.json").write_text("[]")
    if problem == "missing query":
        query = tmp_path / "x.jsonl"
    ix = tmp_path / "nope" if problem == "missing index" else index.path
    assert main(["trace", str(query), "--index", str(ix)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in error_line(captured.err)


@pytest.mark.parametrize("top", ["0", "-1", "x"])
def test_cli_trace_bad_top_exits_2(index: Index, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str], top: str) -> None:
    query = tmp_path / "q.txt"
    query.write_text(SPUN)
    assert main(["trace", str(query), "--index", str(index.path), "--top", top]) == 2
    assert "argument --top" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["index"], ["index", "build"], ["index", "build", "c.jsonl"],
                                  ["index", "add", "ix"], ["trace", "q.txt"]])
def test_cli_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"unspin {argv[0]}") and err.endswith(" --help'\n"), err


@pytest.mark.parametrize("argv", [["index"], ["index", "build"], ["index", "add"], ["trace"]])
def test_cli_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: unspin {' '.join(argv)}")


PL480 = ("{country} has been authorized to purchase about {tonnes} tonnes of U.S. {crop} under "
         "an existing PL 480 agreement, the U.S. Agriculture Department said. It may buy the "
         "{crop}, valued at {value} mln dlrs, between {start} and August 31, 1987, and ship "
         "it from U.S. ports by September 30, the department said.\n")


def test_a_templated_report_with_other_figures_is_no_copy(tmp_path: Path) -> None:
    """Same outlet, same template, other figures: the fingerprints agree (and the
    template's, held by every report of the family, weigh little), the numbers do not,
    and no source is claimed; a spun copy keeps its figures and is traced."""
    egypt = PL480.format(country="Egypt", tonnes="125,000", crop="wheat", value="23.0",
                         start="April 8")
    others = [(c.lower(), PL480.format(country=c, tonnes=t, crop=k, value=v, start=d))
              for c, t, k, v, d in [("Peru", "40,000", "corn", "4.2", "May 2"),
                                    ("Bangladesh", "80,000", "wheat", "11.6", "June 15")]]
    index = Index.build(tmp_path / "index", [*DOCS.items(), ("egypt", egypt), *others])
    zaire = PL480.format(country="Zaire", tonnes="30,000", crop="rice", value="5.5",
                         start="March 31")
    assert index.query(zaire) == []
    spun = egypt.replace("authorized", "permitted").replace("purchase", "buy")
    assert [m.id for m in index.query(spun)] == ["egypt"]


def test_fingerprints_many_candidates_share_weigh_less() -> None:
    import numpy as np

    from unspin.trace.index import _weighted_containment

    query = np.array([1, 2, 3, 4], dtype=np.uint32)
    # Candidate 0 holds 1 and 2 alone; 3 is held by all three candidates; 4 by none.
    owners = np.array([0, 0, 0, 1, 2], dtype=np.uint32)
    prints = np.array([1, 2, 3, 3, 3], dtype=np.uint32)
    scores = _weighted_containment(query, owners, prints, 3)
    total = 1 + 1 + 1 / 3 + 1
    assert scores.tolist() == pytest.approx([(2 + 1 / 3) / total, (1 / 3) / total,
                                             (1 / 3) / total])


def test_coherence_is_high_for_an_in_order_passage_and_low_for_scattered_sentences() -> None:
    source = ("Acme Corp said on Monday it would close its Leeds plant. About 300 jobs at the "
              "Leeds site will go by March. The union called the decision a betrayal. Shares "
              "in Acme rose 4% in London trading.")
    excerpt = ("About 300 positions at the Leeds web site will move by March. The union "
               "known as the choice a betrayal.")
    scattered = ("Shares in Acme rose 4% in London trading. Acme Corp said on Monday it "
                 "would close its Leeds plant.")
    targets = sentence_features(source)
    assert coherence(sentence_features(excerpt), targets) == 1.0
    assert coherence(sentence_features(scattered), targets) == 0.0
    assert coherence(sentence_features("Nothing here is from the source at all."),
                     targets) == 0.0
    half = excerpt + " Nothing here is from the source at all."
    assert coherence(sentence_features(half), targets) == pytest.approx(2 / 3)
