"""Documents to JSON Lines: `extract_corpus` (`unspin extract`) writes the text of every
document of the inputs as one `{"id", "text"}` row a line.

The rows are what the loaders read, with the ids `screen`, `index` and `trace` give the
same documents, so the file stands in for the inputs anywhere: the Spark engine, which
reads only JSON Lines and Parquet, can then screen a corpus of PDFs, HTML, DOCX or JATS
files; an index can be rebuilt without extracting again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from unspin.core.errors import InputError
from unspin.io.loaders import iter_documents


@dataclass
class Extracted:
    """What an `extract_corpus` run did."""

    written: int = 0
    """Documents written."""
    skipped: int = 0
    """Documents reported through `skip` (unreadable, malformed, without text)."""


def extract_corpus(inputs: Sequence[str], output: str | os.PathLike[str], *,
                   skip: Callable[[str], None] | None = None,
                   progress: Callable[[], None] | None = None) -> Extracted:
    """Write the documents of `inputs` (anything `iter_documents` reads) to `output`, a
    `.jsonl` file, one `{"id", "text"}` row a line, in input order.

    A document that cannot be read is left out and `skip` gets one message naming it, as
    `screen` reports it; `progress` is called once per input document. The output is
    written to a temporary file and renamed at the end, so an interrupted run leaves an
    existing output untouched. Raises `InputError` for a missing input, an output that is
    not `.jsonl` or is one of the inputs (or inside an input directory), before anything
    is written.
    """
    from unspin.io.outputs import open_output, refuse_overlap

    output = Path(output)
    if output.suffix.lower() != ".jsonl":
        raise InputError(f"{output}: extract writes JSON Lines: name the output .jsonl")
    refuse_overlap(output, inputs)
    summary = Extracted()
    skip = skip or (lambda message: None)
    progress = progress or (lambda: None)

    def skipped(message: str) -> None:
        skip(message)
        summary.skipped += 1
        progress()

    documents = iter_documents(inputs, skipped)  # checks every input
    with open_output(output) as writer:
        for doc_id, text in documents:
            writer.write({"id": doc_id, "text": text}, text)
            summary.written += 1
            progress()
    return summary
