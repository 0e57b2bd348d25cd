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

Limits: a request body over `max_bytes` gets 413, and so does a text to check longer
than `timeout` seconds of work (`most_checked_chars`); a request that computes for over
`timeout` seconds gets 503. The computing (check, restore, repair, extract, trace)
runs in up to `workers` worker processes (`unspin.serve.workers`): one that runs over is
killed, so a slow request never keeps a worker busy after its 503.
Nothing is written to disk unless `store` is given: then every result is saved there
as one JSON file. With a `token`, every `/api/` endpoint but `/api/health` needs the
header `Authorization: Bearer TOKEN` (401 otherwise), and `/v2/check` that header or the
token as LanguageTool's `apiKey` field; the page and the API docs stay open (they hold
no data), and the page asks for the token once per browser tab. Needs
`pip install 'unspin[serve]'`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unspin import Index, InputError, __version__, check, repairs, restore
from unspin.core.config import Config
from unspin.core.records import Finding
from unspin.io.loaders import read_document
from unspin.screening import default_jobs
from unspin.serve.languagetool import (
    LANGUAGES,
    _language,
    _lt_input,
    _lt_match,
    _lt_response,
)
from unspin.serve.workers import CallTimeout, Workers

STATIC = Path(__file__).parent / "static"
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_TIMEOUT_S = 30.0
CHECK_CHARS_PER_SECOND = {"fast": 10_000, "tagger": 4_000, "neural": 400}
"""Characters a worker checks per second, with a margin (the fast path reads about
15,000 on one core of the development machine): a text longer than `timeout` seconds
of them is refused at once with 413, not computed for `timeout` seconds to end in a
503. The body limit (`max_bytes`) bounds uploads, which extraction shrinks."""
_CHECKING = frozenset({"check", "restore", "v2-check"})


def most_checked_chars(config: Config, timeout: float) -> int:
    """The longest text `/api/check`, `/api/restore` and `/v2/check` take within
    `timeout` seconds on the path `config` chooses."""
    path = "neural" if config.neural else "tagger" if config.tagger else "fast"
    return int(timeout * CHECK_CHARS_PER_SECOND[path])


class CheckRequest(BaseModel):
    text: str
    restore: bool = False


class TextRequest(BaseModel):
    text: str


class TraceRequest(BaseModel):
    text: str
    top: int = Field(5, ge=1, le=100)
    quote: bool = False
    """Also give each passage's `source_text`, the source's words it aligns with."""


def create_app(index: str | os.PathLike[str] | Index | None = None, *,
               max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = DEFAULT_TIMEOUT_S,
               store: str | os.PathLike[str] | None = None,
               config: Config | None = None, workers: int | None = None,
               token: str | None = None) -> FastAPI:
    """The web app. `index`: an index directory (or an open `Index`) for `/api/trace`;
    `max_bytes`: the largest request body; `timeout`: seconds one request may compute;
    `store`: a directory to save every result in (created if missing); `config`: the
    engine's configuration for check and restore (default `Config()`); `workers`: worker
    processes (default: one per CPU), each holding its own models; `token`: the access
    token requests must present (default: none asked for)."""
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
    if token is not None:
        app.add_middleware(_TokenCheck, token=token)  # outermost: refused before any read
    app.state.workers = pool

    most = most_checked_chars(config, timeout)
    limits = (f"this server checks at most {most:,} characters, what it reads within its "
              f"time limit of {timeout:g} s (unspin serve --timeout)")

    async def run(endpoint: str, text: str, call: Callable[..., dict[str, Any]],
                  *args: Any) -> dict[str, Any]:
        """`call(*args)` in a worker process under the time limit; InputError -> 422;
        a text to check longer than the time limit allows -> 413 at once."""
        if endpoint in _CHECKING and len(text) > most:
            raise HTTPException(413, f"text of {len(text):,} characters: {limits}")
        try:
            body: dict[str, Any] = await asyncio.to_thread(pool.call, call, args, timeout)
        except CallTimeout:
            raise HTTPException(503, f"the request took over {timeout:g} s and was "
                                     f"stopped; {limits}: try a shorter text") from None
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
        """The indexed documents the text was likely spun from (as `unspin trace`); with
        `quote`, each passage also quotes the source (`source_text`)."""
        if opened is None:
            raise HTTPException(404, "no index: start the server with "
                                     "`unspin serve --index INDEX_DIR` to trace")
        return await run("trace", request.text, _trace, request.text, request.top,
                         request.quote)

    @app.get("/v2/languages")
    async def languagetool_languages() -> list[dict[str, str]]:
        """LanguageTool's `/v2/languages`: the English variants unspin checks."""
        return LANGUAGES

    @app.post("/v2/check")
    async def languagetool_check(request: Request, text: str | None = Form(None),
                                 data: str | None = Form(None), language: str = Form("auto"),
                                 apiKey: str | None = Form(None)) -> dict[str, Any]:  # noqa: N803
        """LanguageTool's `/v2/check`: form fields `text` or `data` and `language` (and
        `apiKey`, the token, when the server asks for one)."""
        if token is not None and not (_bearer(request.headers.get("authorization"), token)
                                      or _same(apiKey, token)):
            raise HTTPException(401, "this server needs its access token (apiKey)",
                                headers={"WWW-Authenticate": "Bearer"})
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


def _trace(text: str, top: int, quote: bool) -> dict[str, Any]:
    matches = []
    for match, source in _WORKER["index"].query_sources(text, top=top):
        row = match.to_dict()
        if quote:
            for passage in row["passages"]:
                start = passage["source_offset"]
                passage["source_text"] = source[start : start + passage["source_length"]]
        matches.append(row)
    return {"matches": matches}


# --- limits, access and storage ----------------------------------------------


class _TokenCheck:
    """ASGI middleware: 401 for an `/api/` request (but `/api/health`) without the token
    as `Authorization: Bearer TOKEN`. `/v2/check` checks the token itself, since
    LanguageTool clients send it as the form field `apiKey`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/api/") and path != "/api/health":
            headers = dict(scope.get("headers", ()))
            if not _bearer(headers.get(b"authorization", b"").decode("latin-1"), self.token):
                response = JSONResponse({"detail": "this server needs its access token: "
                                                   "send Authorization: Bearer TOKEN"},
                                        status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _bearer(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries `token` (compared in constant time)."""
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and _same(value.strip(), token)


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())



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
            {"detail": f"request body over the limit of {self.max_bytes:,} bytes "
                       "(unspin serve --max-bytes)"}, 413)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _save(store: Path, endpoint: str, text: str, result: dict[str, Any]) -> None:
    """One request's text and result as `store/TIMESTAMP-ENDPOINT-ID.json`."""
    now = datetime.now(UTC)
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{endpoint}-{uuid.uuid4().hex[:8]}.json"
    record = {"endpoint": endpoint, "time": now.isoformat(), "text": text, "result": result}
    (store / name).write_text(json.dumps(record, ensure_ascii=False), "utf-8")
