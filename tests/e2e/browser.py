"""Real-browser tests: the platform on a real port, headless Chromium, and when to skip.

Needs Debian's chromium (`make browser` installs it). Outside CI a browser test is skipped
without it; in CI (`CI=true`) it must run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gongkai.runtime import Platform
from tests.kafka_broker import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM", "free_port", "launch", "needs_chromium", "serve"]

CHROMIUM = Path(os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium"))

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true",
    reason=f"no Chromium at {CHROMIUM}: run `make browser` (CI installs it and never skips this test)",
)


@contextmanager
def serve(platform: Platform) -> Iterator[str]:
    """``platform`` served by uvicorn on a free local port, as `gongkai up` serves it; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(platform.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the platform did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium as the browser tests run it (the system's build, no sandbox in containers)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
