"""A real browser (Debian's chromium through Playwright) and the review app served for it.

Bind in a browser test module::

    from tests import browser_fixtures
    browser = browser_fixtures.browser

and serve an app with ``with serve(app) as base: ...`` (``bench.browser.serving``: uvicorn
on 127.0.0.1, a free port, stopped when the block ends).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS, free_port, serving
from tests.ui_fixtures import PASSWORD

__all__ = ["ARGS", "CHROMIUM", "browser", "free_port", "login", "poll", "serve"]

ARGS = CHROMIUM_ARGS
serve = serving


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian chromium (skipped when it is not installed; CI fails such skips)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def login(page: Any, base: str, path: str, username: str) -> None:
    """Open ``path``, be sent to the login form, sign in with the keyboard, land on ``path``."""
    page.goto(base + path)
    assert "/login" in page.url
    # the user name field has autofocus; Chrome applies it at a rendering update that may come
    # after the load event on a busy machine, so wait for it rather than type into nothing
    poll(page, "document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + path)


def poll(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` is true in the page (``wait_for_function`` fails under CSP)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(50)
