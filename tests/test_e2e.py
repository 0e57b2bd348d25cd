"""End to end: the review page in headless Chromium against a live `unspin serve` app.

Skipped unless the system Chromium (/usr/bin/chromium) and the `playwright` package are
installed; the browser Playwright downloads itself is not used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser test",
                allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the `serve` extra)")
pytest.importorskip("fastapi", reason="fastapi is not installed (the `serve` extra)")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (the `serve` extra)")

from live import serving  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from unspin import serve  # noqa: E402

SPUN = ("Researchers used counterfeit consciousness to label the data. "
        "The results were published on Monday.")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(serve.create_app()) as url:
        yield url


@pytest.fixture
def page(base_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base_url}/")
            yield page
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()


def test_check_then_accept_a_replacement(page: Page) -> None:
    page.fill("#input", SPUN)
    page.click("#check")
    finding = page.locator("span.finding.kind-lexical").first
    finding.wait_for(state="visible")

    assert page.locator("#error").is_hidden()
    assert (page.locator("#verdict").text_content() or "").strip() in {"spun", "uncertain", "clean"}
    score = float(page.locator("#score").text_content() or "nan")
    assert 0.0 <= score <= 1.0
    assert finding.text_content() == "counterfeit consciousness"
    assert finding.get_attribute("data-index") is not None

    finding.click()
    popover = page.locator("#popover")
    popover.wait_for(state="visible")
    assert popover.locator("#reject").is_visible()
    first = popover.locator("button.replacement").first
    assert "artificial intelligence" in (first.text_content() or "")
    first.click()
    popover.wait_for(state="hidden")

    page.click("#show-edited")
    edited = page.locator("#edited")
    edited.wait_for(state="visible")
    text = edited.text_content() or ""
    assert "artificial intelligence" in text
    assert "counterfeit consciousness" not in text
    assert text == SPUN.replace("counterfeit consciousness", "artificial intelligence")
    assert page.locator("span.finding.kind-lexical.accepted").count() == 1


def test_a_server_with_a_token_asks_for_it_once() -> None:
    asked: list[str] = []
    with (serving(serve.create_app(token="s3cret", workers=1)) as url,
          sync_playwright() as playwright):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("dialog", lambda dialog: (asked.append(dialog.message),
                                              dialog.accept("s3cret")))
            page.goto(f"{url}/")
            for _ in range(2):
                page.fill("#input", SPUN)
                page.click("#check")
                page.locator("span.finding.kind-lexical").first.wait_for(state="visible")
                page.wait_for_function("!document.querySelector('#check').disabled")
            assert page.locator("#error").is_hidden()
        finally:
            browser.close()
    assert asked == ["This server needs an access token:"]


SOURCE = (
    "Northwind Power said on Tuesday that it would close its coal plant in Leeds by 2027. "
    "The company said the move would cut emissions by 40 percent and make the grid safer. "
    "About 350 workers will be offered jobs at a new wind farm near Hull, the company said.\n"
)


def test_a_server_with_an_index_shows_the_likely_sources(tmp_path: Path) -> None:
    from unspin import Index

    index = Index.build(tmp_path / "ix", [("northwind-2027", SOURCE)])
    spun = SOURCE.replace("said", "stated").replace("company", "firm")
    with (serving(serve.create_app(str(index.path), workers=1)) as url,
          sync_playwright() as playwright):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{url}/")
            page.fill("#input", spun)
            page.click("#check")
            sources = page.locator("#sources")
            sources.wait_for(state="visible")
            assert page.locator(".source-id").all_text_contents() == ["northwind-2027"]
            ours = page.locator(".sources blockquote:not(.source-text)").all_text_contents()
            theirs = page.locator(".sources blockquote.source-text").all_text_contents()
            assert ours and all(passage in spun for passage in ours)
            assert len(theirs) == len(ours) and all(passage in SOURCE for passage in theirs)
            assert "company said" in " ".join(theirs)
        finally:
            browser.close()
