"""Real Chromium (Debian's package) driven by Playwright. Skipped with a reason when Chromium is
absent, unless TSUR_REQUIRE_BROWSER=1 (CI), where its absence is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("TSUR_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# HTMX puts a response's HTML into the page at once but wires up its hx-* attributes only when it
# settles (20 ms later by default, more on a busy machine): until then a select in the new HTML is
# visible and can be changed, but its hx-get never fires. Pages mark each settle on <html> so a test
# can wait for the one its action caused (`htmx_settled`). A marker attribute, not a script
# predicate: the pages' Content-Security-Policy forbids the eval `page.wait_for_function` needs.
SETTLED = "data-test-htmx-settled"
MARK_HTMX_SETTLES = f"""
document.addEventListener("htmx:afterSettle", function () {{
  document.documentElement.setAttribute("{SETTLED}", "1");
}});
"""


def _chromium_or_skip() -> str:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("TSUR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Chromium is required (TSUR_REQUIRE_BROWSER=1) but {CHROMIUM} is missing")
    pytest.skip(f"Chromium not installed at {CHROMIUM}: apt-get install chromium (browser tests skipped)")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_or_skip()
    # The live server runs in a thread of this process; Playwright's sync API must not see an event loop.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # assertions wait as long as actions do (the page's default below)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    context.add_init_script(MARK_HTMX_SETTLES)
    pg = context.new_page()
    yield pg
    context.close()


def login(page, live_server, username: str, password: str = "pass-12345") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@contextmanager
def htmx_settled(page) -> Iterator[None]:
    """Wait, after the block, until HTMX has settled: the swap the block caused has then processed
    its new content (its hx-* attributes work). Only for an action that ends in an HTMX swap: a
    full page load brings no settle, and the wait times out."""
    from playwright.sync_api import expect

    html = page.locator("html")
    html.evaluate(f"html => html.removeAttribute('{SETTLED}')")
    yield
    expect(html).to_have_attribute(SETTLED, "1")
