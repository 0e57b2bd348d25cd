"""Corpus screening on one machine: `screen_corpus`, a process pool over
`unspin.screening.document.screen_one`.

The local engine and the Spark job only move documents to `screen_document` and rows
away from it, so both give identical rows for the same input. Files of one document
(text, PDF, HTML, DOCX, JATS) travel to the workers unread and are extracted there, so
extraction runs in parallel with `--jobs` too; the rows of JSON Lines, Parquet and WARC
files are read here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unspin.core.config import Config
from unspin.core.errors import InputError
from unspin.io.loaders import Unread, iter_sources
from unspin.screening.document import screen_document, screen_one

# --- the local engine -----------------------------------------------------------

CHUNK_DOCS = 8
CHUNK_CHARS = 1_000_000
CHUNK_ENTRIES = 1024
"""A chunk (the unit sent to a worker) closes at this many documents or characters, or
this many entries (documents, skipped ones and, on resume, ones already done)."""

CHUNKS_IN_FLIGHT_PER_JOB = 4
"""Chunks submitted ahead of the one being written, per worker: enough to keep every
worker busy, few enough that memory stays flat whatever the corpus size."""

IN_FLIGHT_CHARS = 64_000_000
"""Characters of text in flight above which no more chunks are submitted than there are
workers (long documents)."""

_WARM_UP_TEXT = "The results were published on Monday after a long review."


@dataclass
class ScreenSummary:
    """What a `screen_corpus` run did."""

    written: int = 0
    """Result rows written."""
    skipped: int = 0
    """Documents reported through `skip` (unreadable, malformed, empty, oversized)."""
    already_done: int = 0
    """Documents left out because `resume` found their id in the output."""


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def screen_corpus(inputs: Sequence[str], output: str | os.PathLike[str], *,
                  jobs: int | None = None, resume: bool = False, restore: bool = False,
                  config: Config | None = None,
                  skip: Callable[[str], None] | None = None,
                  progress: Callable[[], None] | None = None) -> ScreenSummary:
    """Screen every document of `inputs` into `output`, one result row per document.

    `inputs` are anything `unspin.io.loaders.iter_documents` reads (files or directories);
    the output format follows `output`'s extension (`unspin.io.outputs.FORMATS`). `jobs`
    worker processes (default: `default_jobs()`; 1 runs in this process) screen chunks
    of documents while this process reads the next ones and writes the finished ones,
    always in input order, so the output is the same whatever `jobs` is. A bounded
    number of chunks is in flight, so memory does not grow with the corpus.

    A document that cannot be screened is left out and `skip` gets one message naming
    it ("FILE:LINE: why" from the reader, "ID: why" from the check), in input order.
    `progress` is called once per input document (written, skipped or already done).

    Without `resume` the output is written to a temporary file and renamed at the end,
    so an interrupted run leaves an existing output untouched. With `resume` (JSON Lines
    only) rows are appended to `output` in place, flushed one by one, and documents
    whose id is already in it are left out: rerunning an interrupted command completes
    its output. Raises `InputError` for a missing input, an output that is one of the
    inputs (or inside an input directory) and an unsupported output format, before
    anything is written.
    """
    from unspin.io.outputs import (  # the writers cost every CLI start-up 6 ms otherwise
        check_output_path,
        open_output,
        refuse_overlap,
        resume_ids,
    )

    output = Path(output)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, not {jobs}")
    config = config or Config()
    check_output_path(output, append=resume)
    refuse_overlap(output, inputs)
    reader = _Reader(inputs)  # checks every input
    reader.done = resume_ids(output) if resume else set()
    skip = skip or (lambda message: None)
    progress = progress or (lambda: None)
    summary = ScreenSummary()
    chunks = reader.chunks()
    first = next(chunks, None)  # a missing or unreadable input fails before any writing
    chunks = _prepend(first, chunks)
    # workers start before the output is opened: they fork from a process with no
    # writer (and no thread of one) yet
    executor = _executor(jobs, restore, config) if jobs > 1 else None
    try:
        with open_output(output, append=resume) as writer:
            for chunk, results in _screened(chunks, executor, jobs, restore, config):
                pending = iter(results)
                for entry in chunk:
                    if entry[0] == "skip":
                        skip(entry[1])
                        summary.skipped += 1
                    elif entry[0] == "done":
                        summary.already_done += 1
                    else:
                        row, text = next(pending)
                        if row is None:
                            skip(text)
                            summary.skipped += 1
                        else:
                            writer.write(row, entry[2] if isinstance(entry[2], str) else text)
                            summary.written += 1
                    progress()
            writer.skipped = summary.skipped
    except BaseException:  # interrupted or failed: stop the workers now
        if executor is not None:
            _stop(executor)
        raise
    if executor is not None:
        executor.shutdown()
    return summary


# entries of a chunk, in input order: ("doc", id, text or Unread), ("skip", message),
# ("done", id)
_Entry = tuple[Any, ...]
# what a worker gives back per document: (row, the text if it read it from a file, else
# ""), or (None, the skip message)
_Result = tuple[dict[str, Any] | None, str]


class _Reader:
    """The documents of `inputs` cut into chunks, with the loader's skip messages and
    the already-done documents in their places."""

    def __init__(self, inputs: Sequence[str]) -> None:
        self.messages: list[str] = []
        self.documents = iter_sources(inputs, self.messages.append)  # checks every path
        self.done: set[str] = set()

    def chunks(self) -> Iterator[list[_Entry]]:
        chunk: list[_Entry] = []
        docs = chars = 0
        for doc_id, text in self.documents:
            chunk.extend(("skip", message) for message in self.messages)
            self.messages.clear()
            if doc_id in self.done:
                chunk.append(("done", doc_id))
            else:
                chunk.append(("doc", doc_id, text))
                docs += 1
                chars += _length(text)
            if docs >= CHUNK_DOCS or chars >= CHUNK_CHARS or len(chunk) >= CHUNK_ENTRIES:
                yield chunk
                chunk, docs, chars = [], 0, 0
        chunk.extend(("skip", message) for message in self.messages)
        self.messages.clear()
        if chunk:
            yield chunk


def _screened(chunks: Iterable[list[_Entry]], executor: ProcessPoolExecutor | None,
              jobs: int, restore: bool, config: Config
              ) -> Iterator[tuple[list[_Entry], list[_Result]]]:
    """Each chunk with the results of its documents (a row, or why it was skipped), in
    order: screened here without `executor`, else by its workers, a bounded number of
    chunks ahead."""
    if executor is None:
        for chunk in chunks:
            yield chunk, [_screen_source(e[1], e[2], restore, config) for e in chunk
                          if e[0] == "doc"]
        return
    ahead = jobs * CHUNKS_IN_FLIGHT_PER_JOB
    in_flight: deque[tuple[list[_Entry], Future[list[_Result]] | None]] = deque()
    sizes: deque[int] = deque()
    for chunk in chunks:
        docs = [(e[1], e[2]) for e in chunk if e[0] == "doc"]
        in_flight.append((chunk, executor.submit(_screen_chunk, docs) if docs else None))
        sizes.append(sum(_length(text) for _, text in docs))
        while len(in_flight) > ahead or (len(in_flight) > jobs
                                         and sum(sizes) > IN_FLIGHT_CHARS):
            sizes.popleft()
            yield _collect(in_flight.popleft())
    while in_flight:
        yield _collect(in_flight.popleft())


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop a pool at once: queued chunks cancelled, running ones killed."""
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def _collect(item: tuple[list[_Entry], Future[list[_Result]] | None]
             ) -> tuple[list[_Entry], list[_Result]]:
    chunk, future = item
    return chunk, [] if future is None else future.result()


def _executor(jobs: int, restore: bool, config: Config) -> ProcessPoolExecutor:
    """A pool of `jobs` workers, each with the models loaded.

    On Linux the models are loaded here and the workers forked, sharing them; the neural
    path (llama.cpp state does not survive a fork) and other systems start fresh
    workers that load them themselves.
    """
    forking = sys.platform == "linux" and not config.neural
    if forking:
        screen_document("warm-up", _WARM_UP_TEXT, config=config)
    context = multiprocessing.get_context("fork" if forking else "spawn")
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_start_worker,
                                   initargs=(restore, config, not forking))
    executor.submit(int).result()  # starts the workers now (all at once when forking)
    return executor


_worker_options: tuple[bool, Config] = (False, Config())


def _start_worker(restore: bool, config: Config, warm_up: bool) -> None:
    """Worker initializer: keep its options, leave Ctrl-C to the parent, exit with the
    parent (killed, it cannot stop its workers), load the models."""
    global _worker_options
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler, forked with it
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    _worker_options = (restore, config)
    if warm_up:
        screen_document("warm-up", _WARM_UP_TEXT, config=config)


def _exit_with(parent: int) -> None:
    """In a worker: end this process once `parent` is gone (checked every second)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _screen_chunk(docs: list[tuple[str, str | Unread]]) -> list[_Result]:
    """In a worker: the result of each document of a chunk."""
    restore, config = _worker_options
    return [_screen_source(doc_id, source, restore, config) for doc_id, source in docs]


def _screen_source(doc_id: str, source: str | Unread, restore: bool, config: Config
                   ) -> _Result:
    """The result of one document: its text, or a file read here first (so that the
    workers extract PDFs and HTML in parallel, not the process feeding them)."""
    text = source
    if isinstance(source, Unread):
        try:
            text = source.read()
        except InputError as error:
            return None, str(error)  # the loader's own "PATH: problem"
    result = screen_one(doc_id, text, restore, config)
    if isinstance(result, str):
        return None, f"{doc_id}: {result}"
    return result, "" if isinstance(source, str) else text


def _length(source: str | Unread) -> int:
    """Characters of a text, or bytes of a file not read yet: what is in flight."""
    return len(source) if isinstance(source, str) else source.size


def _prepend(first: list[_Entry] | None, rest: Iterator[list[_Entry]]
             ) -> Iterator[list[_Entry]]:
    if first is not None:
        yield first
    yield from rest
