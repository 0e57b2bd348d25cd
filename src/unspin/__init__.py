"""unspin: detect, explain and reverse machine-spun text.

The library is the product; the CLI (and later the service and the Spark job) are
thin adapters over these functions, so every entry point gives identical results.
"""

from importlib.metadata import PackageNotFoundError, version

from unspin.api import check, repair, restore
from unspin.config import Config
from unspin.errors import InputError
from unspin.records import Finding, Replacement, Report

try:
    __version__ = version("unspin")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "Config",
    "Finding",
    "InputError",
    "Replacement",
    "Report",
    "__version__",
    "check",
    "repair",
    "restore",
]
