"""Writers for `unspin screen` results, chosen by the output file's extension.

Every writer takes the rows of `unspin.screening.screen_document` one at a time, in
order, with the text each row was made from, and holds at most a bounded part of them
in memory:

- `.jsonl`: one JSON row a line, flushed as written (the only format `--resume` can
  append to);
- `.parquet`: the flat rows of `flat_row`, written in row groups (needs pyarrow, in the
  `formats` extra);
- `.csv`: a flag export, one line per document: id, score, verdict, n_findings,
  top_phrases;
- `.html`: a self-contained report (no scripts, styles inline, no external address):
  counts by verdict, a score histogram and the highest-scoring flagged documents with
  their tortured phrases marked.

`open_output` writes to a temporary file beside the output and renames it only when the
block completes, so an interrupted run leaves an existing output as it was; with
`append=True` (JSON Lines only) rows are appended to the output in place instead, so an
interrupted run keeps every finished row.

One module per format (`jsonl`, `parquet`, `csv`, `html`), over `rows`: the writers'
base class and `flat_row`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from unspin.core.errors import InputError
from unspin.io.outputs.csv import CsvWriter
from unspin.io.outputs.html import HtmlWriter
from unspin.io.outputs.jsonl import JsonlWriter
from unspin.io.outputs.parquet import ParquetWriter, _pyarrow
from unspin.io.outputs.rows import RowWriter

__all__ = ["FORMATS", "RowWriter", "check_output_path", "open_output", "refuse_overlap",
           "resume_ids"]

FORMATS = (".jsonl", ".parquet", ".csv", ".html")
"""Output extensions, compared case-insensitively."""


def check_output_path(path: Path, *, append: bool = False) -> None:
    """Raise `InputError` if `path` has no supported extension, cannot be written
    (a directory, a missing parent directory), or `append` is asked for a format other
    than JSON Lines."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unsupported output format {suffix or '(no extension)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if append and suffix != ".jsonl":
        raise InputError(f"{path}: --resume needs a .jsonl output ({suffix} files are "
                         "written whole at the end)")
    if path.is_dir():
        raise InputError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    if suffix == ".parquet":
        _pyarrow()


def refuse_overlap(output: Path, inputs: Sequence[str]) -> None:
    """Raise `InputError` if `output` is one of `inputs` or lies inside an input directory
    (it would be read back as input)."""
    target = output.resolve()
    for name in inputs:
        if os.path.isdir(name):
            if target.is_relative_to(Path(name).resolve()):
                raise InputError(f"--output {output} is inside input directory {name}; "
                                 "refusing to write there")
        elif os.path.exists(name) and (
                target == Path(name).resolve()
                or (output.exists() and os.path.samefile(output, name))):
            raise InputError(f"--output {output} is also an input; refusing to overwrite it")


@contextmanager
def open_output(path: Path, *, append: bool = False, title: str = "unspin screen report"
                ) -> Iterator[RowWriter]:
    """The writer for `path`'s format; the file is complete only when the block is.

    Without `append` the rows go to a temporary file beside `path`, which replaces it
    when the block completes and is removed if it fails, so an existing output is never
    half-overwritten. With `append` (JSON Lines only) rows are appended to `path` in
    place, flushed one by one, and what was written stays on failure.
    """
    check_output_path(path, append=append)
    suffix = path.suffix.lower()
    if append:
        writer = JsonlWriter(open(path, "a", encoding="utf-8", newline=""))  # noqa: SIM115
        try:
            yield writer
        finally:
            writer.finish()
        return
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    writer: RowWriter | None = None
    try:
        if suffix == ".parquet":
            os.close(descriptor)
            writer = ParquetWriter(temporary)
        else:
            handle = open(descriptor, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if suffix == ".jsonl":
                writer = JsonlWriter(handle)
            elif suffix == ".csv":
                writer = CsvWriter(handle)
            else:
                writer = HtmlWriter(handle, title)
        yield writer
        writer.finish()
        os.chmod(temporary, _default_file_mode())  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        if writer is not None:
            with suppress(Exception):
                writer.abort()
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def resume_ids(path: Path) -> set[str]:
    """The ids of the rows of an earlier run's JSON Lines output, to skip on `--resume`.

    A last line without its newline (a run killed mid-write) is cut off the file, so
    appending starts on a fresh line; any other line that is not a result row raises
    `InputError`. A missing file has no ids.
    """
    ids: set[str] = set()
    if not path.exists():
        return ids
    check_output_path(path, append=True)
    complete = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                break  # cut below
            complete += len(line)
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                row = None
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise InputError(f"{path}:{number}: not an `unspin screen` result row; "
                                 "cannot resume into this file")
            ids.add(row["id"])
    if complete < path.stat().st_size:
        with open(path, "r+b") as handle:
            handle.truncate(complete)
    return ids


def _default_file_mode() -> int:
    """The mode a new file gets under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
