"""`manage.py check_api`: one test per outcome, each produced for real."""

from __future__ import annotations

import http.server
import logging
import socket
import ssl
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sandbox import FORBIDDEN_KEY


def run_check() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_api", stdout=out)
    except CommandError:
        return 1, out.getvalue()
    return 0, out.getvalue()


def test_ok_prints_the_total_and_the_round_trip(api, settings):
    code, out = run_check()
    assert code == 0
    assert f"Base URL:  {api.url}" in out
    assert "API key:   set" in out
    assert settings.ACTIVITIES_API_KEY not in out
    assert f"OK: {len(api.tasks)} tasks visible; round trip" in out


def test_no_key(api, settings):
    settings.ACTIVITIES_API_KEY = ""
    code, out = run_check()
    assert code == 1
    assert "API key:   NOT SET" in out and "Set ACTIVITIES_API_KEY" in out


def test_dns_failure(settings):
    settings.ACTIVITIES_API_BASE_URL = "http://tasks-api.invalid"
    settings.ACTIVITIES_API_KEY = "some-key-123456"
    code, out = run_check()
    assert code == 1
    assert "DNS: the host name in ACTIVITIES_API_BASE_URL does not resolve" in out


def test_connection_refused(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.ACTIVITIES_API_BASE_URL = f"http://127.0.0.1:{port}"
    settings.ACTIVITIES_API_KEY = "some-key-123456"
    code, out = run_check()
    assert code == 1
    assert "Connection: nothing answered at that address" in out


@pytest.fixture
def tls_server(settings):
    """An HTTPS server whose certificate no public authority signed."""
    import trustme  # here, not at the top: its import (cryptography) is a tenth of a second

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    settings.ACTIVITIES_API_BASE_URL = f"https://127.0.0.1:{server.server_port}"
    settings.ACTIVITIES_API_KEY = "some-key-123456"
    yield server
    server.shutdown()
    server.server_close()


def test_tls_failure(tls_server):
    code, out = run_check()
    assert code == 1
    assert "TLS: the secure connection failed" in out
    assert "CERTIFICATE_VERIFY_FAILED" in out


def test_timeout(canned, settings):
    settings.ACTIVITIES_API_TIMEOUT = 0.3
    canned.delay = 1.5
    code, out = run_check()
    assert code == 1
    assert "Timeout: the API accepted the connection but did not answer in time" in out


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("not-a-valid-key", "401: the API does not accept this key"),
        (FORBIDDEN_KEY, "403: the key is valid but lacks the VIEW_ACTIVITIES permission"),
    ],
)
def test_refused_keys(api, settings, key, expected):
    settings.ACTIVITIES_API_KEY = key
    code, out = run_check()
    assert code == 1
    assert expected in out
    assert key not in out


def test_bad_response(canned):
    canned.answer = (200, "text/html", "<html>Sign in to the corporate proxy</html>")
    code, out = run_check()
    assert code == 1
    assert "Bad response: the answer was not the documented JSON" in out


def test_server_error(canned):
    canned.answer = (500, "application/json", '{"message": "db down"}')
    code, out = run_check()
    assert code == 1
    assert "5xx: the API has an internal problem" in out
    assert "db down" in out


@pytest.mark.parametrize("reachable", [True, False])
def test_a_password_in_the_base_url_is_never_printed_nor_logged(api, settings, caplog, reachable):
    base = api.url if reachable else "http://127.0.0.1:9"
    settings.ACTIVITIES_API_BASE_URL = base.replace("http://", "http://admin:s3cret-pass@")
    with caplog.at_level(logging.DEBUG):
        code, out = run_check()

    assert code == (0 if reachable else 1)
    assert f"Base URL:  {base}\n" in out
    assert "s3cret-pass" not in out + caplog.text
    assert "admin:" not in out + caplog.text


def test_every_error_has_its_own_one_line_sentence_for_administrators():
    # The sentence is the class's docstring folded onto one line; a subclass without a
    # docstring says its parent's sentence.
    from activities.api import errors

    classes = [errors.ApiError, *_subclasses(errors.ApiError)]
    sentences = {cls: cls.explanation for cls in classes}
    assert all(
        "\n" not in s and "  " not in s and s.endswith((".", "?")) for s in sentences.values()
    )
    named = {cls: s for cls, s in sentences.items() if "__doc__" in vars(cls) and cls.__doc__}
    assert len(set(named.values())) == len(named) >= 12
    assert errors.ApiUnauthorized.explanation.startswith("401: ")


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]
