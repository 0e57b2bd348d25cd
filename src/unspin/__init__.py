"""unspin: detect, explain and reverse machine-spun text.

The library is the product; the CLI, the web service and the Spark job are thin
adapters over these functions, so every entry point gives identical results. The
package's layers, bottom up: `core`, the stages (`discovery`, `repair`, `trace`, `io`),
`pipeline`, `api`, `screening`, then the adapters (`cli`, `serve`, `spark`).
"""

from typing import TYPE_CHECKING

from unspin.api import check, repair, repairs, restore
from unspin.core.config import Config
from unspin.core.errors import InputError
from unspin.core.records import Finding, Match, Passage, Replacement, Report, apply_findings

if TYPE_CHECKING:
    from unspin.discovery.profile import Profile
    from unspin.pipeline.learn import learn
    from unspin.screening import screen_corpus
    from unspin.trace.index import Index


def __getattr__(name: str) -> object:
    """`unspin.Index`, `unspin.learn`, `unspin.Profile`, `unspin.screen_corpus` and
    `unspin.__version__` are looked up on first use: they need the trace index's imports,
    the process pool's and importlib.metadata (50 ms of start-up)."""
    if name == "Index":
        from unspin.trace.index import Index

        return Index
    if name == "learn":
        from unspin.pipeline.learn import learn

        return learn
    if name == "Profile":
        from unspin.discovery.profile import Profile

        return Profile
    if name == "screen_corpus":
        from unspin.screening import screen_corpus

        return screen_corpus
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
    "Profile",
    "Replacement",
    "Report",
    "__version__",
    "apply_findings",
    "check",
    "learn",
    "repair",
    "repairs",
    "restore",
    "screen_corpus",
]
