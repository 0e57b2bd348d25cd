"""The commands, each a thin run over one library call: read the input, call `unspin.check`,
`restore`, `repair`, `screen_corpus` or `unspin.Index`, print the result."""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import json
import re
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from unspin import Config, InputError, Report, check, repair, repairs, restore
from unspin.cli.terminal import EXIT_OK, EXIT_SPUN, Progress, for_path, quote, report_skip
from unspin.io.inputs import read_text
from unspin.io.loaders import count_documents, holds_many, iter_documents, read_document
from unspin.pipeline.engine import neural_scorer, tagger_for
from unspin.screening import screen_corpus

if TYPE_CHECKING:
    from unspin.core.records import Match


def format_report(text: str, report: Report) -> str:
    """The human summary of `check`: a headline, then one line per finding."""
    lines = [f"verdict: {report.verdict}  score: {report.score:.2f}  "
             f"findings: {len(report.findings)}"]
    if report.verdict == "uncertain" and report.signals.get("reason"):
        lines.append(f"  why: {report.signals['reason']}")  # no accusation, but not clean
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    for finding in report.findings:
        line = bisect.bisect_right(starts, finding.offset)
        column = finding.offset - starts[line - 1] + 1
        best = (quote(finding.replacements[0].value) if finding.replacements
                else "(no replacement)")
        details = [finding.kind, f"confidence {finding.confidence:.2f}"]
        source = finding.evidence.get("source")
        if source:
            details.append(str(source))
        lines.append(f"  {line}:{column}  {quote(finding.text)} -> {best}  "
                     f"({', '.join(details)})")
        if source == "profile":  # the learned dictionary says why, in words
            lines.append(f"      {finding.evidence['profile']}: "
                         f"{finding.evidence['explanation']}")
    summary = "\n".join(lines) + "\n"
    if report.restored is not None:
        ending = "" if report.restored.endswith("\n") else "\n"
        summary += f"\nrestored:\n{report.restored}{ending}"
    return summary


def _engine_config(args: argparse.Namespace) -> Config:
    """The configuration the engine flags (`--neural`, `--tagger`, `--profile`) ask for;
    each profile is read now, so a bad one is one error before any work."""
    from unspin.discovery.profile import load_profile

    profiles = tuple(str(Path(p).resolve()) for p in args.profiles)
    for path, given in zip(profiles, args.profiles, strict=True):
        try:
            load_profile(path)
        except InputError as error:
            raise InputError(str(error).replace(path, given, 1)) from None
    return Config(neural=args.neural, tagger=args.tagger, profiles=profiles)


def _load_extras(config: Config) -> None:
    """Load the models `config` needs now: for many documents or requests, a missing
    extra is one usage error, not a skipped row per document or a failure per request."""
    if config.neural:
        neural_scorer()
    if config.tagger:
        tagger_for(config)


def run_check(args: argparse.Namespace) -> int:
    """`unspin check`: print the report; exit 1 if the text is spun."""
    text = read_document(args.path)
    config = _engine_config(args)
    with _progress_on_long(text) as progress:
        report = for_path(args.path, lambda: check(text, restore=args.restore, config=config,
                                                   progress=progress))
    if args.format == "json":
        print(report.to_json(indent=2))
    else:
        sys.stdout.write(format_report(text, report))
    return EXIT_SPUN if report.verdict == "spun" else EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    """`unspin restore`: print the restored text exactly, adding no newline."""
    text = read_document(args.path)
    config = _engine_config(args)
    with _progress_on_long(text) as progress:
        restored = for_path(args.path, lambda: restore(text, config=config, progress=progress))
    sys.stdout.write(restored)
    return EXIT_OK


LONG_TEXT = 50_000
"""Characters from which `check` and `restore` draw a progress bar on a terminal (about
3 s of work; 500 kB take about 30 s)."""


@contextmanager
def _progress_on_long(text: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on stderr for a long text read at a terminal,
    else None; the bar's line is ended when the block is."""
    if len(text) < LONG_TEXT or not sys.stderr.isatty():
        yield None
        return
    bar = Progress(len(text), unit="of the text")
    try:
        yield bar.reach
        bar.reach(len(text))
    finally:
        bar.close()


def run_repair(args: argparse.Namespace) -> int:
    """`unspin repair`: print the repaired text exactly, adding no newline; with
    `--format json`, the repaired text and the repairs behind it."""
    text = read_document(args.path)
    if args.format == "text":
        sys.stdout.write(for_path(args.path, lambda: repair(text)))
        return EXIT_OK
    repaired, found = for_path(args.path, lambda: repairs(text))
    print(json.dumps({"repaired": repaired, "findings": [f.to_dict() for f in found]},
                     ensure_ascii=False, indent=2))
    return EXIT_OK


def run_screen(args: argparse.Namespace) -> int:
    """`unspin screen`: one result row per readable document, the others skipped; with
    `--learn`, the spinner's profile learned from the inputs first and screened with."""
    config = _engine_config(args)
    if args.learn:
        if args.index is None:
            raise InputError("--learn needs --index INDEX_DIR")
        if args.resume:
            raise InputError("--learn and --resume cannot be combined")
        path = Path(f"{args.output}.profile.jsonl")
        _learn(args.inputs, args.index, path, path.name)
        config = replace(config, profiles=(*config.profiles, str(path.resolve())))
    elif args.index is not None:
        raise InputError("--index needs --learn")
    spark = args.engine == "spark"
    if spark:
        if args.jobs is not None or args.resume:
            raise InputError("--jobs and --resume apply to --engine local only")
        if importlib.util.find_spec("unspin.screening.spark_job") is None:
            raise InputError("--engine spark is not available in this installation")
    elif args.master is not None:
        raise InputError("--master needs --engine spark")
    _load_extras(config)
    total = count_documents(args.inputs) if sys.stderr.isatty() and not spark else None
    progress = Progress(total)

    try:
        if spark:
            from unspin.screening.spark_job import screen_spark

            summary = screen_spark(args.inputs, args.output, args.master, args.restore,
                                   config, skip=progress.skip)
        else:
            summary = screen_corpus(args.inputs, args.output, jobs=args.jobs,
                                    resume=args.resume, restore=args.restore, config=config,
                                    skip=progress.skip, progress=progress.advance)
    finally:
        progress.close()
    done = f", {summary.already_done} already done" if summary.already_done else ""
    print(f"screened {summary.written} documents, skipped {summary.skipped}{done}",
          file=sys.stderr)
    return EXIT_OK


def run_extract(args: argparse.Namespace) -> int:
    """`unspin extract`: the documents' text as JSON Lines, unreadable ones skipped."""
    from unspin.io.extract import extract_corpus

    progress = Progress(count_documents(args.inputs) if sys.stderr.isatty() else None)

    try:
        summary = extract_corpus(args.inputs, args.output, skip=progress.skip,
                                 progress=progress.advance)
    finally:
        progress.close()
    print(f"extracted {summary.written} documents into {args.output}, skipped "
          f"{summary.skipped}", file=sys.stderr)
    return EXIT_OK


def run_learn(args: argparse.Namespace) -> int:
    """`unspin learn`: the spinner's profile from the inputs traced against the index."""
    _learn(args.inputs, args.index, Path(args.output), args.name or Path(args.output).name)
    return EXIT_OK


def _learn(inputs: list[str], index_dir: str, output: Path, name: str) -> None:
    """Learn a profile from `inputs` (`unspin.learn`), write it to `output`, say so."""
    from unspin.io.outputs import refuse_overlap
    from unspin.pipeline.learn import learn
    from unspin.trace.index import Index

    if not output.parent.is_dir():
        raise InputError(f"{output}: directory {output.parent} does not exist")
    refuse_overlap(output, inputs)
    index = Index.open(index_dir)
    progress = Progress(count_documents(inputs) if sys.stderr.isatty() else None)
    documents = iter_documents(inputs, progress.skip)  # fails before any work
    try:
        profile = learn(documents, index, name=name, skip=progress.skip,
                        progress=lambda read, traced: progress.advance())
    finally:
        progress.close()
    profile.save(output)
    print(f"learned {profile.pairs} pairs ({len(profile.entries)} phrases) from "
          f"{profile.documents_traced} of {profile.documents_read} documents traced to a "
          f"source into {output}", file=sys.stderr)


def run_index_build(args: argparse.Namespace) -> int:
    """`unspin index build`: a new index from the corpora, or no change at all."""
    from unspin.trace.index import Index  # needs numpy, which the other commands do not

    output = Path(args.output)
    if not output.parent.is_dir():
        raise InputError(f"{output}: directory {output.parent} does not exist")
    corpora = _Corpora(args.corpora)
    with corpora.naming_errors():
        index = Index.build(output, corpora)
    print(f"indexed {len(index)} documents into {output}{corpora.skip_note()}",
          file=sys.stderr)
    return EXIT_OK


def run_index_add(args: argparse.Namespace) -> int:
    """`unspin index add`: the corpora's documents added to an index, or no change at all."""
    from unspin.trace.index import Index

    index = Index.open(args.index)
    corpora = _Corpora(args.corpora)
    with corpora.naming_errors():
        added = index.add(corpora)
    print(f"added {added} documents to {args.index} (now {len(index)}){corpora.skip_note()}",
          file=sys.stderr)
    return EXIT_OK


class _Corpora:
    """The documents of several corpora in order, for `Index.build`/`add`.

    Every corpus is opened up front, so a missing one fails before any work. Empty
    documents are reported on stderr and counted. `naming_errors` prefixes an error the
    index raises about a document (a duplicate id) with the corpus it came from.
    """

    def __init__(self, paths: list[str]) -> None:
        self.skipped = 0
        self._current: str | None = None
        self._sources = [(path, iter_documents([path], self._skip, strict=True))
                         for path in paths]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for path, documents in self._sources:
            for document in documents:
                self._current = path  # set only while the index looks at this document
                yield document
                self._current = None

    @contextmanager
    def naming_errors(self) -> Iterator[None]:
        """Name the corpus in an `InputError` the index raised about one of its documents."""
        try:
            yield
        except InputError as error:
            if self._current is None:  # a reading error: it names its file already
                raise
            raise InputError(f"{self._current}: {error}") from None

    def skip_note(self) -> str:
        """", skipped N" for the summary line, or nothing if none was skipped."""
        return f", skipped {self.skipped}" if self.skipped else ""

    def _skip(self, message: str) -> None:
        report_skip(message)
        self.skipped += 1


def run_trace(args: argparse.Namespace) -> int:
    """`unspin trace`: the matches of one text, or of every document of a collection."""
    from unspin.trace.index import Index

    index = Index.open(args.index)
    config = Config()
    if not holds_many(args.path):
        text = read_document(args.path)
        matches = for_path(args.path, lambda: index.query(text, top=args.top, config=config))
        print(json.dumps(_traced(args.path, matches), ensure_ascii=False,
                         indent=2 if args.format == "json" else None))
        return EXIT_OK
    results: list[dict[str, object]] = []
    traced = matched = skipped = 0

    def skip(message: str) -> None:
        nonlocal skipped
        progress.skip(message)
        skipped += 1
        progress.advance()

    documents = iter_documents([args.path], skip)  # fails before any output
    progress = Progress(count_documents([args.path]) if sys.stderr.isatty() else None)
    try:
        for doc_id, matches in index.query_many(  # a query too long is skipped
                documents, top=args.top, config=config,
                skip=lambda message: skip(f"{args.path}: {message}")):
            result = _traced(doc_id, matches)
            traced += 1
            matched += bool(matches)
            if args.format == "jsonl":
                print(json.dumps(result, ensure_ascii=False))
            else:
                results.append(result)
            progress.advance()
    finally:
        progress.close()
    if args.format == "json":
        print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"traced {traced} queries, {matched} with a match, skipped {skipped}",
          file=sys.stderr)
    return EXIT_OK


def _traced(query_id: str, matches: list[Match]) -> dict[str, object]:
    """The `{"id", "matches"}` object of one query."""
    return {"id": query_id, "matches": [match.to_dict() for match in matches]}


def run_serve(args: argparse.Namespace) -> int:
    """`unspin serve`: run the web app with uvicorn until interrupted."""
    if any(importlib.util.find_spec(name) is None
           for name in ("fastapi", "uvicorn", "multipart")):
        raise InputError("unspin serve needs pip install 'unspin[serve]'")
    import uvicorn

    from unspin.serve import create_app

    token = _token(args.token_file) if args.token_file is not None else None
    config = _engine_config(args)
    _load_extras(config)
    listener = _listen(args.host, args.port)  # before the workers start: fail fast
    app = create_app(args.index, max_bytes=args.max_bytes, timeout=args.timeout,
                     store=args.store, config=config, workers=args.workers, token=token)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port))
    print(f"unspin serve: the review page is at http://{_address(args.host, args.port)}/ "
          "(Ctrl-C stops)", file=sys.stderr, flush=True)
    with listener:
        server.run(sockets=[listener])
    return EXIT_OK


def _address(host: str, port: int) -> str:
    """`host:port`, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port`, or an InputError in one line: a name that does not
    resolve, an address this machine does not have, a port in use or reserved."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise InputError(f"--host {host}: not an address to listen on "
                         f"({getattr(error, 'strerror', None) or error})") from None
    family, kind, proto, _, address = found[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise InputError(f"cannot listen on {_address(host, port)}: "
                         f"{error.strerror or error}") from None
    return listener


def _token(path: str) -> str:
    """The access token in the first line of `path` (a file, so that it stays out of
    the process list and the shell history)."""
    lines = read_text(path).splitlines()
    token = lines[0].strip() if lines else ""
    if not token:
        raise InputError(f"{path}: no token on its first line")
    return token
