"""dashboard.middleware.LocaleMiddleware picks the language and headers Django's would."""

from __future__ import annotations

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocale
from django.test import RequestFactory
from django.urls import path
from django.utils import translation

from dashboard.middleware import LocaleMiddleware

# A URLconf with a language prefix, for the case the cheaper middleware hands to Django's.
urlpatterns = i18n_patterns(path("tasks/", lambda request: HttpResponse("ok")))


def _answer(middleware_class, url: str, status: int = 200, urlconf=None, **headers):
    """(active language, request.LANGUAGE_CODE, Vary, Content-Language, Location)."""
    request = RequestFactory().get(url, **headers)
    if urlconf:
        request.urlconf = urlconf
    response = HttpResponse("ok", status=status)
    mw = middleware_class(lambda r: response)
    try:
        mw.process_request(request)
        active = translation.get_language()
        answered = mw.process_response(request, response)
    finally:
        translation.deactivate()
    return (
        active,
        request.LANGUAGE_CODE,
        answered.get("Vary"),
        answered.get("Content-Language"),
        answered.get("Location"),
    )


CASES = [
    ("/tasks/", {}),
    ("/tasks/?page=2", {"HTTP_ACCEPT_LANGUAGE": "es-CL,es;q=0.9,en;q=0.5"}),
    ("/healthz", {"HTTP_ACCEPT_LANGUAGE": "fr-FR, de"}),  # neither offered: the default
    ("/team/", {"HTTP_COOKIE": "django_language=es"}),
    ("/es/tasks/", {"HTTP_COOKIE": "django_language=en"}),  # a path like a prefix
    ("/", {"HTTP_ACCEPT_LANGUAGE": "es", "HTTP_COOKIE": "django_language=xx"}),
]


@pytest.mark.parametrize(("url", "headers"), CASES)
@pytest.mark.parametrize("status", [200, 404])
def test_the_language_and_headers_are_djangos(url, headers, status):
    ours = _answer(LocaleMiddleware, url, status, **headers)
    assert ours == _answer(DjangoLocale, url, status, **headers)
    assert ours[2] == "Accept-Language" and ours[3] == ours[0]


def test_a_spanish_browser_is_answered_in_spanish():
    assert _answer(LocaleMiddleware, "/tasks/", HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9")[:2] == (
        "es",
        "es",
    )


def test_with_a_language_prefix_in_the_urlconf_djangos_own_runs():
    # Django's redirects a 404 without a prefix to the prefixed URL; only its own does.
    ours = _answer(LocaleMiddleware, "/tasks/", 404, urlconf=__name__)
    assert ours == _answer(DjangoLocale, "/tasks/", 404, urlconf=__name__)
    assert ours[4] == "/en/tasks/"
