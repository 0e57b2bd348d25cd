"""Hostile input: every entry point, fed what breaks naive code, does linear work and
gives a valid result or one clear error.

Work is counted, not timed: `work` counts the Python and C function calls a run makes
(sys.setprofile), which does not depend on the machine's speed or load. Each family is
run at two sizes, and the larger, 4x the text, may cost at most 5x the calls (linear
work gives 4x; a quadratic path, 16x). The full-size inputs the robustness issue names
(1 MB without a space, 200k quote marks) then go through once each, and every finding's
offsets must point at its text.
"""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import unspin
from unspin import Index, InputError
from unspin.cli import main
from unspin.io import loaders
from unspin.io.loaders import docx as loader_docx
from unspin.repair import find_repairs
from unspin.screening import screen_corpus

GROWTH = 5.0
"""The most 4x the text may multiply the counted work by (linear: 4)."""

SPUN = "The profound learning model beat counterfeit consciousness, he stated. "
FAMILIES: dict[str, Callable[[int], str]] = {
    "no spaces": lambda n: ("abcdefghij" * n)[:n],
    "double quotes": lambda n: '"' * n,
    "apostrophes": lambda n: "'" * n,
    "quotes between letters": lambda n: ("a\"b'" * n)[:n],
    "deep HTML as text": lambda n: ("<div>" * n)[:n],
    "mixed CRLF and lone CR": lambda n: ("He said \"res\"lt,\" was fine.\r\n" + SPUN + "\r"
                                         "Ireland'sd's team won.\n") * (n // 120 + 1),
    "NUL bytes": lambda n: ("counterfeit\x00 consciousness " + SPUN) * (n // 100 + 1),
    "RTL and combining marks": lambda n: ("\u0645\u0631\u062d\u0628\u0627 cafe\u0301 \u05e9\u05dc"
                                          "\u05d5\u05dd \u202eprofound learning\u202c. " + SPUN)
                                         * (n // 120 + 1),
}
ENTRY_POINTS: dict[str, Callable[[str], Any]] = {
    "check": lambda text: unspin.check(text, restore=True),
    "restore": unspin.restore,
    "repair": find_repairs,
}


def work(call: Callable[[], Any]) -> int:
    """Function calls (Python and C) made by `call()`."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return count


def assert_offsets(text: str, findings: Any) -> None:
    for f in findings:
        assert text[f.offset : f.offset + f.length] == f.text


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("family", list(FAMILIES))
def test_work_is_linear(family: str, entry: str) -> None:
    run = ENTRY_POINTS[entry]
    small, large = FAMILIES[family](3_000), FAMILIES[family](12_000)
    run(small)  # models and caches loaded before counting
    ratio = work(lambda: run(large)) / max(work(lambda: run(small)), 1)
    assert ratio <= GROWTH * len(large) / len(small) / 4, f"{family}/{entry}: {ratio:.1f}x"


@pytest.mark.parametrize("text", [
    pytest.param("abcdefghij" * 100_000, id="1 MB without spaces"),
    pytest.param('"' * 200_000, id="200k double quotes"),
    pytest.param("'" * 200_000, id="200k apostrophes"),
    pytest.param("\u2019s" * 100_000, id="100k curly possessives"),
])
def test_full_size_inputs_give_valid_results(text: str) -> None:
    report = unspin.check(text, restore=True)
    assert_offsets(text, report.findings)
    assert report.restored is not None and unspin.repair(text) is not None


@pytest.mark.parametrize("family", list(FAMILIES))
def test_findings_point_at_their_text(family: str) -> None:
    text = FAMILIES[family](4_000)
    report = unspin.check(text)
    assert_offsets(text, report.findings)


# --- hostile files: loaders, CLI, screen -------------------------------------------


def _bomb(path: Path, unpacked: int) -> Path:
    """A DOCX-shaped ZIP whose document part unpacks to `unpacked` bytes of spaces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as part:
            for _ in range(unpacked // (1 << 20)):
                part.write(b" " * (1 << 20))
    return path


@pytest.fixture()
def hostile_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One file per hostile format (the ZIP-bomb limit lowered to keep the test small)."""
    monkeypatch.setattr(loader_docx, "MAX_UNPACKED_BYTES", 4 << 20)
    files = {
        "corrupt.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n" + bytes(range(256)) * 64,
        "nul.txt": b"hello\x00world " * 1000,
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    paths["bomb.docx"] = _bomb(tmp_path / "bomb.docx", 8 << 20)
    return paths


def test_hostile_files_are_one_line_errors(hostile_files: dict[str, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for name, path in hostile_files.items():
        pytest.importorskip("pypdf") if name.endswith(".pdf") else None
        with pytest.raises(InputError):
            loaders.read_document(str(path))
        assert main(["check", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err, err


@pytest.mark.parametrize("depth", [100, 500, 50_000])
def test_deeply_nested_html_gives_its_text(depth: int, tmp_path: Path) -> None:
    """Past a few hundred levels the HTML tree parser gives up; the page's visible text
    is read instead of dropping the document ("no main text found")."""
    pytest.importorskip("trafilatura")
    paragraphs = "".join(f"<p>Paragraph {k} says the company stated its plans for the next "
                         f"year in some detail.</p>" for k in range(20))
    page = tmp_path / "deep.html"
    page.write_text(f"<html><head><script>var hidden = 1;</script></head><body>"
                    f"{'<div>' * depth}{paragraphs}{'</div>' * depth}</body></html>", "utf-8")
    text = loaders.read_document(str(page))
    assert all(f"Paragraph {k} says" in text for k in range(20)) and "hidden" not in text


def test_a_zip_bomb_is_refused_before_it_is_read(hostile_files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="ZIP bomb"):
        loaders.read_document(str(hostile_files["bomb.docx"]))


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the files are read in the worker processes
def test_screen_skips_hostile_files_and_screens_hostile_text(
        hostile_files: dict[str, Path], tmp_path: Path, jobs: int) -> None:
    corpus = tmp_path / "hostile.jsonl"
    texts = {name: make(2_000) for name, make in FAMILIES.items()}
    corpus.write_text("".join(json.dumps({"id": name, "text": text}) + "\n"
                              for name, text in texts.items()), "utf-8")
    skipped: list[str] = []
    out = tmp_path / "out.jsonl"
    summary = screen_corpus([str(corpus), *map(str, hostile_files.values())], out, jobs=jobs,
                            skip=skipped.append)
    assert summary.written == len(texts) and summary.skipped == len(hostile_files)
    assert all("\n" not in message for message in skipped)
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert {row["id"] for row in rows} == set(texts)


def test_extract_skips_hostile_files(hostile_files: dict[str, Path], tmp_path: Path) -> None:
    from unspin.io.extract import extract_corpus

    skipped: list[str] = []
    summary = extract_corpus([str(path) for path in hostile_files.values()],
                             tmp_path / "docs.jsonl", skip=skipped.append)
    assert (summary.written, summary.skipped) == (0, len(hostile_files))
    assert all("\n" not in message for message in skipped)
    assert (tmp_path / "docs.jsonl").read_text("utf-8") == ""


def test_index_and_trace_take_hostile_text(tmp_path: Path) -> None:
    docs = [(name, make(3_000)) for name, make in FAMILIES.items()]
    index = Index.build(tmp_path / "index", docs)
    for name, text in docs:
        matches = index.query(text)
        assert all(m.score >= 0 for m in matches), name
    for name, make in FAMILIES.items():
        small, large = make(3_000), make(12_000)
        index.query(large)  # lazy loads before counting
        growth = work(partial(index.query, large)) / max(work(partial(index.query, small)), 1_000)
        assert growth <= GROWTH, f"{name}: trace {growth:.1f}x"
        built = [work(partial(Index.build, tmp_path / f"{name}{len(text)}", [(name, text)]))
                 for text in (small, large)]
        assert built[1] / max(built[0], 1_000) <= GROWTH, f"{name}: index {built}"


def test_service_answers_hostile_input(hostile_files: dict[str, Path]) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from unspin import serve

    client = TestClient(serve.create_app(workers=1))
    for name, make in FAMILIES.items():
        text = make(2_000)
        response = client.post("/api/check", json={"text": text})
        assert response.status_code == 200, name
        for f in response.json()["findings"]:
            assert text[f["offset"] : f["offset"] + f["length"]] == f["text"]
    for name, path in hostile_files.items():
        if name == "bomb.docx":
            continue  # the worker process does not see this test's lowered limit
        response = client.post("/api/extract", files={"file": (name, path.read_bytes(), "x/y")})
        assert response.status_code == 422 and "\n" not in response.json()["detail"], name


@pytest.mark.parametrize("trouble", ["port in use", "no such host", "not this machine"])
def test_serve_start_up_failures_are_one_line(trouble: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A port already taken or a host that cannot be listened on: one line, exit 2,
    before any worker starts (uvicorn's own logs and tracebacks never reach the user)."""
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        host = {"port in use": "127.0.0.1", "no such host": "256.1.1.1",
                "not this machine": "192.0.2.1"}[trouble]  # TEST-NET-1: never local
        assert main(["serve", "--host", host, "--port", port, "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("unspin: error: "), err
    assert (f"{host}:{port}" in err) or ("--host 256.1.1.1" in err), err


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_an_interrupt_lost_in_a_finalizer_stops_at_the_next_document(signal_name: str) -> None:
    """Raised inside a `__del__`, Python prints and drops the interruption; the progress
    callback of every corpus command raises it again (else screen ran on to the end)."""
    import gc
    import os
    import signal

    from unspin.cli import terminal

    class Finalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), getattr(signal, signal_name))
            for _ in range(1000):  # the handler runs here, inside the finalizer
                pass

    previous = terminal.catch_signals()
    try:
        Finalized()
        gc.collect()
        expected = terminal.Terminated if signal_name == "SIGTERM" else KeyboardInterrupt
        with pytest.raises(expected):
            terminal.Progress(None).advance()
    finally:
        terminal.catch_signals()  # forgets the interruption
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_killed_screen_leaves_no_temporary_files(signal_name: str, tmp_path: Path) -> None:
    """`kill PID` (or Ctrl-C) mid-run: exit 143 (130), the old output as it was, and no
    hidden `.out.jsonl.XXXX.part` beside it."""
    import os
    import signal
    import subprocess
    import time

    sentence = "The company stated that the subsequent model would be quicker. "
    rows = (json.dumps({"id": f"d{k}", "text": sentence * 40}) for k in range(5_000))
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    output.write_text("kept\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "unspin", "screen", str(corpus),
                              "-o", str(output), "--jobs", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.jsonl.*.part")) and time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.05)
    time.sleep(0.5)  # rows are being written
    child.send_signal(getattr(signal, signal_name))
    assert child.wait(timeout=60) == {"SIGTERM": 143, "SIGINT": 130}[signal_name]
    assert output.read_text(encoding="utf-8") == "kept\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


# --- any Unicode ------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=300))
@example("0\t\x85")  # NEL, a space to the tokenizer, that ftfy reads as "…" (was a 0-length fix)
@example("a\x85b \x85")
def test_offsets_hold_on_arbitrary_unicode(text: str) -> None:
    try:
        report = unspin.check(text, restore=True)
    except InputError:
        assert not text.strip()
        return
    assert_offsets(text, report.findings)
    assert all(f.length > 0 for f in report.findings)
