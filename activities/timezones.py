"""Dates in the viewer's time zone: their saved choice, else their browser's, else ours.

The browser reports its zone in the `tz` cookie (static/js/timezone.js); a signed-in
user may override it on any page (`_timezone.html`), and `settings.TIME_ZONE` is the
fallback, e.g. without JavaScript. A saved choice is kept in the session so that a
page view costs no extra query.
"""

from __future__ import annotations

import functools
import zoneinfo
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from .models import UserPreference, is_time_zone, time_zone_names

COOKIE_NAME = "tz"
# The signed-in user's saved zone as [user id, zone or ""]: the id guards against a
# session that changed hands.
SESSION_KEY = "tz_pref"
# Offered first in the chooser: where the teams are.
COMMON_ZONES: tuple[str, ...] = (
    "America/Santiago",
    "America/Buenos_Aires",
    "America/Lima",
    "America/Bogota",
    "America/Mexico_City",
    "Europe/Madrid",
    "UTC",
)


@functools.cache
def all_zones() -> tuple[tuple[str, str], ...]:
    """Every zone as a (value, label) pair, by name: ("America/La_Paz", "America/La Paz")."""
    return tuple((name, name.replace("_", " ")) for name in sorted(time_zone_names()))


def _common_zones() -> tuple[tuple[str, str], ...]:
    return tuple((name, name.replace("_", " ")) for name in COMMON_ZONES if is_time_zone(name))


# --- Middleware ----------------------------------------------------------------------


def remember_preference(request: HttpRequest, name: str) -> None:
    """Cache the signed-in user's saved zone ("" for none) in their session."""
    request.session[SESSION_KEY] = [str(request.user.pk), name]


def _saved_preference(request: HttpRequest) -> str:
    """The signed-in user's saved zone, "" if none: from the session, else one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    cached = request.session.get(SESSION_KEY)
    if isinstance(cached, list) and len(cached) == 2 and cached[0] == str(user.pk):
        return cached[1] or ""
    name = UserPreference.objects.filter(user=user).values_list("timezone", flat=True).first() or ""
    remember_preference(request, name)
    return name


def timezone_middleware(get_response):
    """Activate the viewer's zone for this request (after AuthenticationMiddleware).

    Sets `request.tz_name` (the zone pages are shown in), `request.tz_source`
    ("preference", "browser" or "server") and `request.tz_preference` (the valid saved
    zone or "").
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        preference = _saved_preference(request)
        cookie = request.COOKIES.get(COOKIE_NAME, "")
        if is_time_zone(preference):
            name, source = preference, "preference"
        elif is_time_zone(cookie):
            name, source = cookie, "browser"
        else:
            # A stale zone name or a garbled cookie is ignored, not an error.
            name, source = settings.TIME_ZONE, "server"
        request.tz_name = name
        request.tz_source = source
        request.tz_preference = preference if source == "preference" else ""
        if source == "server":
            timezone.deactivate()
        else:
            timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return get_response(request)
        finally:
            # The next request on this thread starts from the server's zone again.
            timezone.deactivate()

    return middleware


def current_timezone_name(request: HttpRequest) -> str:
    """The zone this request's dates are shown in, e.g. "America/Santiago"."""
    return getattr(request, "tz_name", None) or timezone.get_current_timezone_name()


# --- The chooser ---------------------------------------------------------------------


def timezone_context(request: HttpRequest) -> dict:
    """What `_timezone.html` and base.html's data-* attributes need, as `tzpref`. No query.

    - `current`: the zone the page is shown in; `source`: "preference", "browser" or
      "server"; `saved`: the user's saved zone or "" (follow the browser).
    - `common`: (value, label) pairs for the header's select, with the saved zone
      added when it is not a common one; `common_selected`: whether `saved` is among
      the common ones. Every zone (about 600) is only listed on the chooser's own page,
      not in every page's header.
    - `next`: where the form returns to ("" after a POST: the view then picks the list);
      `next_url`: the same, quoted for the "All time zones" link's query string.
    """
    saved = getattr(request, "tz_preference", "")
    next_path = request.get_full_path() if request.method in ("GET", "HEAD") else ""
    common, common_selected = _offered(saved)
    return {
        "current": current_timezone_name(request),
        "source": getattr(request, "tz_source", "server"),
        "saved": saved,
        "common": common,
        "common_selected": common_selected,
        "next": next_path,
        "next_url": quote(next_path, safe="/"),  # for a query string, as Jinja2's urlencode
    }


def _offered(saved: str) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The header's zones, `saved` added when it is not a common one, and whether it is."""
    common = _common_zones()
    common_selected = any(value == saved for value, _ in common)
    if saved and not common_selected:
        common = (*common, (saved, saved.replace("_", " ")))
    return common, common_selected


def context_processor(request: HttpRequest) -> dict:
    """`tzpref` on every Jinja2 page rendered with a request (for base.html)."""
    return {"tzpref": timezone_context(request)}


class TimezoneForm(forms.Form):
    timezone = forms.CharField(label=gettext_lazy("Time zone"), required=False, max_length=64)

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"]
        if name and not is_time_zone(name):
            raise forms.ValidationError(gettext_lazy("Choose a time zone from the list."))
        return name


def _safe_next(request: HttpRequest) -> str:
    """`next` when it is a path on this site ("/tasks/?page=2"), else the task list.

    Only a path is taken: a bare word ("foo", "task_list") is neither resolved as a
    view name (`redirect()` would, and fail with a 500) nor followed as a relative URL.
    Returns a path to hand to `HttpResponseRedirect`.
    """
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return reverse("task_list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_timezone(request: HttpRequest) -> HttpResponse:
    """GET: every zone to choose from. POST: save the user's zone ("" = follow the
    browser) and go back to `next`."""
    if request.method != "POST":
        ctx = {"zones": all_zones(), "next": request.GET.get("next", "")}
        return render(request, "activities/timezone.html", ctx)
    form = TimezoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("That is not a time zone we know; nothing changed."))
        return HttpResponseRedirect(_safe_next(request))
    name = form.cleaned_data["timezone"]
    UserPreference.objects.update_or_create(user=request.user, defaults={"timezone": name})
    remember_preference(request, name)
    if name:
        text = gettext("Times are now shown in %(zone)s.") % {"zone": name.replace("_", " ")}
    else:
        text = gettext("Times now follow your browser's time zone.")
    messages.success(request, text)
    return HttpResponseRedirect(_safe_next(request))
