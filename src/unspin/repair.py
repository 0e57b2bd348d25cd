"""Mechanical repair of spinning/scraping damage.

Stub until the repair issue: it returns the text unchanged and finds nothing,
which is documented in the README.
"""

from __future__ import annotations


def repair_text(text: str) -> str:
    """Repaired text; for now the input, unchanged."""
    return text
