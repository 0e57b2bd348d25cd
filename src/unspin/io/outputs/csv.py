"""`.csv`: the flag export, `CSV_COLUMNS` of each row's `flat_row`."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from unspin.io.outputs.rows import RowWriter, flat_row

CSV_COLUMNS = ("id", "score", "verdict", "n_findings", "top_phrases")
"""The columns of a `.csv` flag export."""


class CsvWriter(RowWriter):
    """The `CSV_COLUMNS` of each row's `flat_row`, with a header line."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.csv = csv.writer(handle)
        self.csv.writerow(CSV_COLUMNS)

    def write(self, row: dict[str, Any], text: str) -> None:
        flat = flat_row(row)
        self.csv.writerow([flat[column] for column in CSV_COLUMNS])

    def finish(self) -> None:
        self.handle.close()
