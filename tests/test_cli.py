"""The command line (`unspin.cli`) and the input readers behind it (`unspin.io.inputs`).

The engine is exercised only through results that hold for any engine (offsets
match the text, a plain sentence restores to itself); verdict-specific paths use
a stubbed `check` so these tests do not depend on the models.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import unspin
from unspin import cli
from unspin.cli import commands
from unspin.cli.terminal import Progress
from unspin.core.errors import InputError
from unspin.core.records import Finding, Replacement, Report
from unspin.io.inputs import count_rows, iter_jsonl, read_text
from unspin.screening import document as row_module

NON_ASCII = "Café naïve — 東京\nThe results are shown in table 2 by counterfeit consciousness.\n"
CLEAN = "The cat sat on the mat. It was a sunny day."


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    """Write `data` (str as UTF-8) to `tmp_path/name` and return the path as str."""
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def spun_report(text: str, restore: bool = False) -> Report:
    """A spun report with one finding on "東京" and one on "table" (line 2)."""
    findings = tuple(
        Finding(text.index(word), len(word), word, "lexical", 0.87,
                (Replacement(best, 0.9),), {"source": "known-list"})
        for word, best in (("東京", "Tokyo"), ("table", "chart"))
        if word in text
    )
    return Report(0.93, "spun", findings, text.upper() if restore else None)


def fake_spun_check(text: str, *, restore: bool = False, config: object = None,
                    progress: object = None) -> Report:
    """Stand-in for `unspin.check` that always finds the text spun."""
    if not text.strip():
        raise InputError("input is empty")
    return spun_report(text, restore)


def error_line(err: str) -> str:
    """The single stderr line of a failed command (fails if there are more)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("unspin: error: "), err
    return lines[0]


# --- inputs.read_text -----------------------------------------------------------


def test_read_text_decodes_utf8_and_strips_bom(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "a.txt", NON_ASCII)) == NON_ASCII
    with_bom = write(tmp_path, "b.txt", b"\xef\xbb\xbf" + NON_ASCII.encode())
    assert read_text(with_bom) == NON_ASCII


def test_read_text_keeps_line_endings(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "a.txt", "one\r\ntwo\r")) == "one\r\ntwo\r"


def test_read_text_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NON_ASCII.encode())))
    assert read_text("-") == NON_ASCII


@pytest.mark.parametrize(("data", "message"), [
    (b"", "input is empty"),
    (b" \n\t\n", "only whitespace"),
    (b"text\x00more", "binary"),
    (b"\x01\x02\x03\x04ab\x05\x06", "binary"),
    (b"ab\xffcd", "not valid UTF-8 at byte 2 (0xff)"),
    (b"\xef\xbb\xbfab\xc3", "not valid UTF-8 at byte 5 (0xc3)"),  # offset counts the BOM
])
def test_read_text_rejects_bad_content(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(InputError, match=r"^.*bad\.txt: ") as caught:
        read_text(path)
    assert message in str(caught.value)


def test_read_text_names_stdin_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(InputError, match="^<stdin>: input is empty$"):
        read_text("-")


def test_read_text_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_text(str(tmp_path / "nope.txt"))
    with pytest.raises(InputError, match="is a directory"):
        read_text(str(tmp_path))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read any file")
def test_read_text_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "text")
    os.chmod(path, 0)
    with pytest.raises(InputError, match="secret.txt: cannot read"):
        read_text(path)


# --- inputs.iter_jsonl ----------------------------------------------------------


def test_iter_jsonl_rows_and_errors(tmp_path: Path) -> None:
    lines = [
        '\ufeff{"id": 7, "text": "Café"}',  # BOM on the first line, int id
        "",
        '{"id": "b", "text": "two", "extra": 1}',
        "not json",
        "[1, 2]",
        '{"text": "no id"}',
        '{"id": true, "text": "bool id"}',
        '{"id": "c", "text": 3}',
        '{"id": "d", "text": "\\ud800"}',
    ]
    path = write(tmp_path, "in.jsonl", "\n".join(lines) + "\n")
    rows = list(iter_jsonl(path))
    assert [number for number, _ in rows] == [1, 3, 4, 5, 6, 7, 8, 9]
    assert rows[0][1] == {"id": "7", "text": "Café"}
    assert rows[1][1] == {"id": "b", "text": "two"}
    errors = [str(row) for _, row in rows[2:]]
    assert all(isinstance(row, InputError) for _, row in rows[2:])
    assert "invalid JSON" in errors[0]
    assert "not a JSON object" in errors[1]
    assert '"id"' in errors[2] and '"id"' in errors[3]
    assert '"text"' in errors[4]
    assert "surrogate" in errors[5]
    assert count_rows(path) == 8


def test_iter_jsonl_invalid_utf8_line(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", b'{"id": "a", "text": "\xff"}\n')
    [(number, row)] = list(iter_jsonl(path))
    assert number == 1
    assert isinstance(row, InputError) and "UTF-8" in str(row)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("missing.jsonl", None, "no such file"),
    ("dir", "dir", "is a directory"),
    ("bin.jsonl", b'{"id": 1}\x00\x00', "binary"),
])
def test_iter_jsonl_fails_up_front(
        tmp_path: Path, name: str, data: bytes | str | None, message: str) -> None:
    if data == "dir":
        (tmp_path / name).mkdir()
    elif isinstance(data, bytes):
        write(tmp_path, name, data)
    with pytest.raises(InputError, match=message):
        iter_jsonl(str(tmp_path / name))  # raises before any row is requested


# --- cli: in-process ------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"unspin {unspin.__version__}\n"


@pytest.mark.parametrize("command", ["check", "restore", "repair", "screen"])
def test_help_for_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: unspin {command}")


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["check"],
    ["check", "a.txt", "--format", "xml"],
    ["check", "a.txt", "--bogus"],
    ["screen", "in.jsonl"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    error, hint = capsys.readouterr().err.splitlines()  # two lines, no usage block
    command = "unspin" if not argv or argv[0] == "frobnicate" else f"unspin {argv[0]}"
    assert error.startswith(f"{command}: error: ")
    assert hint == f"try '{command} --help'"


@pytest.mark.parametrize(("argv", "message"), [
    (["check", "--bogus", "x"], "unspin check: error: unrecognized arguments: --bogus"),
    (["index", "build", "a", "-o", "b", "--zz"],
     "unspin index build: error: unrecognized arguments: --zz"),
    (["serve", "--port", "99999"], "unspin serve: error: argument --port: must be 1 to 65535"),
])
def test_flag_errors_name_the_command(argv: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith(message)



def assert_offsets(data: dict[str, Any], text: str) -> None:
    """Every finding's text is the input's code points at its offset and length."""
    for finding in data["findings"]:
        offset, length = finding["offset"], finding["length"]
        assert finding["text"] == text[offset:offset + length]

def test_check_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "doc.txt", NON_ASCII)
    status = cli.main(["check", path, "--format", "json", "--restore"])
    data = json.loads(capsys.readouterr().out)
    assert status == (1 if data["verdict"] == "spun" else 0)
    assert {"score", "verdict", "findings", "restored"} <= data.keys()
    assert data["verdict"] in {"spun", "clean", "uncertain"}
    assert_offsets(data, NON_ASCII)


def test_check_json_offsets_are_code_points(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "check", fake_spun_check)
    path = write(tmp_path, "doc.txt", NON_ASCII)
    assert cli.main(["check", path, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert "restored" not in data
    assert [f["text"] for f in data["findings"]] == ["東京", "table"]
    assert_offsets(data, NON_ASCII)


def test_check_text_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "check", fake_spun_check)
    path = write(tmp_path, "doc.txt", NON_ASCII)
    assert cli.main(["check", path, "--restore"]) == 1
    assert capsys.readouterr().out == (
        "verdict: spun  score: 0.93  findings: 2\n"
        '  1:14  "東京" -> "Tokyo"  (lexical, confidence 0.87, known-list)\n'
        '  2:26  "table" -> "chart"  (lexical, confidence 0.87, known-list)\n'
        "\nrestored:\n" + NON_ASCII.upper()
    )


def test_check_clean_text_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "check",
                        lambda text, **_: Report(0.1, "clean"))
    assert cli.main(["check", write(tmp_path, "a.txt", CLEAN)]) == 0
    assert capsys.readouterr().out == "verdict: clean  score: 0.10  findings: 0\n"


def test_check_stdin(capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NON_ASCII.encode())))
    assert cli.main(["check", "-", "--format", "json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["verdict"] in {"spun", "clean", "uncertain"}


@pytest.mark.parametrize(("data", "message"), [
    (None, "no such file"),
    ("dir", "is a directory"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary"),
    (b"caf\xe9", "not valid UTF-8 at byte 3"),
    (b"", "input is empty"),
])
@pytest.mark.parametrize("command", ["check", "restore", "repair"])
def test_input_errors_exit_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        command: str, data: bytes | str | None, message: str) -> None:
    path = tmp_path / "input"
    if data == "dir":
        path.mkdir()
    elif isinstance(data, bytes):
        path.write_bytes(data)
    assert cli.main([command, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = error_line(captured.err)
    assert str(path) in line and message in line


def test_library_input_error_names_the_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def too_long(text: str, *, restore: bool = False, config: object = None,
                    progress: object = None) -> Report:
        raise InputError("input has 9 characters; the limit is 5")

    monkeypatch.setattr(commands, "check", too_long)
    path = write(tmp_path, "long.txt", "123456789")
    assert cli.main(["check", path]) == 2
    assert error_line(capsys.readouterr().err) == (
        f"unspin: error: {path}: input has 9 characters; the limit is 5")


def test_internal_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, *, restore: bool = False, config: object = None,
                    progress: object = None) -> Report:
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr(commands, "check", broken)
    assert cli.main(["check", write(tmp_path, "a.txt", CLEAN)]) == 2
    assert "RuntimeError: model file corrupt" in error_line(capsys.readouterr().err)


def test_keyboard_interrupt_exits_130_quietly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(text: str, *, restore: bool = False, config: object = None,
                    progress: object = None) -> Report:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "check", interrupted)
    assert cli.main(["check", write(tmp_path, "a.txt", CLEAN)]) == 130
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("command", ["restore", "repair"])
@pytest.mark.parametrize("text", [CLEAN, CLEAN + "\n", "Café naïve — 東京"])
def test_restore_and_repair_round_trip_clean_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, text: str) -> None:
    assert cli.main([command, write(tmp_path, "clean.txt", text)]) == 0
    assert capsys.readouterr().out == text  # no newline added


# --- cli: screen ----------------------------------------------------------------


SCREEN_LINES = [
    '{"id": "first", "text": "The cat sat on the mat."}',
    "{broken",
    '{"id": 2, "text": "Café naïve — 東京"}',
    '{"id": "no-text"}',
    "",
    '{"id": "empty", "text": "   "}',
    '{"id": "last", "text": "It was a sunny day."}',
]


def test_screen_writes_good_rows_in_order_and_skips_bad_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path, "in.jsonl", "\n".join(SCREEN_LINES) + "\n")
    output = tmp_path / "out.jsonl"
    assert cli.main(["screen", source, "--output", str(output)]) == 0
    rows = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["first", "2", "last"]
    for row in rows:
        assert {"id", "score", "verdict", "findings"} <= row.keys()
        assert "restored" not in row
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"unspin: {source}:2: invalid JSON")
    assert err[1] == f'unspin: {source}:4: missing or non-string "text", skipped'
    assert err[2] == f"unspin: {source}:6: input contains only whitespace, skipped"
    assert err[3] == "screened 3 documents, skipped 3"
    assert all(line.endswith(", skipped") for line in err[:3])


def test_screen_several_inputs_with_restore(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_module, "check", fake_spun_check)
    first = write(tmp_path, "a.jsonl", '{"id": "a", "text": "a table"}\n')
    second = write(tmp_path, "b.jsonl", '{"id": "b", "text": "東京"}\n')
    output = tmp_path / "out.jsonl"
    assert cli.main(["screen", first, second, "-o", str(output), "--restore", "--jobs", "1"]
                    ) == 0
    rows = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert rows == [
        {"id": "a", **spun_report("a table", restore=True).to_dict()},
        {"id": "b", **spun_report("東京", restore=True).to_dict()},
    ]
    assert "東京" in output.read_text("utf-8")  # UTF-8, not \u escapes
    assert capsys.readouterr().err == "screened 2 documents, skipped 0\n"


def test_screen_refuses_to_overwrite_an_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = "\n".join(SCREEN_LINES) + "\n"
    source = write(tmp_path, "in.jsonl", content)
    same_file = str(tmp_path / "." / "in.jsonl")
    assert cli.main(["screen", source, "--output", same_file]) == 2
    assert "refusing to overwrite" in error_line(capsys.readouterr().err)
    assert Path(source).read_text("utf-8") == content


@pytest.mark.parametrize("problem", ["missing input", "output is a directory",
                                     "output directory missing"])
def test_screen_unusable_files_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str) -> None:
    source = write(tmp_path, "in.jsonl", '{"id": "a", "text": "fine"}\n')
    inputs = [source, str(tmp_path / "missing.jsonl")] if problem == "missing input" else [
        source]
    output = {"missing input": tmp_path / "out.jsonl",
              "output is a directory": tmp_path,
              "output directory missing": tmp_path / "nope" / "out.jsonl"}[problem]
    assert cli.main(["screen", *inputs, "-o", str(output)]) == 2
    error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_interrupted_screen_keeps_the_old_output(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def interrupted_later(text: str, *, restore: bool = False, config: object = None,
                    progress: object = None) -> Report:
        calls.append(text)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return Report(0.0, "clean")

    monkeypatch.setattr(row_module, "check", interrupted_later)
    source = write(tmp_path, "in.jsonl", "\n".join(SCREEN_LINES) + "\n")
    output = tmp_path / "out.jsonl"
    output.write_text("previous results\n")
    assert cli.main(["screen", source, "-o", str(output), "--jobs", "1"]) == 130
    assert output.read_text() == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_screen_progress_bar_only_on_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path, "in.jsonl", "\n".join(SCREEN_LINES) + "\n")
    output = str(tmp_path / "out.jsonl")
    assert cli.main(["screen", source, "-o", output]) == 0
    assert "docs" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["screen", source, "-o", output]) == 0
    err = capsys.readouterr().err
    assert f"\r[{'#' * Progress.WIDTH}] 6/6 docs\n" in err
    assert err.endswith("screened 3 documents, skipped 3\n")


def test_check_of_a_long_text_shows_progress_on_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from unspin.cli import commands

    monkeypatch.setattr(commands, "LONG_TEXT", 1_000)
    path = write(tmp_path, "long.txt", "The firm stated that prices would rise. " * 60)
    assert cli.main(["check", path]) in (0, 1)
    assert "of the text" not in capsys.readouterr().err  # not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["restore", path]) == 0
    assert capsys.readouterr().err.endswith(f"\r[{'#' * Progress.WIDTH}] 100% of the text\n")


def test_check_reports_progress_to_the_library_caller() -> None:
    text = "The firm stated that prices would rise. " * 30
    seen: list[tuple[int, int]] = []
    unspin.check(text, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) == 30 and all(total == len(text) for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# --- cli: as a real process -----------------------------------------------------


def run_unspin(*args: str, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m unspin ARGS` in a child process and capture its output."""
    return subprocess.run([sys.executable, "-m", "unspin", *args], input=stdin,
                          capture_output=True, env={**os.environ, **env}, timeout=300)


def test_process_version_and_usage_error() -> None:
    done = run_unspin("--version")
    assert (done.returncode, done.stdout) == (0, f"unspin {unspin.__version__}\n".encode())
    done = run_unspin("check", "--nope")
    assert done.returncode == 2 and b"Traceback" not in done.stderr


def test_process_input_error_is_one_line(tmp_path: Path) -> None:
    done = run_unspin("check", str(tmp_path / "missing.txt"))
    assert done.returncode == 2
    assert done.stdout == b""
    error_line(done.stderr.decode())


def test_process_writes_utf8_whatever_the_locale() -> None:
    text = "Café naïve — 東京"
    done = run_unspin("repair", "-", stdin=text.encode(), PYTHONIOENCODING="ascii")
    assert (done.returncode, done.stdout, done.stderr) == (0, text.encode(), b"")


def test_process_broken_pipe_is_quiet(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "word " * 200_000)
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "unspin", "repair", path],
                              stdout=write_end, stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(write_end)
    assert done.returncode == cli.EXIT_BROKEN_PIPE
    assert done.stderr == b""


@pytest.mark.parametrize("command", ["check", "restore", "screen"])
def test_neural_without_the_extra_is_one_line_and_exit_2(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import unspin.pipeline.engine as engine

    def missing() -> None:
        raise InputError(engine.INSTALL_HINT)

    monkeypatch.setattr(engine, "neural_scorer", missing)
    monkeypatch.setattr(commands, "neural_scorer", missing)
    if command == "screen":
        path = write(tmp_path, "in.jsonl", '{"id": "a", "text": "Some text."}\n')
        argv = [command, path, "--output", str(tmp_path / "out.jsonl"), "--neural"]
    else:
        argv = [command, write(tmp_path, "in.txt", "Some text to check."), "--neural"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unspin[neural]" in err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_failed_spark_job_is_one_line_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from unspin.screening import spark_job

    def failing(*args: object, **kwargs: object) -> None:
        raise spark_job.SparkJobError("Spark job failed: java.lang.OutOfMemoryError")

    monkeypatch.setattr(spark_job, "screen_spark", failing)
    corpus = write(tmp_path, "c.jsonl", '{"id": "a", "text": "Some text."}\n')
    assert cli.main(["screen", corpus, "-o", str(tmp_path / "out.jsonl"),
                     "--engine", "spark"]) == 1
    err = capsys.readouterr().err
    assert err == "unspin: error: Spark job failed: java.lang.OutOfMemoryError\n"
