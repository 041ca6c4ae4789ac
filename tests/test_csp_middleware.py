"""dashboard.middleware.CSPMiddleware sends exactly the headers django-csp's own would."""

from __future__ import annotations

import pytest
from csp import middleware as django_csp
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from django.http import HttpResponse
from django.test import RequestFactory

from dashboard.middleware import CSPMiddleware

REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-report/"}}


def _headers(middleware_class, path: str, **attributes) -> dict[str, str]:
    """The CSP headers `middleware_class` gives a plain response to GET `path`."""
    request = RequestFactory().get(path)
    response = HttpResponse("ok")
    for name, value in attributes.items():
        setattr(response, name, value)
    mw = middleware_class(lambda r: response)
    mw.process_request(request)
    answered = mw.process_response(request, response)
    return {h: answered[h] for h in (HEADER, HEADER_REPORT_ONLY) if h in answered}


CASES = [
    {},
    {"_csp_update": {"img-src": ["https://maps.example.com"]}},
    {"_csp_replace": {"script-src": ["'self'", "https://cdn.example.com"]}},
    {"_csp_exempt": True},
    {"_csp_update_ro": {"img-src": ["https://maps.example.com"]}},
]


@pytest.mark.parametrize("attributes", CASES)
def test_the_headers_are_django_csps_own(attributes):
    ours = _headers(CSPMiddleware, "/tasks/", **attributes)
    assert ours == _headers(django_csp.CSPMiddleware, "/tasks/", **attributes)
    if not attributes:
        assert "default-src 'self'" in ours[HEADER] and HEADER_REPORT_ONLY not in ours


@pytest.mark.parametrize("attributes", CASES)
def test_a_settings_change_is_followed_report_only_and_excluded_prefixes_included(
    settings, attributes
):
    plain = _headers(CSPMiddleware, "/tasks/")
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {**REPORT_ONLY, "EXCLUDE_URL_PREFIXES": ["/x/"]}
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "EXCLUDE_URL_PREFIXES": ["/admin/"],
    }
    for path in ("/tasks/", "/admin/login/", "/x/y"):
        ours = _headers(CSPMiddleware, path, **attributes)
        assert ours == _headers(django_csp.CSPMiddleware, path, **attributes)
    assert _headers(CSPMiddleware, "/tasks/")[HEADER_REPORT_ONLY].startswith("default-src 'none'")
    assert HEADER not in _headers(CSPMiddleware, "/admin/login/")
    assert _headers(CSPMiddleware, "/tasks/")[HEADER] == plain[HEADER]


def test_a_page_that_used_a_nonce_gets_it_in_its_policy_and_a_late_nonce_is_refused(settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}
    }
    request = RequestFactory().get("/tasks/")
    mw = CSPMiddleware(lambda r: HttpResponse("ok"))
    mw.process_request(request)
    nonce = str(request.csp_nonce)
    response = mw.process_response(request, HttpResponse("ok"))
    assert f"'nonce-{nonce}'" in response[HEADER]

    later = RequestFactory().get("/tasks/")
    mw.process_request(later)
    mw.process_response(later, HttpResponse("ok"))
    with pytest.raises(django_csp.CSPNonceError):
        str(later.csp_nonce)


def test_every_page_carries_the_policy(client, db):
    response = client.get("/healthz")
    assert response[HEADER] == _headers(django_csp.CSPMiddleware, "/healthz")[HEADER]
