"""Real-browser tests: Debian's Chromium driven by Playwright, against live_server."""

from __future__ import annotations

import shutil

import pytest

from ..helpers import sign_in  # noqa: F401 (tests on other branches import it from here)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright's own browser download is not available here; Debian's Chromium is.
    # The flags keep it from calling out to the network, and root needs --no-sandbox.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": "America/Santiago", "locale": "en-GB"}


@pytest.fixture
def e2e(live_server, api, user, page):
    """A page in Chromium, the live dashboard on the sandbox, and a user to sign in as."""
    page.set_default_timeout(10_000)
    return live_server
