"""The docs' figures are what `make eval` / `make bench` printed, and their pages and
links hold together (the README's short tables, docs/ for the rest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = {path.relative_to(ROOT).as_posix(): path.read_text("utf-8")
         for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
MARKER = re.compile(r"<!-- figures: ([^>]+?) -->")
"""Put before a table copied from the recorded output: `<!-- figures: eval.txt -->`
(files of docs/results/, comma-separated), or `<!-- figures: none (why) -->` before a
table of settings rather than measurements."""
NUMBER = re.compile(r"(?<![\w.,])-?\d[\d,]*(?:\.\d+)?(?![\w])")
FIGURE = re.compile(r"\d\.\d|\d,\d{3}")
"""A cell with a decimal point or a thousands separator is a measured figure."""


def _opens_table(lines: list[str], i: int) -> bool:
    """Whether a table's header row is at `i` (the rule row follows it)."""
    return lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---")


def _tables(text: str) -> list[tuple[str | None, list[str]]]:
    """Each markdown table's rows (header and rule left out) with the marker before it."""
    out: list[tuple[str | None, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if _opens_table(lines, i):
            before = [line for line in lines[max(i - 3, 0) : i] if MARKER.search(line)]
            j = i + 2
            while j < len(lines) and lines[j].startswith("|") and not _opens_table(lines, j):
                j += 1
            out.append((MARKER.search(before[-1]).group(1) if before else None, lines[i + 2 : j]))
            i = j
        else:
            i += 1
    return out


MEASURED = ["README.md", "docs/quality.md", "docs/speed.md"]


@pytest.mark.parametrize("page", MEASURED)
def test_every_figure_in_a_table_was_printed_by_the_recorded_run(page: str) -> None:
    for files, rows in _tables(PAGES[page]):
        figures = [n for row in rows for n in NUMBER.findall(row.replace("**", ""))
                   if FIGURE.search(n)]
        if not figures or files and files.startswith("none"):
            continue
        assert files, f"{page}: figures without a <!-- figures: FILE --> marker: {rows[0]}"
        printed = "\n".join((ROOT / "docs" / "results" / name.strip()).read_text("utf-8")
                            for name in files.split(","))
        missing = [n for n in figures
                   if not re.search(rf"(?<![\w.,]){re.escape(n)}(?![\w])", printed)]
        assert missing == [], f"{page}: not in docs/results/{files}: {missing}"


def test_the_recorded_runs_say_when_and_on_what() -> None:
    for path in sorted((ROOT / "docs" / "results").glob("*.txt")):
        first = path.read_text("utf-8").splitlines()[0]
        assert re.match(r"# make [\w-]+, \d{4}-\d\d-\d\d, commit \w+", first), path.name


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("docs/")])
def test_each_docs_page_says_first_what_is_in_it(page: str) -> None:
    title, first = [block for block in PAGES[page].split("\n\n") if block.strip()][:2]
    assert title.startswith("# ") and first.startswith("What you will find here:"), page


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_pages_resolve() -> None:
    anchors = {page: {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
               for page, text in PAGES.items()}
    broken = []
    for page, text in PAGES.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"\w+:", target):
                continue  # an outside address
            path, _, anchor = target.partition("#")
            resolved = (ROOT / page).parent / path if path else ROOT / page
            name = resolved.resolve().relative_to(ROOT).as_posix()
            if not resolved.exists() or anchor and anchor not in anchors.get(name, set()):
                broken.append(f"{page}: {target}")
    assert broken == []


def test_the_readme_stays_short() -> None:
    assert len(PAGES["README.md"].splitlines()) <= 250
