"""Corpus screening: the local engine (`screen_corpus`), its writers (`unspin.io.outputs`)
and `unspin screen`.

Corpora are a few dozen short documents; the process pool has two workers.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from unspin import cli
from unspin.core.config import Config
from unspin.core.errors import InputError
from unspin.core.records import Report
from unspin.io.outputs import resume_ids
from unspin.io.outputs.csv import CSV_COLUMNS
from unspin.io.outputs.rows import flat_row
from unspin.screening import document as rows
from unspin.screening import local as screening
from unspin.screening import screen_corpus

EXAMPLES = Path(__file__).parents[1] / "examples"
TEXTS = [(EXAMPLES / name).read_text("utf-8")
         for name in ("spun_abstract.txt", "clean_news.txt", "spun_news.txt")]
TORTURED = "Counterfeit consciousness"


def corpus(tmp_path: Path, n: int = 12, bad: bool = True) -> str:
    """A JSON Lines corpus of `n` example documents, with two bad rows in the middle."""
    lines = [json.dumps({"id": f"doc-{i}", "text": TEXTS[i % len(TEXTS)]}) for i in range(n)]
    if bad:
        lines[n // 2:n // 2] = ["{not json", json.dumps({"id": "blank", "text": " "})]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def fake_check(text: str, *, restore: bool = False, config: object = None) -> Report:
    """A fast stand-in for `unspin.check` (tests of plumbing, not of the models)."""
    return Report(0.1, "clean", (), text.upper() if restore else None)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two documents, so a small corpus is spread over both workers."""
    monkeypatch.setattr(screening, "CHUNK_DOCS", 2)


# --- the engine ----------------------------------------------------------------------


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=16)
    skipped: dict[int, list[str]] = {1: [], 2: []}
    for jobs in (1, 2):
        summary = screen_corpus([source], tmp_path / f"out{jobs}.jsonl", jobs=jobs,
                                restore=True, skip=skipped[jobs].append)
        assert (summary.written, summary.skipped, summary.already_done) == (16, 2, 0)
    one = (tmp_path / "out1.jsonl").read_bytes()
    assert one == (tmp_path / "out2.jsonl").read_bytes()
    rows = jsonl_rows(tmp_path / "out1.jsonl")
    assert [row["id"] for row in rows] == [f"doc-{i}" for i in range(16)]
    assert all("restored" in row for row in rows)
    assert skipped[1] == skipped[2] and len(skipped[1]) == 2
    assert skipped[1][0].startswith(f"{source}:9: invalid JSON")


def test_a_document_the_check_refuses_is_skipped_by_id(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=4, bad=False)
    skipped: list[str] = []
    summary = screen_corpus([source], tmp_path / "out.jsonl", jobs=2,
                            config=Config(max_chars=400), skip=skipped.append)
    long_ones = [f"doc-{i}" for i in range(4) if len(TEXTS[i % 3]) > 400]
    assert long_ones and summary.skipped == len(long_ones)
    assert [message.split(":")[0] for message in skipped] == long_ones
    assert "the limit is 400" in skipped[0]
    ids = [row["id"] for row in jsonl_rows(tmp_path / "out.jsonl")]
    assert ids == [f"doc-{i}" for i in range(4) if f"doc-{i}" not in long_ones]


def test_reading_stays_a_bounded_number_of_chunks_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "check", fake_check)
    pulled = []

    def documents(paths: Sequence[str], warn: object) -> Iterator[tuple[str, str]]:
        for i in range(1000):
            pulled.append(i)
            yield f"d{i}", "Some text."

    monkeypatch.setattr(screening, "iter_sources", documents)
    ahead_at_first_row = []

    def progress() -> None:
        if not ahead_at_first_row:
            ahead_at_first_row.append(len(pulled))

    summary = screen_corpus(["ignored"], tmp_path / "out.jsonl", jobs=2, progress=progress)
    assert summary.written == 1000
    # two workers, CHUNKS_IN_FLIGHT_PER_JOB chunks each, two documents a chunk
    assert ahead_at_first_row[0] <= 2 * (2 * screening.CHUNKS_IN_FLIGHT_PER_JOB + 2)


def test_resume_skips_done_ids_and_completes_the_file(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=10)
    full = tmp_path / "full.jsonl"
    screen_corpus([source], full, jobs=1)
    lines = full.read_text("utf-8").splitlines(keepends=True)
    partial = tmp_path / "partial.jsonl"
    # an interrupted run: four rows, then the start of a fifth cut by the kill
    partial.write_text("".join(lines[:4]) + lines[4][:25], "utf-8")
    assert resume_ids(partial) == {f"doc-{i}" for i in range(4)}
    assert partial.read_text("utf-8") == "".join(lines[:4])  # the cut row is gone
    partial.write_text("".join(lines[:4]) + lines[4][:25], "utf-8")
    skipped: list[str] = []
    summary = screen_corpus([source], partial, jobs=2, resume=True, skip=skipped.append)
    assert (summary.written, summary.already_done, summary.skipped) == (6, 4, 2)
    assert partial.read_bytes() == full.read_bytes()
    again = screen_corpus([source], partial, jobs=2, resume=True)  # nothing left to do
    assert (again.written, again.already_done) == (0, 10)
    assert partial.read_bytes() == full.read_bytes()


def test_resume_into_a_missing_file_starts_it(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=3, bad=False)
    output = tmp_path / "new.jsonl"
    assert screen_corpus([source], output, jobs=1, resume=True).written == 3
    assert len(jsonl_rows(output)) == 3


def test_resume_refuses_other_files(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=3, bad=False)
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("just some notes\n")
    with pytest.raises(InputError, match="cannot resume"):
        screen_corpus([source], foreign, resume=True)
    assert foreign.read_text() == "just some notes\n"
    with pytest.raises(InputError, match="needs a .jsonl output"):
        screen_corpus([source], tmp_path / "out.csv", resume=True)


def test_interrupted_pool_run_keeps_the_old_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(text: str, *, restore: bool = False, config: object = None) -> Report:
        if "Monday" in text:  # in a worker: the pool hands the interrupt back
            raise KeyboardInterrupt
        return fake_check(text)

    monkeypatch.setattr(rows, "check", interrupted)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": "Monday" if i == 7 else "Text."})
                              + "\n" for i in range(20)))
    output = tmp_path / "out.jsonl"
    output.write_text("previous results\n")
    with pytest.raises(KeyboardInterrupt):
        screen_corpus([str(source)], output, jobs=2)
    assert output.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


# --- the output formats -----------------------------------------------------------------


def test_parquet_holds_the_flat_rows(tmp_path: Path) -> None:
    parquet = pytest.importorskip("pyarrow.parquet")
    source = corpus(tmp_path, n=6)
    screen_corpus([source], tmp_path / "out.jsonl", jobs=1)
    screen_corpus([source], tmp_path / "out.parquet", jobs=2)
    table = parquet.read_table(tmp_path / "out.parquet")
    expected = [flat_row(row) for row in jsonl_rows(tmp_path / "out.jsonl")]
    assert table.column_names == list(expected[0])
    assert table.to_pylist() == expected


def test_csv_is_a_flag_export(tmp_path: Path) -> None:
    source = corpus(tmp_path, n=6)
    screen_corpus([source], tmp_path / "out.csv", jobs=2)
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row["id"] for row in rows] == [f"doc-{i}" for i in range(6)]
    spun = rows[0]  # spun_abstract.txt
    assert spun["verdict"] == "spun" and int(spun["n_findings"]) >= 4
    assert "Counterfeit consciousness -> Artificial intelligence" in spun["top_phrases"]


class _TagChecker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = {"meta"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-3:])
        self.open.pop()


def test_html_report_marks_the_phrases_and_is_self_contained(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"doc-{i}", "text": TEXTS[i % 3]}) for i in range(6)]
    hostile = "<script>alert(1)</script> & " + TEXTS[0]
    lines.append(json.dumps({"id": "<b>x</b>", "text": hostile}))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", "utf-8")
    output = tmp_path / "report.html"
    assert cli.main(["screen", str(source), "-o", str(output), "--jobs", "2"]) == 0
    page = output.read_text("utf-8")
    checker = _TagChecker()
    checker.feed(page)
    assert checker.open == []
    assert page.startswith("<!DOCTYPE html>")
    for external in ("http://", "https://", "<script", "<link", "src=", "@import"):
        assert external not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in page
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in page
    mark = page.index(f">{TORTURED}</mark>")
    opening = page.rindex("<mark", 0, mark)
    assert "Artificial intelligence" in page[opening:mark]  # the tooltip
    assert "known-list" in page[opening:mark] and "confidence 0.99" in page[opening:mark]
    assert page[mark:].startswith(f'>{TORTURED}</mark><span class="fix">'
                                  "Artificial intelligence</span>")
    assert "<svg" in page and "screened</th><th>7<" in page
    assert page.count('<section class="doc">') == sum(
        row["verdict"] in ("spun", "uncertain")
        for row in (rows.screen_document("x", json.loads(line)["text"])
                    for line in lines))


def test_html_report_shows_the_top_flagged_documents_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unspin.io.outputs.html.HTML_MAX_DOCUMENTS", 2)
    monkeypatch.setattr("unspin.io.outputs.html.HTML_MAX_CHARS", 50)
    source = corpus(tmp_path, n=6, bad=False)
    screen_corpus([source], tmp_path / "report.html", jobs=1)
    page = (tmp_path / "report.html").read_text("utf-8")
    assert page.count('<section class="doc">') == 2
    assert "the 2 highest-scoring of" in page and "[… text cut here]" in page


# --- unspin screen ---------------------------------------------------------------------


def test_cli_screens_with_jobs_and_resume(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = corpus(tmp_path, n=4)
    output = tmp_path / "out.jsonl"
    assert cli.main(["screen", source, "-o", str(output), "--jobs", "2", "--resume"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "screened 4 documents, skipped 2"
    assert cli.main(["screen", source, "-o", str(output), "--resume"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "screened 0 documents, skipped 2, 4 already done")
    assert len(jsonl_rows(output)) == 4


@pytest.mark.parametrize(("extra", "message"), [
    (["-o", "{tmp}/out.txt"], "unsupported output format '.txt'; use one of .jsonl, "
                              ".parquet, .csv, .html"),
    (["-o", "{source}"], "is also an input"),
    (["-o", "{tmp}/out.csv", "--resume"], "--resume needs a .jsonl output"),
    (["-o", "{tmp}/out.jsonl", "--engine", "spark", "--jobs", "2"],
     "--jobs and --resume apply to --engine local only"),
    (["-o", "{tmp}/out.jsonl", "--master", "local[2]"], "--master needs --engine spark"),
])
def test_cli_refusals_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
        message: str) -> None:
    source = corpus(tmp_path, n=2, bad=False)
    before = Path(source).read_bytes()
    argv = ["screen", source, *(arg.format(tmp=tmp_path, source=source) for arg in extra)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("unspin: error: ") and message in err
    assert sorted(os.listdir(tmp_path)) == ["corpus.jsonl"]
    assert Path(source).read_bytes() == before


def test_cli_refuses_an_output_inside_an_input_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXTS[0], "utf-8")
    assert cli.main(["screen", str(folder), "-o", str(folder / "out.jsonl")]) == 2
    assert "inside input directory" in capsys.readouterr().err
    assert os.listdir(folder) == ["a.txt"]


def test_cli_jobs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["screen", "in.jsonl", "-o", "out.jsonl", "--jobs", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err
