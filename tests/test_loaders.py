"""`unspin.io.loaders`: documents from text, JSON Lines, Parquet, PDF, HTML, DOCX, JATS XML
and WARC files and from directories of them, and the commands that read them.

Every fixture is made here, in `tmp_path`; the libraries of the `formats` extra are
`importorskip`ped only as a safety net (`make test` installs them).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from unspin import Index, InputError
from unspin.cli import main
from unspin.core.records import Report
from unspin.io.loaders import Unread, count_documents, iter_documents, iter_sources, read_document
from unspin.io.loaders import common as loader_common
from unspin.io.loaders import parquet as loader_parquet

ARTICLE = ("The results are shown in table 2 by counterfeit consciousness, the team said. "
           "A second sentence of the article follows, with more words in it.")


def documents(*paths: Path | str, strict: bool = False) -> tuple[list[tuple[str, str]],
                                                                  list[str]]:
    """The documents of `paths` and the warnings given while reading them."""
    warnings: list[str] = []
    found = list(iter_documents([str(path) for path in paths], warnings.append,
                                strict=strict))
    return found, warnings


# --- fixtures: one small file per format ------------------------------------------------


def text_pdf(path: Path, lines: list[str]) -> Path:
    """A minimal PDF by hand: one page that shows `lines` in Helvetica."""
    shown = b" 0 -16 Td ".join(
        b"(" + line.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(")
        .replace(b")", b"\\)") + b") Tj" for line in lines)
    content = b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    data = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    path.write_bytes(data)
    return path


def blank_pdf(path: Path) -> Path:
    """A PDF whose one page has no text layer, as a scan has none."""
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def docx_file(path: Path, paragraphs: list[str]) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Study</title></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<article><h1>Café study</h1><p>{ARTICLE}</p>
<p>Another paragraph of the article, long enough to count as main text.</p></article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>
"""

JATS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving DTD v1.2//EN"
  "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
  <front>
    <journal-meta><journal-title-group><journal-title>Journal of Tests</journal-title>
    </journal-title-group></journal-meta>
    <article-meta>
      <title-group><article-title>Counterfeit consciousness in
        <italic>deep</italic> learning</article-title></title-group>
      <abstract><p>We study spun text.</p></abstract>
    </article-meta>
  </front>
  <body>
    <sec><title>Introduction</title>
      <p>Artificial intelligence was renamed <xref ref-type="bibr" rid="r1">[1]</xref>
         counterfeit consciousness.</p>
      <fig id="f1"><label>Figure 1</label><caption><p>A figure caption.</p></caption></fig>
      <sec><title>Background</title><p>Nested paragraph.</p></sec>
    </sec>
  </body>
  <back>
    <ref-list><title>References</title>
      <ref id="r1"><mixed-citation>Cabanac G. Tortured phrases. 2021.</mixed-citation></ref>
    </ref-list>
  </back>
</article>
"""
JATS_TEXT = ("Counterfeit consciousness in deep learning\n\nWe study spun text.\n\n"
             "Introduction\n\nArtificial intelligence was renamed [1] counterfeit "
             "consciousness.\n\nBackground\n\nNested paragraph.")


def warc_file(path: Path) -> Path:
    """A gzipped WARC: two HTML responses for one URI, a PNG, a 404 and a plain text."""
    pytest.importorskip("warcio")
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def response(uri: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
        headers = StatusAndHeaders(status, [("Content-Type", content_type)],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), http_headers=headers))

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        response("https://example.org/a", HTML.encode(), "text/html; charset=utf-8")
        response("https://example.org/logo.png", b"\x89PNG\r\n\x1a\n", "image/png")
        response("https://example.org/gone", HTML.encode(), "text/html", "404 Not Found")
        response("https://example.org/a", HTML.encode(), "text/html")
        response("https://example.org/notes.txt", b"Plain notes.\n", "text/plain")
    return path


def parquet_file(path: Path, rows: dict[str, list[object]], **options: object) -> Path:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(rows), str(path), **options)
    return path


# --- one format at a time ---------------------------------------------------------------


def test_text_pdf(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    pdf = text_pdf(tmp_path / "paper.pdf", ["Counterfeit consciousness (AI)", "second line"])
    found, warnings = documents(pdf)
    [(doc_id, text)] = found
    assert doc_id == "paper.pdf" and not warnings
    assert "Counterfeit consciousness (AI)" in text and "second line" in text
    assert read_document(str(pdf)) == text


def test_scanned_pdf_is_reported_and_skipped(tmp_path: Path) -> None:
    pdf = blank_pdf(tmp_path / "scan.pdf")
    for strict in (False, True):  # nothing to read is never fatal
        assert documents(pdf, strict=strict) == ([], [f"{pdf}: no text layer (scanned?)"])
    with pytest.raises(InputError, match=r"scan.pdf: no text layer \(scanned\?\)"):
        read_document(str(pdf))


def test_html_main_text_only(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    page = tmp_path / "page.html"
    page.write_text(HTML, "utf-8")
    [(doc_id, text)] = documents(page)[0]
    assert doc_id == "page.html"
    assert ARTICLE in text and "Café study" in text
    assert "About us" not in text and "Copyright" not in text
    empty = tmp_path / "empty.htm"
    empty.write_text("<html><head><title>Nothing</title></head><body><script>var a = 1;"
                     "</script></body></html>")
    assert documents(empty) == ([], [f"{empty}: no main text found"])


def test_docx_paragraphs(tmp_path: Path) -> None:
    path = docx_file(tmp_path / "letter.docx", ["First paragraph.", "", "Second paragraph."])
    assert documents(path) == ([("letter.docx", "First paragraph.\n\nSecond paragraph.")], [])
    assert read_document(str(path)) == "First paragraph.\n\nSecond paragraph."


def test_jats_body_without_references(tmp_path: Path) -> None:
    path = tmp_path / "article.xml"
    path.write_text(JATS, "utf-8")
    assert documents(path) == ([("article.xml", JATS_TEXT)], [])
    assert "Cabanac" not in JATS_TEXT and "caption" not in JATS_TEXT
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel><title>News</title></channel></rss>")
    broken = tmp_path / "broken.xml"
    broken.write_text("<article><body><p>unclosed</body></article>")
    found, warnings = documents(other)
    assert (found, warnings) == ([], [f"{other}: not a JATS article (no <article> element)"])
    found, warnings = documents(broken)
    assert found == [] and warnings[0].startswith(f"{broken}: invalid XML (mismatched tag")


def test_jats_in_a_pmc_articleset_with_namespaces(tmp_path: Path) -> None:
    path = tmp_path / "set.xml"
    path.write_text('<pmc-articleset><article xmlns="http://jats.nlm.nih.gov"><body>'
                    "<p>One <bold>bold</bold> claim.</p></body></article></pmc-articleset>")
    assert documents(path)[0] == [("set.xml", "One bold claim.")]


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_html_and_text_responses(tmp_path: Path, name: str) -> None:
    pytest.importorskip("trafilatura")
    path = warc_file(tmp_path / name)
    found, warnings = documents(path)
    assert [doc_id for doc_id, _ in found] == [
        "https://example.org/a", "https://example.org/a#2", "https://example.org/notes.txt"]
    assert ARTICLE in found[0][1] and "About us" not in found[0][1]
    assert found[0][1] == found[1][1]
    assert found[2][1] == "Plain notes.\n"
    assert warnings == []
    assert count_documents([str(path)]) is None


def test_jsonl_rows(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 7, "text": "seven"}\n{"id": "x"}\n\n{"id": "e", "text": ""}\n')
    found, warnings = documents(path)
    assert found == [("7", "seven")]
    assert warnings == [f'{path}:2: missing or non-string "text"', f"{path}:4: input is empty"]
    with pytest.raises(InputError, match=f'{path}:2: missing or non-string "text"'):
        documents(path, strict=True)
    assert count_documents([str(path)]) == 3


def test_parquet_rows_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader_parquet, "PARQUET_BATCH_ROWS", 2)
    path = parquet_file(tmp_path / "rows.parquet",
                        {"id": [1, 2, 3, 4, 5], "text": ["one", None, "three", " ", "five"],
                         "year": [2020] * 5}, row_group_size=3)
    found, warnings = documents(path)
    assert found == [("1", "one"), ("3", "three"), ("5", "five")]
    assert warnings == [f'{path}: row 2: missing or non-string "text"',
                        f"{path}: row 4: input contains only whitespace"]
    assert count_documents([str(path)]) == 5
    no_text = parquet_file(tmp_path / "no_text.parquet", {"id": ["a"], "body": ["x"]})
    with pytest.raises(InputError, match="no 'text' column"):
        iter_documents([str(no_text)], print)  # up front


# --- directories, errors and the extra ----------------------------------------------------


def test_a_directory_of_every_format(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    root = tmp_path / "corpus"
    (root / "papers").mkdir(parents=True)
    text_pdf(root / "papers" / "b.pdf", ["A paper about counterfeit consciousness."])
    (root / "papers" / "bad.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    blank_pdf(root / "papers" / "scan.pdf")
    (root / "a.txt").write_text("A text file.")
    (root / "article.xml").write_text(JATS)
    (root / "z.jsonl").write_text('{"id": "row", "text": "A row."}\n')
    (root / "README.md").write_text("not a document")
    found, warnings = documents(root)
    assert [doc_id for doc_id, _ in found] == ["a.txt", "article.xml", "papers/b.pdf", "row"]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{root / 'papers' / 'bad.pdf'}: not a readable PDF file (")
    assert warnings[1] == f"{root / 'papers' / 'scan.pdf'}: no text layer (scanned?)"
    with pytest.raises(InputError, match="bad.pdf: not a readable PDF file"):
        documents(root, strict=True)
    assert count_documents([str(root), str(root / "a.txt")]) == 7


def mixed_corpus(root: Path) -> Path:
    """A directory of one-document files (good, bad and empty) and a JSON Lines file."""
    (root / "papers").mkdir(parents=True)
    text_pdf(root / "papers" / "b.pdf", ["A paper about counterfeit consciousness."])
    (root / "papers" / "bad.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    (root / "a.txt").write_text("The software program giant stated on Tuesday that it grew.")
    (root / "empty.txt").write_text("  \n")
    (root / "article.xml").write_text(JATS)
    (root / "z.jsonl").write_text('{"id": "row", "text": "A row."}\n{"id": "blank", "text": ""}\n')
    return root


def test_iter_sources_leaves_one_document_files_unread(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    root = mixed_corpus(tmp_path / "corpus")
    read, warned = documents(root)
    messages: list[str] = []
    sources = list(iter_sources([str(root)], messages.append))
    assert [doc_id for doc_id, _ in sources] == [
        "a.txt", "article.xml", "empty.txt", "papers/b.pdf", "papers/bad.pdf", "row"]
    assert all(isinstance(source, Unread) for doc_id, source in sources if doc_id != "row")
    texts, problems = {}, []
    for doc_id, source in sources:
        try:
            texts[doc_id] = source.read() if isinstance(source, Unread) else source
        except InputError as error:
            problems.append(str(error))
    assert list(texts.items()) == read  # the same documents, the same texts
    assert problems + messages == warned  # the same messages, the unread ones first here


def test_screen_reads_files_in_the_workers_with_the_same_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With workers, the process feeding them reads no one-document file, and the rows
    and skip messages (in input order) are those of a run without workers."""
    pytest.importorskip("pypdf")
    import os

    from unspin.screening import screen_corpus

    root = mixed_corpus(tmp_path / "corpus")
    readers = tmp_path / "readers.txt"
    real_read = Unread.read

    def read(self: Unread) -> str:
        with open(readers, "a") as log:
            log.write(f"{os.getpid()}\n")
        return real_read(self)

    monkeypatch.setattr(Unread, "read", read)
    runs = {}
    for jobs in (1, 2):
        skipped: list[str] = []
        summary = screen_corpus([str(root)], tmp_path / f"out{jobs}.jsonl", jobs=jobs,
                                skip=skipped.append)
        runs[jobs] = ((tmp_path / f"out{jobs}.jsonl").read_bytes(), skipped,
                      (summary.written, summary.skipped))
        pids = readers.read_text().split()
        readers.unlink()
        assert len(pids) == 5 and (str(os.getpid()) in pids) == (jobs == 1)
    assert runs[1] == runs[2]
    rows, skipped, counts = runs[1]
    assert [json.loads(line)["id"] for line in rows.splitlines()] == [
        "a.txt", "article.xml", "papers/b.pdf", "row"]
    assert skipped[0] == f"{root / 'empty.txt'}: input contains only whitespace"
    assert skipped[1].startswith(f"{root / 'papers' / 'bad.pdf'}: not a readable PDF file (")
    assert skipped[2] == f"{root / 'z.jsonl'}:2: input is empty"
    assert counts == (4, 3)


@pytest.mark.parametrize(("name", "message"), [
    ("missing.pdf", "missing.pdf: no such file"),
    ("notes.md", "notes.md: unsupported file type (need one of .txt, "),
    ("empty_dir", "empty_dir: no documents in this directory"),
    ("bin.jsonl", "bin.jsonl: looks like a binary file"),
])
def test_unusable_paths_fail_before_any_document(
        tmp_path: Path, name: str, message: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine")
    path = tmp_path / name
    if name == "notes.md":
        path.write_text("# notes")
    elif name == "empty_dir":
        path.mkdir()
    elif name == "bin.jsonl":
        path.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        iter_documents([str(good), str(path)], print)  # nothing read yet


def test_a_bad_text_file_is_skipped_unless_strict(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"caf\xe9")
    (tmp_path / "b.txt").write_text("bee")
    assert documents(tmp_path) == (
        [("b.txt", "bee")], [f"{tmp_path / 'a.txt'}: not valid UTF-8 at byte 3 (0xe9)"])
    with pytest.raises(InputError, match="a.txt: not valid UTF-8"):
        documents(tmp_path, strict=True)


def test_a_missing_extra_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(loader_common._EXTRA, "pdf", ("no_such_module_for_unspin",))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    hint = "reading .pdf files needs the formats extra: pip install 'unspin[formats]'"
    with pytest.raises(InputError, match=r"paper.pdf: reading \.pdf files needs the formats"):
        iter_documents([str(tmp_path)], print)
    with pytest.raises(InputError) as raised:
        read_document(str(pdf))
    assert str(raised.value) == f"{pdf}: {hint}"


def test_read_document(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("Any other file is text.")
    assert read_document(str(notes)) == "Any other file is text."
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": 1, "text": "x"}\n')
    with pytest.raises(InputError, match="rows.jsonl: holds many documents"):
        read_document(str(rows))
    with pytest.raises(InputError, match="no such file"):
        read_document(str(tmp_path / "missing.docx"))


# --- the commands -----------------------------------------------------------------------


def test_cli_check_a_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pypdf")
    seen: list[str] = []

    def fake_check(text: str, **_: object) -> Report:
        seen.append(text)
        return Report(0.1, "clean")

    monkeypatch.setattr("unspin.cli.commands.check", fake_check)
    pdf = text_pdf(tmp_path / "paper.pdf", ["A paper about counterfeit consciousness."])
    assert main(["check", str(pdf)]) == 0
    assert seen == ["A paper about counterfeit consciousness."]
    assert main(["check", str(blank_pdf(tmp_path / "scan.pdf"))]) == 2
    assert capsys.readouterr().err.endswith("scan.pdf: no text layer (scanned?)\n")


def test_cli_index_build_from_a_directory_of_documents(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pypdf")
    root = tmp_path / "corpus"
    root.mkdir()
    text_pdf(root / "paper.pdf", ["A paper about counterfeit consciousness and more."])
    docx_file(root / "letter.docx", ["A letter about the rail strike in Carlisle."])
    blank_pdf(root / "scan.pdf")
    (root / "article.xml").write_text(JATS)
    output = tmp_path / "ix"
    assert main(["index", "build", str(root), "-o", str(output)]) == 0
    assert capsys.readouterr().err == (
        f"unspin: {root / 'scan.pdf'}: no text layer (scanned?), skipped\n"
        f"indexed 3 documents into {output}, skipped 1\n")
    assert list(Index.open(output).ids()) == ["article.xml", "letter.docx", "paper.pdf"]


def test_cli_trace_a_directory_of_queries(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    news = ["Northwind Power said on Tuesday that it would close its coal plant in Leeds "
            "by 2027.", "The company said the move would cut emissions by 40 percent and make "
            "the grid safer, and about 350 workers will be offered jobs near Hull."]
    index = Index.build(tmp_path / "ix", [("news", "\n\n".join(news))])
    queries = tmp_path / "queries"
    queries.mkdir()
    docx_file(queries / "q.docx", news)
    (queries / "empty.txt").write_text("")
    assert main(["trace", str(queries), "--index", str(index.path), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    [result] = [json.loads(line) for line in captured.out.splitlines()]
    assert result["id"] == "q.docx" and [m["id"] for m in result["matches"]] == ["news"]
    assert captured.err.splitlines() == [
        f"unspin: {queries / 'empty.txt'}: input is empty, skipped",
        "traced 1 queries, 1 with a match, skipped 1"]


def test_extract_writes_the_documents_as_rows_screen_reads_the_same(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pypdf")
    from unspin.io.extract import extract_corpus
    from unspin.screening import screen_corpus

    root = mixed_corpus(tmp_path / "corpus")
    read, warned = documents(root)
    skipped: list[str] = []
    summary = extract_corpus([str(root)], tmp_path / "docs.jsonl", skip=skipped.append)
    lines = (tmp_path / "docs.jsonl").read_text("utf-8").splitlines()
    assert [tuple(json.loads(line).values()) for line in lines] == read
    assert skipped == warned and (summary.written, summary.skipped) == (4, 3)
    screen_corpus([str(root)], tmp_path / "from_files.jsonl", jobs=1)
    screen_corpus([str(tmp_path / "docs.jsonl")], tmp_path / "from_rows.jsonl", jobs=1)
    assert ((tmp_path / "from_files.jsonl").read_bytes()
            == (tmp_path / "from_rows.jsonl").read_bytes())
    assert main(["extract", str(root), "-o", str(tmp_path / "cli.jsonl")]) == 0
    assert (tmp_path / "cli.jsonl").read_bytes() == (tmp_path / "docs.jsonl").read_bytes()
    err = capsys.readouterr().err
    assert err.endswith(f"extracted 4 documents into {tmp_path / 'cli.jsonl'}, skipped 3\n")


@pytest.mark.parametrize(("output", "message"), [
    ("docs.csv", "extract writes JSON Lines"),
    ("corpus/docs.jsonl", "is inside input directory"),
    ("missing/docs.jsonl", "does not exist"),
])
def test_extract_refuses_bad_outputs_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, message: str) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("A text file.")
    assert main(["extract", str(root), "-o", str(tmp_path / output)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert sorted(p.name for p in root.iterdir()) == ["a.txt"]
