"""The `unspin` command: check, restore, repair, screen, index and trace, 1:1 over
the library, and serve (the web service of `unspin.serve`).

Thin by design: it reads input, calls `unspin.check`/`restore`/`repair` or
`unspin.Index` and prints the result, so the CLI and the library can never disagree.
Every error a user can cause is one `unspin: error: ...` line on stderr and exit
status 2.
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import io
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from unspin import Config, InputError, Report, check, repair, restore
from unspin.engine import neural_scorer, tagger_for
from unspin.inputs import name_of
from unspin.loaders import count_documents, holds_many, iter_documents, read_document
from unspin.screening import default_jobs, screen_corpus

if TYPE_CHECKING:
    from unspin.index import Index

PROG = "unspin"
EXIT_OK = 0
EXIT_SPUN = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a command killed by SIGPIPE

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv` (default: `sys.argv[1:]`) and return the exit status.

    0: done (for `check`: clean or uncertain), 1: `check` found the text spun,
    2: usage or input error, 130: interrupted.
    """
    _use_utf8()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        status: int = args.run(args)
        sys.stdout.flush()  # surface a broken pipe here, not at interpreter exit
        return status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except InputError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"{error.filename}: {error.strerror}" if error.filename else str(error))
    except Exception as error:  # a bug: still one line, never a traceback
        return _fail(f"internal error: {type(error).__name__}: {error}")


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        import unspin

        print(f"{PROG} {unspin.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per library function, plus `screen`, `index`
    (build, add) and `trace` over `unspin.Index`."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Detect, explain and reverse machine-spun text.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    path_help = ("one document: a UTF-8 text file, .pdf, .html, .docx or JATS .xml, "
                 "or - for text on standard input")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--neural", action="store_true",
                        help="rescore candidates with the neural LM (slower, more precise; "
                             "needs pip install 'unspin[neural]')")
    engine.add_argument("--tagger", action="store_true",
                        help="also read every word with the learned replaced-word tagger "
                             "(about 0.75 s per 1,000 words; needs pip install 'unspin[tagger]')")

    check_cmd = commands.add_parser(
        "check", parents=[engine], help="score a text and list suspicious spans",
        description="Score a text for spinning and list every suspicious span.",
        epilog="exit status: 0 clean or uncertain, 1 spun, 2 usage or input error")
    check_cmd.add_argument("path", metavar="PATH", help=path_help)
    check_cmd.add_argument("--format", choices=("text", "json"), default="text",
                           help="human summary (default) or the JSON report")
    check_cmd.add_argument("--restore", action="store_true",
                           help="also give the text with every best replacement applied")
    check_cmd.set_defaults(run=_check)

    restore_cmd = commands.add_parser(
        "restore", parents=[engine], help="print the most likely original wording",
        description="Print the text with every finding's best replacement applied.")
    restore_cmd.add_argument("path", metavar="PATH", help=path_help)
    restore_cmd.set_defaults(run=_restore)

    repair_cmd = commands.add_parser(
        "repair", help="print the text with mechanical damage undone",
        description="Print the text with mechanical damage and scraping residue undone.")
    repair_cmd.add_argument("path", metavar="PATH", help=path_help)
    repair_cmd.set_defaults(run=_repair)

    screen_cmd = commands.add_parser(
        "screen", parents=[engine], help="screen a corpus: one result row per document",
        description='Check every document of the inputs and write one {"id", "score", '
                    '"verdict", "findings"} result per document, in input order whatever '
                    "--jobs is. The output format follows OUT's extension: .jsonl (the "
                    "rows), .parquet (flat columns; needs pip install 'unspin[formats]'), "
                    ".csv (id, score, verdict, n_findings, top_phrases) or .html (a "
                    "report of the flagged documents). Documents that cannot be read or "
                    "checked are reported on stderr and skipped.",
        epilog="exit status: 0 done (even with skipped documents), 2 usage error or an "
               "unreadable input (then nothing is written)")
    screen_cmd.add_argument("inputs", nargs="+", metavar="INPUT",
                            help="a JSON Lines file of {\"id\", \"text\"} rows, a document "
                                 "file or a directory of documents")
    screen_cmd.add_argument("-o", "--output", required=True, metavar="OUT",
                            help="where to write the results: a .jsonl, .parquet, .csv or "
                                 ".html file (replaced only on success, unless --resume)")
    screen_cmd.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                            help=f"worker processes (default: one per CPU, here "
                                 f"{default_jobs()})")
    screen_cmd.add_argument("--resume", action="store_true",
                            help="append to OUT.jsonl in place, skipping ids already in it: "
                                 "an interrupted run keeps its rows and the same command "
                                 "finishes it")
    screen_cmd.add_argument("--restore", action="store_true",
                            help='add each document\'s restored text as "restored"')
    screen_cmd.add_argument("--engine", choices=("local", "spark"), default="local",
                            help="local processes (default) or a Spark cluster")
    screen_cmd.add_argument("--master", metavar="URL",
                            help="the Spark master, with --engine spark")
    screen_cmd.set_defaults(run=_screen)

    corpus_help = ("a file of {\"id\", \"text\"} rows (.jsonl, .parquet), a WARC file, one "
                   "document (.txt, .pdf, .html, .docx, JATS .xml; id = file name), or a "
                   "directory of them (searched recursively; id = path inside it)")
    index_cmd = commands.add_parser(
        "index", help="build or extend an index of reference documents for trace",
        description="Build or extend an on-disk index of reference documents for `trace`.")
    actions = index_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    index_epilog = ("Documents with nothing to read (empty text, a scanned PDF) are reported "
                    "on stderr and skipped; any other "
                    "bad input (a malformed row, an unreadable file, a duplicate id) is an "
                    "error, and then the index is left as it was. exit status: 0 done, "
                    "2 usage or input error")
    build_cmd = actions.add_parser(
        "build", help="index corpora into a new directory",
        description="Index the documents of every CORPUS into a new index directory, "
                    "replacing an index already there.", epilog=index_epilog)
    build_cmd.add_argument("corpora", nargs="+", metavar="CORPUS", help=corpus_help)
    build_cmd.add_argument("-o", "--output", required=True, metavar="INDEX_DIR",
                           help="the index directory to create (an existing index there is "
                                "replaced; any other file or non-empty directory is refused)")
    build_cmd.set_defaults(run=_index_build)
    add_cmd = actions.add_parser(
        "add", help="add corpora to an existing index",
        description="Add the documents of every CORPUS to an existing index.",
        epilog=index_epilog)
    add_cmd.add_argument("index", metavar="INDEX_DIR", help="index made by `unspin index build`")
    add_cmd.add_argument("corpora", nargs="+", metavar="CORPUS", help=corpus_help)
    add_cmd.set_defaults(run=_index_add)

    trace_cmd = commands.add_parser(
        "trace", help="find the reference documents a text was spun from",
        description='Find the indexed documents a text was spun from: one {"id", '
                    '"matches"} object per query, each match with its score and the '
                    "aligned passages. A PATH that holds many documents (a .jsonl, "
                    ".parquet or .warc file, or a directory) gives one query each; bad "
                    "ones are reported on stderr and skipped.",
        epilog="exit status: 0 done (with or without matches), 2 usage or input error")
    trace_cmd.add_argument("path", metavar="PATH",
                           help="one document (as for check), - for standard input, or "
                                "many (QUERIES.jsonl, .parquet, .warc, a directory)")
    trace_cmd.add_argument("--index", required=True, metavar="INDEX_DIR",
                           help="index made by `unspin index build`")
    trace_cmd.add_argument("--format", choices=("json", "jsonl"), default="json",
                           help="one JSON object (an array for many queries; default), "
                                "or one object a line")
    trace_cmd.add_argument("--top", type=_positive_int, default=5, metavar="K",
                           help="at most K matches per query (default 5)")
    trace_cmd.set_defaults(run=_trace)

    serve_cmd = commands.add_parser(
        "serve", parents=[engine],
        help="run the web service (JSON API and LanguageTool-compatible /v2/check)",
        description="Serve the library over HTTP: /api/check, /api/restore, /api/repair, "
                    "/api/trace (with --index), /api/health, the LanguageTool-compatible "
                    "/v2/check and the API docs at /docs. Needs pip install "
                    "'unspin[serve]'.")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=_positive_int, default=8765,
                           help="port to listen on (default 8765)")
    serve_cmd.add_argument("--index", metavar="INDEX_DIR",
                           help="index made by `unspin index build`, for /api/trace")
    serve_cmd.add_argument("--max-bytes", type=_positive_int, default=5_000_000, metavar="N",
                           help="largest request body in bytes (default 5000000); larger: 413")
    serve_cmd.add_argument("--timeout", type=_positive_float, default=30.0, metavar="S",
                           help="seconds one request may compute (default 30); longer: 503, "
                                "and its worker process is killed")
    serve_cmd.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                           help="worker processes, each with its own models (default: one "
                                "per CPU)")
    serve_cmd.add_argument("--store", metavar="DIR",
                           help="save every request's text and result in DIR as JSON "
                                "(default: nothing is stored)")
    serve_cmd.set_defaults(run=_serve)
    return parser


def format_report(text: str, report: Report) -> str:
    """The human summary of `check`: a headline, then one line per finding."""
    lines = [f"verdict: {report.verdict}  score: {report.score:.2f}  "
             f"findings: {len(report.findings)}"]
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    for finding in report.findings:
        line = bisect.bisect_right(starts, finding.offset)
        column = finding.offset - starts[line - 1] + 1
        best = (_quote(finding.replacements[0].value) if finding.replacements
                else "(no replacement)")
        details = [finding.kind, f"confidence {finding.confidence:.2f}"]
        source = finding.evidence.get("source")
        if source:
            details.append(str(source))
        lines.append(f"  {line}:{column}  {_quote(finding.text)} -> {best}  "
                     f"({', '.join(details)})")
    summary = "\n".join(lines) + "\n"
    if report.restored is not None:
        ending = "" if report.restored.endswith("\n") else "\n"
        summary += f"\nrestored:\n{report.restored}{ending}"
    return summary


def _engine_config(args: argparse.Namespace) -> Config:
    """The configuration the engine flags (`--neural`, `--tagger`) ask for."""
    return Config(neural=args.neural, tagger=args.tagger)


def _load_extras(config: Config) -> None:
    """Load the models `config` needs now: for many documents or requests, a missing
    extra is one usage error, not a skipped row per document or a failure per request."""
    if config.neural:
        neural_scorer()
    if config.tagger:
        tagger_for(config)


def _check(args: argparse.Namespace) -> int:
    """`unspin check`: print the report; exit 1 if the text is spun."""
    text = read_document(args.path)
    config = _engine_config(args)
    report = _for_path(args.path, lambda: check(text, restore=args.restore, config=config))
    if args.format == "json":
        print(report.to_json(indent=2))
    else:
        sys.stdout.write(format_report(text, report))
    return EXIT_SPUN if report.verdict == "spun" else EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    """`unspin restore`: print the restored text exactly, adding no newline."""
    text = read_document(args.path)
    config = _engine_config(args)
    sys.stdout.write(_for_path(args.path, lambda: restore(text, config=config)))
    return EXIT_OK


def _repair(args: argparse.Namespace) -> int:
    """`unspin repair`: print the repaired text exactly, adding no newline."""
    text = read_document(args.path)
    sys.stdout.write(_for_path(args.path, lambda: repair(text)))
    return EXIT_OK


def _screen(args: argparse.Namespace) -> int:
    """`unspin screen`: one result row per readable document, the others skipped."""
    config = _engine_config(args)
    spark = args.engine == "spark"
    if spark:
        if args.jobs is not None or args.resume:
            raise InputError("--jobs and --resume apply to --engine local only")
        if importlib.util.find_spec("unspin.spark") is None:
            raise InputError("--engine spark is not available in this installation")
    elif args.master is not None:
        raise InputError("--master needs --engine spark")
    _load_extras(config)
    total = count_documents(args.inputs) if sys.stderr.isatty() and not spark else None
    progress = _Progress(total)

    def skip(message: str) -> None:
        progress.clear()
        print(f"{PROG}: {message}, skipped", file=sys.stderr)

    try:
        if spark:
            from unspin.spark import screen_spark

            summary = screen_spark(args.inputs, args.output, args.master, args.restore,
                                   config, skip=skip)
        else:
            summary = screen_corpus(args.inputs, args.output, jobs=args.jobs,
                                    resume=args.resume, restore=args.restore, config=config,
                                    skip=skip, progress=progress.advance)
    finally:
        progress.close()
    done = f", {summary.already_done} already done" if summary.already_done else ""
    print(f"screened {summary.written} documents, skipped {summary.skipped}{done}",
          file=sys.stderr)
    return EXIT_OK


def _index_build(args: argparse.Namespace) -> int:
    """`unspin index build`: a new index from the corpora, or no change at all."""
    from unspin.index import Index  # needs numpy, which the other commands do not

    output = Path(args.output)
    if not output.parent.is_dir():
        raise InputError(f"{output}: directory {output.parent} does not exist")
    corpora = _Corpora(args.corpora)
    with corpora.naming_errors():
        index = Index.build(output, corpora)
    print(f"indexed {len(index)} documents into {output}{corpora.skip_note()}",
          file=sys.stderr)
    return EXIT_OK


def _index_add(args: argparse.Namespace) -> int:
    """`unspin index add`: the corpora's documents added to an index, or no change at all."""
    from unspin.index import Index

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
        print(f"{PROG}: {message}, skipped", file=sys.stderr)
        self.skipped += 1


def _trace(args: argparse.Namespace) -> int:
    """`unspin trace`: the matches of one text, or of every document of a collection."""
    from unspin.index import Index

    index = Index.open(args.index)
    config = Config()
    if not holds_many(args.path):
        text = read_document(args.path)
        result = _for_path(args.path, lambda: _trace_one(index, args.path, text, args, config))
        print(json.dumps(result, ensure_ascii=False,
                         indent=2 if args.format == "json" else None))
        return EXIT_OK
    results: list[dict[str, object]] = []
    traced = matched = skipped = 0

    def skip(message: str) -> None:
        nonlocal skipped
        progress.clear()
        print(f"{PROG}: {message}, skipped", file=sys.stderr)
        skipped += 1
        progress.advance()

    documents = iter_documents([args.path], skip)  # fails before any output
    progress = _Progress(count_documents([args.path]) if sys.stderr.isatty() else None)
    try:
        for doc_id, text in documents:
            try:
                result = _trace_one(index, doc_id, text, args, config)
            except InputError as error:  # too long to query
                skip(f"{args.path}: {doc_id}: {error}")
                continue
            traced += 1
            matched += bool(result["matches"])
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


def _trace_one(index: Index, query_id: str, text: str, args: argparse.Namespace,
               config: Config) -> dict[str, object]:
    """The `{"id", "matches"}` object of one query; `InputError` for empty or huge text."""
    matches = index.query(text, top=args.top, config=config)
    return {"id": query_id, "matches": [match.to_dict() for match in matches]}


def _serve(args: argparse.Namespace) -> int:
    """`unspin serve`: run the web app with uvicorn until interrupted."""
    if any(importlib.util.find_spec(name) is None
           for name in ("fastapi", "uvicorn", "multipart")):
        raise InputError("unspin serve needs pip install 'unspin[serve]'")
    import uvicorn

    from unspin.serve import create_app

    config = _engine_config(args)
    _load_extras(config)
    app = create_app(args.index, max_bytes=args.max_bytes, timeout=args.timeout,
                     store=args.store, config=config, workers=args.workers)
    uvicorn.run(app, host=args.host, port=args.port)
    return EXIT_OK


def _positive_float(value: str) -> float:
    """An argparse type: a number above 0."""
    return _positive(value, float, "a number")


def _positive_int(value: str) -> int:
    """An argparse type: an integer of at least 1."""
    return int(_positive(value, int, "an integer"))


def _positive(value: str, cast: Callable[[str], float], kind: str) -> float:
    """`value` read by `cast`, refused (as a usage error) unless it is above 0."""
    try:
        number = cast(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {kind}: {value!r}") from None
    if not number > 0:
        least = "at least 1" if cast is int else "above 0"
        raise argparse.ArgumentTypeError(f"must be {least}, not {value}")
    return number


class _Progress:
    """A `[#####.....] 512/1000 docs` bar on stderr, redrawn at most 10 times a second.

    Inert when `total` is None (stderr is not a terminal), so logs stay clean.
    """

    WIDTH = 30
    INTERVAL_S = 0.1

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0
        self._drawn_at = -self.INTERVAL_S
        self._dirty = False

    def advance(self) -> None:
        """Count one document; redraw if the last redraw is old enough."""
        self.done += 1
        if self.total is not None and time.monotonic() - self._drawn_at >= self.INTERVAL_S:
            self._draw()

    def clear(self) -> None:
        """Erase the bar so a warning can take its line; it comes back on `advance`."""
        if self._dirty:
            sys.stderr.write("\r" + " " * (self.WIDTH + 40) + "\r")
            self._dirty = False
            self._drawn_at = -self.INTERVAL_S

    def close(self) -> None:
        """Draw the final state and end the bar's line."""
        if self.total is not None and self.done:
            self._draw()
            sys.stderr.write("\n")

    def _draw(self) -> None:
        total = max(self.total or 0, self.done)
        filled = self.WIDTH * self.done // total if total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{total} docs")
        sys.stderr.flush()
        self._drawn_at = time.monotonic()
        self._dirty = True


def _for_path(path: str, call: Callable[[], T]) -> T:
    """Run a library call, naming `path` in any `InputError` it raises."""
    try:
        return call()
    except InputError as error:
        raise InputError(f"{name_of(path)}: {error}") from None


def _fail(message: str) -> int:
    """Print the one-line error and return the error exit status."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _quote(value: str) -> str:
    """`value` in double quotes, with newlines and quotes escaped, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the flush at exit cannot raise again."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _use_utf8() -> None:
    """Write UTF-8 whatever the locale says, so output is the same everywhere."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")
