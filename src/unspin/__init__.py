"""unspin: detect, explain and reverse machine-spun text.

The library is the product; the CLI (and later the service and the Spark job) are
thin adapters over these functions, so every entry point gives identical results.
"""

from typing import TYPE_CHECKING

from unspin.api import check, repair, restore
from unspin.config import Config
from unspin.errors import InputError
from unspin.records import Finding, Match, Passage, Replacement, Report

if TYPE_CHECKING:
    from unspin.index import Index


def __getattr__(name: str) -> object:
    """`unspin.Index` and `unspin.__version__` are looked up on first use: the first
    needs the trace index's imports, the second importlib.metadata (50 ms of start-up)."""
    if name == "Index":
        from unspin.index import Index

        return Index
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("unspin")
        except PackageNotFoundError:  # running from a source tree without installing
            return "0.0.0"
    raise AttributeError(f"module 'unspin' has no attribute {name!r}")

__all__ = [
    "Config",
    "Finding",
    "Index",
    "InputError",
    "Match",
    "Passage",
    "Replacement",
    "Report",
    "__version__",
    "check",
    "repair",
    "restore",
]
