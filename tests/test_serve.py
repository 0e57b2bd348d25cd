"""The web service (`unspin.serve`, `unspin serve`), through FastAPI's TestClient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

import unspin  # noqa: E402
from unspin import Index, serve  # noqa: E402
from unspin.cli import main  # noqa: E402
from unspin.repair import find_repairs  # noqa: E402

SPUN = ("The results are shown in table 2 by counterfeit consciousness. "
        "We used colossal information.")
DAMAGED = 'The team said the res"lt," was good, and Janu”ry” was cold.'
SOURCE = (
    "Northwind Power said on Tuesday that it would close its coal plant in Leeds by 2027. "
    "The company said the move would cut emissions by 40 percent and make the grid safer. "
    "About 350 workers will be offered jobs at a new wind farm near Hull, the company said.\n"
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(serve.create_app())


def test_health(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": unspin.__version__, "index": False}


@pytest.mark.parametrize("restore", [False, True])
def test_check_is_the_report_json(client: TestClient, restore: bool) -> None:
    response = client.post("/api/check", json={"text": SPUN, "restore": restore})
    assert response.status_code == 200
    assert response.json() == unspin.check(SPUN, restore=restore).to_dict()


def test_restore(client: TestClient) -> None:
    response = client.post("/api/restore", json={"text": SPUN})
    assert response.json() == {"restored": unspin.restore(SPUN)}


def test_repair(client: TestClient) -> None:
    body = client.post("/api/repair", json={"text": DAMAGED}).json()
    assert body["repaired"] == unspin.repair(DAMAGED)
    assert body["findings"] == [f.to_dict() for f in find_repairs(DAMAGED)]
    assert body["findings"]


def test_trace_with_and_without_index(client: TestClient, tmp_path: Path) -> None:
    index = Index.build(tmp_path / "ix", [("energy", SOURCE)])
    traced = TestClient(serve.create_app(str(index.path)))
    assert traced.get("/api/health").json()["index"] is True
    spun = SOURCE.replace("said", "stated").replace("company", "firm")
    body = traced.post("/api/trace", json={"text": spun, "top": 3}).json()
    assert body == {"matches": [m.to_dict() for m in index.query(spun, top=3)]}
    assert body["matches"][0]["id"] == "energy"
    quoted = traced.post("/api/trace", json={"text": spun, "top": 3, "quote": True}).json()
    for plain, match in zip(body["matches"], quoted["matches"], strict=True):
        for bare, passage in zip(plain["passages"], match["passages"], strict=True):
            start, length = bare["source_offset"], bare["source_length"]
            assert passage == {**bare, "source_text": SOURCE[start : start + length]}
    missing = client.post("/api/trace", json={"text": spun})
    assert missing.status_code == 404
    assert "--index" in missing.json()["detail"]


def test_languagetool_check_counts_utf16(client: TestClient) -> None:
    text = "Smile 😀 " + SPUN
    response = client.post("/v2/check", data={"text": text, "language": "en-US"})
    assert response.status_code == 200
    body = response.json()
    assert body["software"]["name"] == "unspin" and body["software"]["apiVersion"] == 1
    assert body["language"]["code"] == "en-US"
    match = next(m for m in body["matches"] if "counterfeit" in m["context"]["text"])
    units = text.encode("utf-16-le")
    start, length = match["offset"], match["length"]
    assert units[2 * start : 2 * (start + length)].decode("utf-16-le") == \
        "counterfeit consciousness"
    assert start == text.index("counterfeit") + 1  # the emoji is two UTF-16 units
    assert match["replacements"][0]["value"] == "artificial intelligence"
    assert match["rule"]["id"] == "UNSPIN_TORTURED_PHRASE"
    assert set(match["rule"]["category"]) == {"id", "name"}
    assert "counterfeit consciousness" in match["sentence"]
    context = match["context"]
    c_units = context["text"].encode("utf-16-le")
    c_start = 2 * context["offset"]
    assert c_units[c_start : c_start + 2 * context["length"]].decode("utf-16-le") == \
        "counterfeit consciousness"


def test_languagetool_annotated_data_and_repairs(client: TestClient) -> None:
    data = {"annotation": [{"markup": "<p>"}, {"text": DAMAGED},
                           {"markup": "</p>", "interpretAs": "\n\n"}]}
    body = client.post("/v2/check", data={"data": json.dumps(data), "language": "auto"}).json()
    sent = "<p>" + DAMAGED + "</p>"
    repairs = [m for m in body["matches"] if m["rule"]["id"] == "UNSPIN_REPAIR"]
    assert repairs
    for match in repairs:
        assert sent[match["offset"] : match["offset"] + match["length"]] in ('res"lt,"',
                                                                             "Janu”ry”")


def test_languagetool_empty_text_and_other_languages(client: TestClient) -> None:
    assert client.post("/v2/check", data={"text": "  ", "language": "en"}).json()[
        "matches"] == []
    assert client.post("/v2/check", data={"text": SPUN, "language": "de-DE"}).status_code \
        == 400
    assert client.post("/v2/check", data={"language": "en"}).status_code == 400


def test_languagetool_languages_lists_english(client: TestClient) -> None:
    languages = client.get("/v2/languages").json()
    assert {"name": "English (US)", "code": "en", "longCode": "en-US"} in languages
    assert {entry["code"] for entry in languages} == {"en"}


def test_a_languagetool_client_library_checks_through_the_server() -> None:
    """`language_tool_python` (a real LanguageTool client) pointed at a live server: it
    asks /v2/languages first, then /v2/check, and applies our replacements."""
    lt = pytest.importorskip("language_tool_python")
    pytest.importorskip("uvicorn")
    from live import serving

    text = "Researchers used counterfeit consciousness to label the data on Monday."
    with serving(serve.create_app(workers=1)) as url:
        tool = lt.LanguageTool("en-GB", remote_server=url)
        matches = tool.check(text)
    match = next(m for m in matches if m.rule_id == "UNSPIN_TORTURED_PHRASE")
    assert text[match.offset : match.offset + match.error_length] == "counterfeit consciousness"
    assert "artificial intelligence" in lt.utils.correct(text, matches)


def test_oversized_body_is_413() -> None:
    small = TestClient(serve.create_app(max_bytes=100))
    response = small.post("/api/check", json={"text": "word " * 100})
    assert response.status_code == 413
    assert "100" in response.json()["detail"] and "--max-bytes" in response.json()["detail"]
    assert small.post("/api/check", json={"text": "A short text."}).status_code == 200


def test_a_text_longer_than_the_time_limit_allows_is_413_at_once() -> None:
    client = TestClient(serve.create_app(timeout=1.0, workers=1))
    most = serve.most_checked_chars(unspin.Config(), 1.0)
    response = client.post("/api/check", json={"text": "word " * (most // 5 + 10)})
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{most:,} characters" in detail and "--timeout" in detail
    v2 = client.post("/v2/check", data={"text": "word " * (most // 5 + 10), "language": "en"})
    assert v2.status_code == 413
    assert client.post("/api/repair", json={"text": "word " * (most // 5 + 10)}
                       ).status_code == 200  # repair is fast: only the body limit holds


def test_slow_check_is_503_and_frees_its_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(serve.CHECK_CHARS_PER_SECOND, "fast", 10**9)  # let it start
    app = serve.create_app(timeout=0.3, workers=1)
    client = TestClient(app)
    assert client.post("/api/check", json={"text": SPUN}).status_code == 200  # started
    slow = client.post("/api/check", json={"text": " ".join([SOURCE] * 400)})
    assert slow.status_code == 503
    assert "0.3" in slow.json()["detail"] and "--timeout" in slow.json()["detail"]
    assert app.state.workers.killed == 1
    # The one worker was killed, not left computing: the next request gets a fresh one.
    again = client.post("/api/check", json={"text": SPUN})
    assert again.status_code == 200 and again.json() == unspin.check(SPUN).to_dict()


def test_malformed_and_empty_input_are_422(client: TestClient) -> None:
    malformed = client.post("/api/check", content=b"{not json",
                            headers={"content-type": "application/json"})
    assert malformed.status_code == 422
    assert client.post("/api/check", json={"txt": SPUN}).status_code == 422
    for endpoint in ("check", "restore", "repair"):
        empty = client.post(f"/api/{endpoint}", json={"text": " \n"})
        assert empty.status_code == 422
        assert empty.json()["detail"] == "input is empty"


def test_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    TestClient(serve.create_app()).post("/api/check", json={"text": SPUN})
    assert list(tmp_path.iterdir()) == []
    stored = tmp_path / "store"
    TestClient(serve.create_app(store=stored)).post("/api/check", json={"text": SPUN})
    [saved] = stored.iterdir()
    record = json.loads(saved.read_text("utf-8"))
    assert record["endpoint"] == "check" and record["text"] == SPUN
    assert record["result"] == unspin.check(SPUN).to_dict()


def test_page_and_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "index.html").write_text("<h1>unspin</h1>", "utf-8")
    monkeypatch.setattr(serve, "STATIC", tmp_path)
    app = TestClient(serve.create_app())
    assert "<h1>unspin</h1>" in app.get("/").text
    assert app.get("/docs").status_code == 200
    assert app.get("/api/health").json()["status"] == "ok"
    monkeypatch.setattr(serve, "STATIC", tmp_path / "missing")
    assert TestClient(serve.create_app()).get("/").status_code == 404


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--index" in out and "--max-bytes" in out and "--timeout" in out


def test_serve_bad_index_is_one_line_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--index", str(tmp_path / "none")]) == 2
    assert "no such index" in capsys.readouterr().err


def test_extract_reads_an_uploaded_document_with_the_loader(client: TestClient) -> None:
    html = ("<html><body><nav>Home | About</nav><article><p>Researchers used counterfeit "
            "consciousness to label the data, the team said on Monday in a long statement "
            "about the work.</p></article></body></html>")
    response = client.post("/api/extract", files={"file": ("page.html", html, "text/html")})
    assert response.status_code == 200, response.text
    assert "counterfeit consciousness" in response.json()["text"]
    text = client.post("/api/extract", files={"file": ("a.txt", b"plain text", "text/plain")})
    assert text.json() == {"text": "plain text"}


def test_extract_refuses_an_unreadable_document(client: TestClient) -> None:
    response = client.post("/api/extract", files={"file": ("bad.pdf", b"not a pdf", "x/y")})
    assert response.status_code == 422 and response.json()["detail"]


def test_service_checks_with_the_configuration_it_was_given() -> None:
    config = unspin.Config(known_list=False)
    assert unspin.check(SPUN, config=config).to_dict() != unspin.check(SPUN).to_dict()
    body = TestClient(serve.create_app(config=config)).post("/api/check", json={"text": SPUN})
    assert body.json() == unspin.check(SPUN, config=config).to_dict()


def test_a_token_guards_the_api_but_not_health_or_the_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(serve.create_app(token="s3cret token", workers=1))
    assert client.get("/api/health").status_code == 200
    assert client.get("/").status_code == 200  # the page asks for the token itself
    body = {"text": SPUN}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret token"}):
        response = client.post("/api/check", json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert "access token" in response.json()["detail"]
    good = {"Authorization": "Bearer s3cret token"}
    assert client.post("/api/check", json=body, headers=good).status_code == 200
    assert client.post("/api/extract", files={"file": ("a.txt", b"Some text.", "text/plain")}
                       ).status_code == 401
    form = {"text": SPUN, "language": "en-US"}
    assert client.post("/v2/check", data=form).status_code == 401
    assert client.post("/v2/check", data={**form, "apiKey": "wrong"}).status_code == 401
    assert client.post("/v2/check", data={**form, "apiKey": "s3cret token"}).status_code == 200
    assert client.post("/v2/check", data=form, headers=good).status_code == 200


def test_serve_token_file_errors_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \nlater\n")
    for path, message in ((tmp_path / "missing.txt", "missing.txt: no such file"),
                          (blank, "blank.txt: no token on its first line")):
        assert main(["serve", "--token-file", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_a_profile_reaches_the_api_and_languagetool(tmp_path: Path) -> None:
    from learn_fixture import hand_profile, world

    profile = tmp_path / "hand.profile.jsonl"
    hand_profile("hand spinner").save(profile)
    client = TestClient(serve.create_app(config=unspin.Config(profiles=(str(profile),))))
    text = world()[2][0][1]
    report = client.post("/api/check", json={"text": text}).json()
    learned = [f for f in report["findings"] if f["evidence"]["source"] == "profile"]
    assert report["verdict"] == "spun" and learned
    assert learned[0]["evidence"]["profile"] == "hand spinner"
    body = client.post("/v2/check", data={"text": text, "language": "en-US"}).json()
    assert {m["replacements"][0]["value"] for m in body["matches"]} >= {"said", "access"}
