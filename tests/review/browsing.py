"""The review app served on a free 127.0.0.1 port and a headless Chromium page to drive it.

Uses Debian's ``chromium`` through Playwright (never ``playwright install``: no download); the
Python packages come with the ``test`` extra, so only a missing browser skips a browser test.
Screenshots go to ``$SITEWATCH_SCREENSHOTS`` when set, for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitewatch.catalog import CaseStore

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-" + "k" * 24

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs Debian's chromium at /usr/bin/chromium "
                                           "(apt-get install -y chromium)")


@contextlib.contextmanager
def serving(store: CaseStore) -> Iterator[str]:
    """The app over ``store`` served on a free 127.0.0.1 port; yields the URL with the token."""
    import uvicorn

    from sitewatch.review import create_app
    from sitewatch.review.server import free_port, review_url

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, reviewer="Ana Lyst", token=TOKEN,
                                                      warm_overviews=True),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the review server did not start"
    try:
        yield review_url(port, TOKEN)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium_page(width: int, height: int) -> Iterator[Any]:
    """A Chromium page of that viewport, with console errors collected on ``page.errors``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.errors = errors  # type: ignore[attr-defined]
        try:
            yield tab
        finally:
            browser.close()


def shot(page: Any, tmp_path: Path, name: str) -> None:
    """A screenshot of the page to ``$SITEWATCH_SCREENSHOTS`` (else ``tmp_path``)."""
    folder = Path(os.environ.get("SITEWATCH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"review_{name}.png"))
