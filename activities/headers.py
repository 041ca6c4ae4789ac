"""Response headers Django does not add by itself: no caching of team data, Retry-After."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _keep_private(request: HttpRequest, response: HttpResponse) -> None:
    # A shared proxy must not keep a signed-in page, and after signing out on a shared
    # computer Back must not show the tasks again from the browser's cache.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        patch_cache_control(response, private=True, no_store=True)


def _say_when_to_retry(request: HttpRequest, response: HttpResponse) -> None:
    # django-axes answers a locked-out sign-in with 429 and the page says "try again in
    # N minutes"; the header says the same to a machine (RFC 9110, section 10.2.3).
    if response.status_code != 429 or not getattr(request, "axes_locked_out", False):
        return
    cool_off = get_cool_off(request)
    if cool_off and "Retry-After" not in response:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))


def response_headers_middleware(get_response):
    """Add `Cache-Control: private, no-store` for signed-in users and `Retry-After` on
    the sign-in lockout page. Goes after AuthenticationMiddleware and before
    AxesMiddleware, so that it sees the user and axes' 429."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        _keep_private(request, response)
        _say_when_to_retry(request, response)
        return response

    return middleware
