"""`.jsonl`, `.ndjson`: one `{"id", "text"}` object a line."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from unspin.core.errors import InputError
from unspin.io.inputs import iter_jsonl
from unspin.io.loaders.common import _row_document


def _jsonl_documents(path: str, bad: Callable[[InputError], None]
                     ) -> Iterator[tuple[str, str]]:
    """The rows of a JSON Lines file; malformed or empty ones go to `bad`."""
    try:
        rows = iter_jsonl(path)
    except InputError as error:
        bad(error)
        return
    for number, row in rows:
        yield from _row_document(f"{path}:{number}", row, bad)
