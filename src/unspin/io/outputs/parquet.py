"""`.parquet`: the flat rows (`flat_row`), written a row group at a time (pyarrow, in the
`formats` extra)."""

from __future__ import annotations

from typing import Any

from unspin.core.errors import InputError
from unspin.io.outputs.rows import RowWriter, flat_row

PARQUET_ROWS = 10_000

PARQUET_CHARS = 64_000_000
"""A Parquet row group is written when this many rows or text characters are buffered."""

FORMATS_HINT = "pip install 'unspin[formats]'"


class ParquetWriter(RowWriter):
    """The `flat_row` of each row, buffered and written a row group at a time."""

    def __init__(self, path: str) -> None:
        pa, pq = _pyarrow()
        self.pa = pa
        self.schema = pa.schema([
            ("id", pa.string()), ("score", pa.float64()), ("verdict", pa.string()),
            ("n_findings", pa.int64()), ("top_phrases", pa.string()),
            ("findings", pa.string()), ("restored", pa.string()),
        ])
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []
        self.chars = 0

    def write(self, row: dict[str, Any], text: str) -> None:
        flat = flat_row(row)
        self.buffer.append(flat)
        self.chars += len(flat["findings"]) + len(flat["restored"]) + len(flat["top_phrases"])
        if len(self.buffer) >= PARQUET_ROWS or self.chars >= PARQUET_CHARS:
            self._flush()

    def finish(self) -> None:
        self._flush()
        self.writer.close()

    def abort(self) -> None:
        self.writer.close()

    def _flush(self) -> None:
        if self.buffer:
            self.writer.write_table(self.pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []
            self.chars = 0


def _pyarrow() -> tuple[Any, Any]:
    """`pyarrow` and `pyarrow.parquet`, or an InputError naming the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise InputError(f"Parquet output needs pyarrow: {FORMATS_HINT}") from None
    return pyarrow, pyarrow.parquet
