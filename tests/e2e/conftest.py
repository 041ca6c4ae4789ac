"""Real-browser tests: Debian's Chromium driven by Playwright, against live_server."""

from __future__ import annotations

import shutil

import pytest

from ..helpers import sign_in  # noqa: F401 (tests on other branches import it from here)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Debian's package of the headless-only build Playwright itself runs headless tests in:
# the same Blink, without the desktop browser's UI. A new page in it costs about a
# quarter of the CPU, the first page a worker opens a fifth (scripts/test installs it).
HEADLESS_SHELL = shutil.which("chromium-headless-shell")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright's own browser download is not available here; Debian's Chromium is.
    # The flags keep it from calling out to the network, and root needs --no-sandbox.
    headless = browser_type_launch_args.get("headless", True)
    return {
        **browser_type_launch_args,
        "executable_path": HEADLESS_SHELL if headless and HEADLESS_SHELL else CHROMIUM,
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
def page(page):
    """pytest-playwright's page, waiting at most 10 s where it waits."""
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def e2e(live_server, api, user):
    """The live dashboard on the sandbox, and a user to sign in as.

    Tests that open their own browser contexts ask for `browser` and no `page`, so that
    no context is made for nothing.
    """
    return live_server
