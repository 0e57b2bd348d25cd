"""`.jsonl`: the result rows, one JSON object a line."""

from __future__ import annotations

import json
from typing import Any, TextIO

from unspin.io.outputs.rows import RowWriter


class JsonlWriter(RowWriter):
    """One `json.dumps(row)` a line, UTF-8, flushed to the OS after each row."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def write(self, row: dict[str, Any], text: str) -> None:
        self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.handle.flush()

    def finish(self) -> None:
        self.handle.close()
