"""The `unspin` argument parser: one subcommand per library function, with shared option
groups (the engine flags) and argparse types that refuse bad numbers as usage errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from unspin.cli.commands import (
    run_check,
    run_extract,
    run_index_add,
    run_index_build,
    run_learn,
    run_repair,
    run_restore,
    run_screen,
    run_serve,
    run_trace,
)
from unspin.cli.terminal import PROG
from unspin.screening import default_jobs


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line naming the command
    (`unspin check: error: ...`) and one pointing at its help, not the whole usage."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\ntry '{self.prog} --help'\n")
        raise SystemExit(2)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse's, but a command's own parser refuses what it does not know,
        so the error names the command and not the top level."""
        parsed, extra = super().parse_known_args(args, namespace)
        if extra and self.get_default("run") is not None:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


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
    parser = _Parser(prog=PROG, description="Detect, explain and reverse machine-spun text.")
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
    engine.add_argument("--profile", action="append", default=[], metavar="FILE",
                        dest="profiles",
                        help="a spinner profile made by `unspin learn`: find and restore "
                             "that spinner's work (repeatable)")

    check_cmd = commands.add_parser(
        "check", parents=[engine], help="score a text and list suspicious spans",
        description="Score a text for spinning and list every suspicious span.",
        epilog="exit status: 0 clean or uncertain, 1 spun, 2 usage or input error")
    check_cmd.add_argument("path", metavar="PATH", help=path_help)
    check_cmd.add_argument("--format", choices=("text", "json"), default="text",
                           help="human summary (default) or the JSON report")
    check_cmd.add_argument("--restore", action="store_true",
                           help="also give the text with every best replacement applied")
    check_cmd.set_defaults(run=run_check)

    restore_cmd = commands.add_parser(
        "restore", parents=[engine], help="print the most likely original wording",
        description="Print the text with every finding's best replacement applied.")
    restore_cmd.add_argument("path", metavar="PATH", help=path_help)
    restore_cmd.set_defaults(run=run_restore)

    repair_cmd = commands.add_parser(
        "repair", help="print the text with mechanical damage undone",
        description="Print the text with mechanical damage and scraping residue undone.")
    repair_cmd.add_argument("path", metavar="PATH", help=path_help)
    repair_cmd.add_argument("--format", choices=("text", "json"), default="text",
                            help='the repaired text (default), or {"repaired", "findings"} '
                                 "with each repair as a report finding (as /api/repair)")
    repair_cmd.set_defaults(run=run_repair)

    screen_cmd = commands.add_parser(
        "screen", parents=[engine], help="screen a corpus: one result row per document",
        description='Check every document of the inputs and write one {"id", "score", '
                    '"verdict", "findings"} result per document, in input order whatever '
                    "--jobs is. The output format follows OUT's extension: .jsonl (the "
                    "rows), .parquet (flat columns; needs pip install 'unspin[formats]'), "
                    ".csv (id, score, verdict, n_findings, top_phrases) or .html (a "
                    "report of the flagged documents). Documents that cannot be read or "
                    "checked are reported on stderr and skipped.",
        epilog="exit status: 0 done (even with skipped documents), 1 the Spark job "
               "failed (--engine spark), 2 usage error or an unreadable input (then nothing "
               "is written)")
    screen_cmd.add_argument("inputs", nargs="+", metavar="INPUT",
                            help="a JSON Lines file of {\"id\", \"text\"} rows, a document "
                                 "file or a directory of documents")
    screen_cmd.add_argument("-o", "--output", required=True, metavar="OUT",
                            help="where to write the results: a .jsonl, .parquet, .csv or "
                                 ".html file (replaced only on success, unless --resume)")
    screen_cmd.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                            help=f"worker processes (default: one per CPU, here "
                                 f"{default_jobs()})")
    screen_cmd.add_argument("--resume", action="store_true",
                            help="append to OUT.jsonl in place, skipping ids already in it: "
                                 "an interrupted run keeps its rows and the same command "
                                 "finishes it")
    screen_cmd.add_argument("--restore", action="store_true",
                            help='add each document\'s restored text as "restored"')
    screen_cmd.add_argument("--learn", action="store_true",
                            help="first learn the spinner's profile from the inputs that "
                                 "--index traces to a source (as `unspin learn`), write it "
                                 "beside OUT as OUT's name + .profile.jsonl, then screen "
                                 "with it")
    screen_cmd.add_argument("--index", metavar="INDEX_DIR",
                            help="the reference index, with --learn")
    screen_cmd.add_argument("--engine", choices=("local", "spark"), default="local",
                            help="local processes (default) or a Spark cluster")
    screen_cmd.add_argument("--master", metavar="URL",
                            help="the Spark master, with --engine spark")
    screen_cmd.set_defaults(run=run_screen)

    extract_cmd = commands.add_parser(
        "extract", help="write the text of every document as JSON Lines",
        description='Write the text of every document of the inputs as one {"id", "text"} '
                    "row a line, with the ids screen and index give them: a corpus of "
                    "PDF, HTML, DOCX or JATS files becomes one file that --engine spark "
                    "(and anything else that reads JSON Lines) can take. Documents that "
                    "cannot be read are reported on stderr and skipped.",
        epilog="exit status: 0 done (even with skipped documents), 2 usage error or an "
               "unreadable input (then nothing is written)")
    extract_cmd.add_argument("inputs", nargs="+", metavar="INPUT",
                             help="document files, JSON Lines, Parquet or WARC files, or "
                                  "directories of them")
    extract_cmd.add_argument("-o", "--output", required=True, metavar="OUT.jsonl",
                             help="the JSON Lines file to write (replaced only on success)")
    extract_cmd.set_defaults(run=run_extract)

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
    build_cmd.set_defaults(run=run_index_build)
    add_cmd = actions.add_parser(
        "add", help="add corpora to an existing index",
        description="Add the documents of every CORPUS to an existing index.",
        epilog=index_epilog)
    add_cmd.add_argument("index", metavar="INDEX_DIR", help="index made by `unspin index build`")
    add_cmd.add_argument("corpora", nargs="+", metavar="CORPUS", help=corpus_help)
    add_cmd.set_defaults(run=run_index_add)

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
    trace_cmd.add_argument("--top", type=positive_int, default=5, metavar="K",
                           help="at most K matches per query (default 5)")
    trace_cmd.set_defaults(run=run_trace)

    learn_cmd = commands.add_parser(
        "learn", help="learn a spinner's profile from copies trace matches with sources",
        description="Trace every document of the inputs against the index, align each "
                    "traced copy word by word with its source, and write the swaps the "
                    "spinner made as a profile (JSON Lines: a header, then one observed "
                    "phrase a line with its originals and counts) that --profile loads. "
                    "Documents with no source teach nothing; unreadable ones are reported "
                    "on stderr and skipped.",
        epilog="exit status: 0 done (even if nothing was traced), 2 usage or input error")
    learn_cmd.add_argument("inputs", nargs="+", metavar="INPUT", help=corpus_help)
    learn_cmd.add_argument("--index", required=True, metavar="INDEX_DIR",
                           help="index of the reference documents (`unspin index build`)")
    learn_cmd.add_argument("-o", "--output", required=True, metavar="PROFILE",
                           help="the profile file to write (replaced only on success)")
    learn_cmd.add_argument("--name", default="",
                           help="the spinner's name in the profile and in the evidence "
                                "(default: the output's file name)")
    learn_cmd.set_defaults(run=run_learn)

    serve_cmd = commands.add_parser(
        "serve", parents=[engine],
        help="run the web service (JSON API and LanguageTool-compatible /v2/check)",
        description="Serve the library over HTTP: /api/check, /api/restore, /api/repair, "
                    "/api/trace (with --index), /api/health, the LanguageTool-compatible "
                    "/v2/check and the API docs at /docs. Needs pip install "
                    "'unspin[serve]'.")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=port_number, default=8765,
                           help="port to listen on (default 8765)")
    serve_cmd.add_argument("--index", metavar="INDEX_DIR",
                           help="index made by `unspin index build`, for /api/trace")
    serve_cmd.add_argument("--max-bytes", type=positive_int, default=5_000_000, metavar="N",
                           help="largest request body in bytes (default 5000000); larger: 413. "
                                "A text to check is also refused (413) when longer than "
                                "--timeout allows: 10,000 characters a second")
    serve_cmd.add_argument("--timeout", type=positive_float, default=30.0, metavar="S",
                           help="seconds one request may compute (default 30); longer: 503, "
                                "and its worker process is killed")
    serve_cmd.add_argument("--workers", type=positive_int, default=None, metavar="N",
                           help="worker processes, each with its own models (default: one "
                                "per CPU)")
    serve_cmd.add_argument("--store", metavar="DIR",
                           help="save every request's text and result in DIR as JSON "
                                "(default: nothing is stored)")
    serve_cmd.add_argument("--token-file", metavar="FILE",
                           help="require the access token in FILE's first line on /api/ and "
                                "/v2/check (Authorization: Bearer TOKEN; default: none)")
    serve_cmd.set_defaults(run=run_serve)
    return parser


def positive_float(value: str) -> float:
    """An argparse type: a number above 0."""
    return _positive(value, float, "a number")


def positive_int(value: str) -> int:
    """An argparse type: an integer of at least 1."""
    return int(_positive(value, int, "an integer"))


def port_number(value: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    port = positive_int(value)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"must be 1 to 65535, not {value}")
    return port


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
