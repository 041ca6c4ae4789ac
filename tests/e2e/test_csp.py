"""The Content-Security-Policy holds in a real browser: no page breaks one of its rules."""

from __future__ import annotations

import re

import pytest

from ..helpers import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/tasks/",
    "/tasks/?status=PENDING&range=this_week",
    "/views/",
    "/no-such-page/",
]


def settle(page) -> None:
    """Wait until the page's console messages so far have arrived.

    The page has loaded (its deferred scripts have run, so what they fetch has been asked
    for); Chromium sends the console messages before the answer to this evaluation. Waiting
    for the network to be idle as well cost half a second a page.
    """
    page.evaluate("0")


def watch_violations(page) -> list[str]:
    """Collect the console's Content Security Policy complaints, as Chromium reports them."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_the_main_pages_break_no_rule_of_the_content_security_policy(e2e, page):
    violations = watch_violations(page)
    page.goto(e2e.url + "/accounts/login/")
    sign_in(page, PASSWORD)
    page.wait_for_url(re.compile(r"/tasks/"))  # signed in: the landing page has loaded
    settle(page)

    for path in PAGES:
        page.goto(e2e.url + path)
        settle(page)

    assert violations == []

    # The watcher does see a violation: an inline script added to the page (the last one,
    # the 404 page, is under the same policy) is refused.
    with page.expect_console_message(lambda message: "script-src" in message.text):
        ran = page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.head.appendChild(script);
                return window.inlineRan === true;
            }"""
        )
    assert ran is False
    assert any("script-src" in v for v in violations), violations


def test_the_admin_breaks_no_rule_of_the_content_security_policy(
    live_server, page, django_user_model
):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    violations = watch_violations(page)
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))  # signed in: the admin's index has loaded
    settle(page)
    page.goto(live_server.url + "/admin/auth/user/")
    settle(page)

    assert violations == []
