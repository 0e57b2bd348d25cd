"""`.txt`: a UTF-8 text file, one document."""

from __future__ import annotations

from unspin.io.inputs import decode, read_bytes


def _text(path: str) -> str:
    return decode(path, read_bytes(path))
