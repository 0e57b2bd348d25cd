"""The Spark engine (`unspin.spark`): the same rows as the local engine, through Spark.

The Spark tests need the `spark` extra and Java; without them they are skipped, and only
the checks that need neither run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from unspin import InputError
from unspin.io.outputs.rows import flat_row
from unspin.screening import screen_corpus
from unspin.screening.document import screen_document

SPUN = "Researchers used counterfeit consciousness and profound learning."

CORPUS: list[Any] = [
    {"id": "d1", "text": SPUN},
    {"id": "d2", "text": "The results were published on Monday after a long review."},
    {"id": 3, "text": "We compare a random forest with a support vector machine on three "
                      "datasets."},
    {"id": "empty", "text": ""},
    {"id": "d5", "text": "Counterfeit consciousness is changing how hospitals triage patients."},
    "not json {",
    {"id": "d6", "text": "The bank said on Monday that profits rose by a third."},
    {"id": "d7", "text": "An irregular woodland classifier was trained on picture "
                         "acknowledgment data."},
    {"id": "d8", "text": "Microsoft is making Home windows safer."},
    {"id": "d9", "text": "The firm stated the move would reduce emissions by 40 percent."},
    {"id": "d10", "text": "Café prices in Zürich rose again — “sharply”, locals said."},
]


def _spark_missing() -> str | None:
    """Why the Spark tests cannot run here, or None."""
    for module in ("pyspark", "pandas", "pyarrow"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'unspin[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK)
            or shutil.which("java")):
        return "java is not on the PATH (Spark needs Java 17+)"
    return None


needs_spark = pytest.mark.skipif(_spark_missing() is not None,
                                 reason=f"Spark engine: {_spark_missing()}")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One light local[2] session for the module (screen_spark reuses an active one)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("unspin tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False))
                         + "\n")
        handle.write("\n")  # a blank line: ignored by both engines
    return path


def _local_rows(rows: list[Any], restore: bool = False) -> list[dict[str, Any]]:
    """What the local engine's per-document function gives for the readable rows."""
    return [screen_document(str(row["id"]), row["text"], restore=restore)
            for row in rows if isinstance(row, dict) and row["text"].strip()]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@needs_spark
def test_spark_rows_equal_the_local_engine(spark: Any, tmp_path: Path) -> None:
    from unspin.spark import screen_spark

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    skipped: list[str] = []
    summary = screen_spark([str(corpus)], str(tmp_path / "spark.jsonl"), master="local[2]",
                           skip=skipped.append, partitions=3)
    expected = _local_rows(CORPUS)
    assert len(expected) == 9
    assert _read_jsonl(tmp_path / "spark.jsonl") == expected
    assert (summary.written, summary.skipped) == (9, 2)
    assert skipped == [f"{corpus}: id empty: input is empty",
                       f"{corpus}: invalid JSON (Expecting value at column 1)"]
    spun = next(row for row in expected if row["id"] == "d1")
    assert "counterfeit consciousness" in [f["text"] for f in spun["findings"]]
    # byte for byte the local engine's output file
    local = screen_corpus([str(corpus)], tmp_path / "local.jsonl", jobs=1)
    assert local.written == 9 and local.skipped == 2
    assert ((tmp_path / "spark.jsonl").read_bytes()
            == (tmp_path / "local.jsonl").read_bytes())


@needs_spark
def test_spark_keeps_input_order_across_files_and_formats(spark: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from unspin.spark import screen_spark

    first = _write_jsonl(tmp_path / "b.jsonl", CORPUS[:5])
    table = [{"id": f"p{i}", "text": row["text"]} for i, row in enumerate(CORPUS[6:])]
    pq.write_table(pa.Table.from_pylist(table), tmp_path / "a.parquet")
    folder = tmp_path / "folder"
    folder.mkdir()
    _write_jsonl(folder / "2.jsonl", CORPUS[:2])
    _write_jsonl(folder / "1.jsonl", CORPUS[8:])
    (folder / "_SUCCESS").write_text("")
    inputs = [str(first), str(tmp_path / "a.parquet"), str(folder)]
    expected = (_local_rows(CORPUS[:5], True) + _local_rows(table, True)
                + _local_rows(CORPUS[8:], True) + _local_rows(CORPUS[:2], True))

    summary = screen_spark(inputs, str(tmp_path / "out.parquet"), restore=True, partitions=4)
    assert summary.written == len(expected) and summary.skipped == 1
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [flat_row(row)
                                                                   for row in expected]
    # a URI output: Spark's own directory of part files, in input order by part number
    uri = (tmp_path / "dir.jsonl").as_uri()
    screen_spark(inputs, uri, restore=True, partitions=4)
    parts = sorted((tmp_path / "dir.jsonl").glob("part-*.jsonl"))
    assert parts and [row for part in parts for row in _read_jsonl(part)] == expected
    flat_uri = (tmp_path / "dir.parquet").as_uri()
    screen_spark(inputs, flat_uri, restore=True, partitions=4)
    assert pq.read_table(tmp_path / "dir.parquet").to_pylist() == [flat_row(row)
                                                                   for row in expected]


@needs_spark
def test_spark_through_the_module_entry_point(spark: Any, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from unspin.spark import main

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS[:4])
    assert main([str(corpus), "--output", str(tmp_path / "out.csv"),
                 "--master", "local[2]"]) == 0
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,score,verdict,n_findings,top_phrases"
    assert [line.split(",")[0] for line in lines[1:]] == ["d1", "d2", "3"]
    err = capsys.readouterr().err
    assert "input is empty, skipped" in err
    assert "screened 3 documents, skipped 1" in err


@needs_spark
def test_spark_refuses_what_it_cannot_read(spark: Any, tmp_path: Path) -> None:
    from unspin.spark import main, screen_spark

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS[:2])
    (tmp_path / "doc.txt").write_text(SPUN)
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    (pdfs / "a.pdf").write_bytes(b"%PDF-1.4")
    out = str(tmp_path / "out.jsonl")
    for path in (str(tmp_path / "doc.txt"), str(pdfs)):
        with pytest.raises(InputError, match="use --engine local, or convert"):
            screen_spark([path], out)
    with pytest.raises(InputError, match="no such file"):
        screen_spark([str(tmp_path / "missing.jsonl")], out)
    with pytest.raises(InputError, match="unsupported output format"):
        screen_spark([str(corpus)], str(tmp_path / "out.txt"))
    with pytest.raises(InputError, match="must end in .jsonl or .parquet"):
        screen_spark([str(corpus)], (tmp_path / "out.csv").as_uri())
    with pytest.raises(InputError, match="is also an input"):
        screen_spark([str(corpus)], str(corpus))
    with pytest.raises(InputError, match="cannot reach its file system"):
        screen_spark([str(corpus)], "nosuchfs://host/out.jsonl")
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="no 'text' column"):
        screen_spark([str(tmp_path / "bad.parquet")], out)
    assert not Path(out).exists()
    assert main([str(tmp_path / "doc.txt"), "-o", out]) == 2


@needs_spark
def test_cli_screen_engine_spark(spark: Any, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    from unspin.cli import main

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    out = tmp_path / "out.jsonl"
    assert main(["screen", str(corpus), "--output", str(out), "--engine", "spark",
                 "--master", "local[2]"]) == 0
    assert _read_jsonl(out) == _local_rows(CORPUS)
    assert main(["screen", str(corpus), "--output", str(out), "--engine", "spark",
                 "--resume"]) == 2
    assert "unspin: error:" in capsys.readouterr().err


def test_job_errors_are_one_line() -> None:
    from unspin.screening.spark_job import SparkJobError, _job_error

    trace = ("An error occurred while calling o93.collectToPython.\n"
             "org.apache.spark.SparkException: Job aborted due to stage failure: Task 0\n"
             "  File \"/x/worker.py\", line 3, in <module>\n"
             "ModuleNotFoundError: No module named 'unspin'\n\tat org.apache.spark.X\n")
    error = _job_error(Exception(trace))
    assert isinstance(error, InputError) and "cannot import unspin" in str(error)
    error = _job_error(Exception(trace.replace("ModuleNotFoundError: No module named "
                                               "'unspin'", "")))
    assert isinstance(error, SparkJobError) and "\n" not in str(error)
    assert "Job aborted due to stage failure" in str(error)


def test_missing_pyspark_is_an_input_error(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    from unspin.spark import SPARK_HINT, require_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark fails
    with pytest.raises(InputError, match="needs pyspark") as error:
        require_spark()
    assert SPARK_HINT in str(error.value) and "\n" not in str(error.value)


def test_missing_java_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    if _spark_missing() is not None and "java" not in (_spark_missing() or ""):
        pytest.skip("pyspark is not installed: its check comes first")
    from unspin.screening import spark_job as spark

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="needs Java 17"):
        spark.require_spark()
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    with pytest.raises(InputError, match="JAVA_HOME=/nonexistent has no bin/java"):
        spark.require_spark()


@needs_spark
def test_spark_rows_with_a_profile_equal_the_local_engine(spark: Any, tmp_path: Path) -> None:
    from learn_fixture import hand_profile, world

    from unspin import Config
    from unspin.spark import screen_spark

    profile = tmp_path / "hand.profile.jsonl"
    hand_profile().save(profile)
    config = Config(profiles=(str(profile),))
    _, copies, unsourced, _ = world()
    rows = [{"id": i, "text": t} for i, t in [*copies[:3], *unsourced[:2]]]
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", rows)
    screen_spark([str(corpus)], str(tmp_path / "spark.jsonl"), master="local[2]",
                 config=config, partitions=2)
    local = screen_corpus([str(corpus)], tmp_path / "local.jsonl", jobs=1, config=config)
    assert local.written == 5
    assert ((tmp_path / "spark.jsonl").read_bytes()
            == (tmp_path / "local.jsonl").read_bytes())
    assert all(any(f["evidence"]["source"] == "profile" for f in row["findings"])
               for row in _read_jsonl(tmp_path / "spark.jsonl"))
