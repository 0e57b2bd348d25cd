"""The web service (`unspin serve`): a thin FastAPI adapter over the library.

`create_app` builds the app; `unspin serve` runs it with uvicorn. Endpoints:

- `POST /api/check`, `/api/restore`, `/api/repair`: `unspin.check`/`restore` and the
  repairs of `unspin.repair`, as the JSON of the CLI contract;
- `POST /api/extract`: the text of an uploaded document (multipart field `file`);
- `POST /api/trace`: `Index.query`, only when the app has an index;
- `GET /api/health`;
- `POST /v2/check`: the LanguageTool HTTP API, so LanguageTool clients (editor and
  browser plug-ins) can use unspin as their server. Offsets there are UTF-16 code
  units, as those clients (Java, JavaScript) count; unspin's own API counts code points.

Limits: a request body over `max_bytes` gets 413; a request that computes for over
`timeout` seconds gets 503. The computing (check, restore, repair, extract, trace)
runs in up to `workers` worker processes (`unspin.serve.workers`): one that runs over is
killed, so a slow request never keeps a worker busy after its 503.
Nothing is written to disk unless `store` is given: then every result is saved there
as one JSON file. Needs `pip install 'unspin[serve]'`.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unspin import Index, InputError, __version__, check, repairs, restore
from unspin.core.config import Config
from unspin.core.records import Finding
from unspin.io.loaders import read_document
from unspin.screening import default_jobs
from unspin.serve.workers import CallTimeout, Workers

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_TIMEOUT_S = 30.0
STATIC = Path(__file__).parent / "static"
CONTEXT_CHARS = 40
"""Characters of text either side of a finding in a LanguageTool match's context."""


class CheckRequest(BaseModel):
    text: str
    restore: bool = False


class TextRequest(BaseModel):
    text: str


class TraceRequest(BaseModel):
    text: str
    top: int = Field(5, ge=1, le=100)


def create_app(index: str | os.PathLike[str] | Index | None = None, *,
               max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = DEFAULT_TIMEOUT_S,
               store: str | os.PathLike[str] | None = None,
               config: Config | None = None, workers: int | None = None) -> FastAPI:
    """The web app. `index`: an index directory (or an open `Index`) for `/api/trace`;
    `max_bytes`: the largest request body; `timeout`: seconds one request may compute;
    `store`: a directory to save every result in (created if missing); `config`: the
    engine's configuration for check and restore (default `Config()`); `workers`: worker
    processes (default: one per CPU), each holding its own models."""
    config = config or Config()
    opened = Index.open(index) if isinstance(index, str | os.PathLike) else index
    store_dir = Path(store) if store is not None else None
    if store_dir is not None:
        store_dir.mkdir(parents=True, exist_ok=True)
    pool = Workers(workers or default_jobs(), _setup,
                   (config, None if opened is None else str(opened.path)))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(title="unspin", version=__version__, lifespan=lifespan,
                  description="Detect, explain and reverse machine-spun text.")
    app.add_middleware(_BodyLimit, max_bytes=max_bytes)
    app.state.workers = pool

    async def run(endpoint: str, text: str, call: Callable[..., dict[str, Any]],
                  *args: Any) -> dict[str, Any]:
        """`call(*args)` in a worker process under the time limit; InputError -> 422."""
        try:
            body: dict[str, Any] = await asyncio.to_thread(pool.call, call, args, timeout)
        except CallTimeout:
            raise HTTPException(503, f"the request took over {timeout:g} s and was "
                                     "stopped; try a shorter text") from None
        except InputError as error:
            raise HTTPException(422, str(error)) from None
        if store_dir is not None:
            _save(store_dir, endpoint, text, body)
        return body

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        """Liveness, the version, and whether `/api/trace` is available."""
        return {"status": "ok", "version": __version__, "index": opened is not None}

    @app.post("/api/check")
    async def api_check(request: CheckRequest) -> dict[str, Any]:
        """The Report JSON of `unspin check --format json` (offsets in code points)."""
        return await run("check", request.text, _check, request.text, request.restore)

    @app.post("/api/restore")
    async def api_restore(request: TextRequest) -> dict[str, Any]:
        """The most likely original wording, as `unspin restore` prints it."""
        return await run("restore", request.text, _restore, request.text)

    @app.post("/api/repair")
    async def api_repair(request: TextRequest) -> dict[str, Any]:
        """The repaired text, as `unspin repair` prints it, and the repairs made."""
        return await run("repair", request.text, _repair, request.text)

    @app.post("/api/extract")
    async def api_extract(file: UploadFile) -> dict[str, Any]:
        """The text of an uploaded document (.pdf, .html, .docx, JATS .xml, .txt), read
        by the same loader as `unspin check FILE`, for the review page's file drop."""
        name = Path(file.filename or "upload.txt").name
        return await run("extract", name, _extract, name, await file.read())

    @app.post("/api/trace")
    async def api_trace(request: TraceRequest) -> dict[str, Any]:
        """The indexed documents the text was likely spun from (as `unspin trace`)."""
        if opened is None:
            raise HTTPException(404, "no index: start the server with "
                                     "`unspin serve --index INDEX_DIR` to trace")
        return await run("trace", request.text, _trace, request.text, request.top)

    @app.post("/v2/check")
    async def languagetool_check(text: str | None = Form(None), data: str | None = Form(None),
                                 language: str = Form("auto")) -> dict[str, Any]:
        """LanguageTool's `/v2/check`: form fields `text` or `data` and `language`."""
        lang = _language(language)
        plain, original, to_original = _lt_input(text, data)
        if not plain.strip():  # LanguageTool answers empty text with no matches
            return _lt_response(lang, [])
        report = await run("v2-check", plain, _check, plain, False)
        findings = [Finding.from_dict(f) for f in report["findings"]]
        return _lt_response(lang, [_lt_match(original, plain, f, to_original)
                                   for f in findings])

    if (STATIC / "index.html").is_file():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="static")
    return app


# --- the work, done in the worker processes ------------------------------------

_WORKER: dict[str, Any] = {}
"""A worker process's configuration and open index (set by `_setup`)."""


def _setup(config: Config, index: str | None) -> None:
    """A worker's start: keep its configuration, open the index, load the models."""
    _WORKER["config"] = config
    _WORKER["index"] = Index.open(index) if index is not None else None
    check("A first sentence loads the models.", config=config)


def _check(text: str, restore: bool) -> dict[str, Any]:
    return check(text, restore=restore, config=_WORKER["config"]).to_dict()


def _restore(text: str) -> dict[str, Any]:
    return {"restored": restore(text, config=_WORKER["config"])}


def _repair(text: str) -> dict[str, Any]:
    repaired, found = repairs(text, config=_WORKER["config"])
    return {"repaired": repaired, "findings": [f.to_dict() for f in found]}


def _extract(name: str, data: bytes) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:  # removed at once: nothing kept
        path = Path(folder) / name
        path.write_bytes(data)
        return {"text": read_document(str(path))}


def _trace(text: str, top: int) -> dict[str, Any]:
    return {"matches": [m.to_dict() for m in _WORKER["index"].query(text, top=top)]}


# --- limits and storage ----------------------------------------------------------


class _BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by Content-Length or as read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(send)
                return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body over the limit of {self.max_bytes:,} bytes"}, 413)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _save(store: Path, endpoint: str, text: str, result: dict[str, Any]) -> None:
    """One request's text and result as `store/TIMESTAMP-ENDPOINT-ID.json`."""
    now = datetime.now(UTC)
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{endpoint}-{uuid.uuid4().hex[:8]}.json"
    record = {"endpoint": endpoint, "time": now.isoformat(), "text": text, "result": result}
    (store / name).write_text(json.dumps(record, ensure_ascii=False), "utf-8")


# --- LanguageTool compatibility ---------------------------------------------------

_RULES = {
    "lexical": ("UNSPIN_TORTURED_PHRASE", "Tortured phrase: a term replaced by a synonym "
                "(machine-spun wording)", "style", "UNSPIN", "Tortured phrases"),
    "mechanical": ("UNSPIN_REPAIR", "Mechanical damage: a stale paste or mojibake",
                   "typographical", "UNSPIN_REPAIR", "Mechanical damage"),
    "residue": ("UNSPIN_REPAIR", "Scraping residue: widget text or image ids",
                "typographical", "UNSPIN_REPAIR", "Mechanical damage"),
}
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)]*\s+|\n\s*\n")


def _language(code: str) -> dict[str, Any]:
    """LanguageTool's `language` object; unspin checks English only (400 otherwise)."""
    code = code.strip() or "auto"
    if code != "auto" and not code.lower().startswith("en"):
        raise HTTPException(400, f"unsupported language {code!r}: unspin checks English only")
    named = "en-US" if code in ("auto", "en") else code
    language = {"name": "English", "code": named}
    return {**language, "detectedLanguage": {**language, "confidence": 1.0}}


def _lt_input(text: str | None, data: str | None) -> tuple[str, str, Callable[[int], int]]:
    """(plain text to check, the text as the client sent it, plain -> sent offsets).

    `data` is LanguageTool's annotated text, `{"annotation": [{"text": ...},
    {"markup": ..., "interpretAs": ...}]}`: markup is read as its `interpretAs`
    (default nothing) and offsets point into the concatenation of all parts.
    """
    if text is not None:
        return text, text, lambda i: i
    if data is None:
        raise HTTPException(400, "missing 'text' or 'data' parameter")
    try:
        parts = json.loads(data)["annotation"]
        pieces = [(str(p["text"]), None) if "text" in p
                  else (str(p.get("interpretAs", "")), str(p["markup"])) for p in parts]
    except (ValueError, KeyError, TypeError) as error:
        raise HTTPException(400, f"malformed 'data' parameter: {error}") from None
    plain_starts, sent_starts, texts = [], [], []
    plain = sent = 0
    for value, markup in pieces:
        plain_starts.append(plain)
        sent_starts.append(sent)
        texts.append(markup is None)
        plain += len(value)
        sent += len(value if markup is None else markup)

    def to_sent(i: int) -> int:
        k = max(bisect.bisect_right(plain_starts, i) - 1, 0)
        return sent_starts[k] + (i - plain_starts[k] if texts[k] else 0)

    original = "".join(v if m is None else m for v, m in pieces)
    return "".join(v for v, _ in pieces), original, to_sent


def _utf16(text: str, i: int) -> int:
    """Code-point offset `i` of `text` as a UTF-16 code-unit offset."""
    return i + sum(1 for c in text[:i] if ord(c) > 0xFFFF)


def _lt_match(original: str, plain: str, f: Finding,
              to_original: Callable[[int], int]) -> dict[str, Any]:
    """One finding as a LanguageTool match (offsets in UTF-16 code units of `original`)."""
    rule_id, description, issue_type, category_id, category = _RULES[f.kind]
    start, end = to_original(f.offset), to_original(f.end)
    best = f.replacements[0].value if f.replacements else None
    if f.kind == "lexical":
        message = ("Possibly a tortured phrase (machine-spun wording)"
                   + (f"; the original was likely \u201c{best}\u201d." if best else "."))
        short = "Tortured phrase"
    else:
        short = "Mechanical damage" if f.kind == "mechanical" else "Scraping residue"
        rule = f.evidence.get("rule", f.kind)
        message = (f"{short} ({rule}); delete it." if best == ""
                   else f"{short} ({rule}); likely \u201c{best}\u201d." if best
                   else f"{short} ({rule}).")
    c_start, c_end = max(start - CONTEXT_CHARS, 0), min(end + CONTEXT_CHARS, len(original))
    context = original[c_start:c_end]
    s_start, s_end = _sentence(plain, f.offset, f.end)
    return {
        "message": message,
        "shortMessage": short,
        "offset": _utf16(original, start),
        "length": _utf16(original, end) - _utf16(original, start),
        "replacements": [{"value": r.value} for r in f.replacements],
        "context": {"text": context, "offset": _utf16(context, start - c_start),
                    "length": _utf16(context, end - c_start) - _utf16(context, start - c_start)},
        "sentence": plain[s_start:s_end].strip(),
        "type": {"typeName": "Other"},
        "rule": {"id": rule_id, "description": description, "issueType": issue_type,
                 "category": {"id": category_id, "name": category}},
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
        "confidence": f.confidence,
    }


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence(s) around `text[start:end]`."""
    begin = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        begin = m.end()
    after = _SENTENCE_END.search(text, end)
    return begin, after.start() + len(after.group().rstrip()) if after else len(text)


def _lt_response(language: dict[str, Any], matches: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "software": {"name": "unspin", "version": __version__, "buildDate": None,
                     "apiVersion": 1, "premium": False, "status": ""},
        "warnings": {"incompleteResults": False},
        "language": language,
        "matches": matches,
    }
