"""The flat public API: `check`, `restore`, `repair` (and `repairs`, the repairs behind it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from unspin.core.config import Config
from unspin.core.records import Finding, Report
from unspin.pipeline.engine import analyze, apply_findings, validate_text
from unspin.repair import find_repairs


def check(text: str, *, restore: bool = False, config: Config | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    """Score `text` for spinning and list every suspicious span with its evidence.

    With `restore=True` the report also carries the text with every finding's best
    replacement applied. `progress(done, total)`, if given, hears the characters read so
    far as the work goes on (for a bar on long documents). Raises `InputError` for empty
    or oversized text.
    """
    config = config or Config()
    validate_text(text, config)
    report = analyze(text, config, progress)
    if restore:
        report = replace(report, restored=apply_findings(text, report.findings))
    return report


def restore(text: str, *, config: Config | None = None,
            progress: Callable[[int, int], None] | None = None) -> str:
    """The most likely original wording of `text` (every finding's best replacement)."""
    report = check(text, restore=True, config=config, progress=progress)
    assert report.restored is not None
    return report.restored


def repair(text: str, *, config: Config | None = None) -> str:
    """`text` with mechanical damage undone and scraping residue removed.

    Stale pastes of quote marks and possessives are moved back and what they overwrote
    is recovered, widget lines and image ids are cut, mojibake is decoded (ftfy); the
    same repairs `check` reports as "mechanical"/"residue" findings. Raises
    `InputError` for empty or oversized text.
    """
    return repairs(text, config=config)[0]


def repairs(text: str, *, config: Config | None = None) -> tuple[str, list[Finding]]:
    """What `repair` gives, and the repairs that make it: "mechanical" and "residue"
    findings with offsets into `text` (the web service's /api/repair returns both).
    Raises `InputError` for empty or oversized text."""
    validate_text(text, config or Config())
    found = find_repairs(text)
    return apply_findings(text, found), found
