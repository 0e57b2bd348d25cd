"""`.parquet`: columns `id` and `text`, one document a row, read in record batches."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from unspin.core.errors import InputError
from unspin.io.inputs import make_row
from unspin.io.loaders.common import _import, _one_line, _row_document

PARQUET_BATCH_ROWS = 256
"""Rows read from a Parquet file at a time (documents can be long: keep memory flat)."""


def _parquet_documents(path: str, bad: Callable[[InputError], None]
                       ) -> Iterator[tuple[str, str]]:
    """The rows of a Parquet file, `PARQUET_BATCH_ROWS` at a time."""
    try:
        batches = _parquet_file(path).iter_batches(
            batch_size=PARQUET_BATCH_ROWS, columns=["id", "text"])
    except InputError as error:
        bad(error)
        return
    number = 0
    try:
        for batch in batches:
            ids = batch.column("id").to_pylist()
            texts = batch.column("text").to_pylist()
            for row_id, text in zip(ids, texts, strict=True):
                number += 1
                yield from _row_document(f"{path}: row {number}", make_row(row_id, text), bad)
    except Exception as error:  # a corrupt file fails in the middle: the rest is lost
        if isinstance(error, InputError):
            raise
        bad(InputError(f"{path}: unreadable after row {number} ({_one_line(error)})"))


def _parquet_file(path: str) -> Any:
    """`path` opened as a `pyarrow.parquet.ParquetFile` with `id` and `text` columns."""
    parquet = _import("pyarrow.parquet", path)
    try:
        file = parquet.ParquetFile(path)
    except OSError as error:
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file") from None
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None
    except Exception as error:
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None
    missing = [name for name in ("id", "text") if name not in file.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: no {' or '.join(repr(m) for m in missing)} column "
                         "(need columns 'id' and 'text')")
    return file
