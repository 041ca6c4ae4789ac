"""The dashboard's pages: thin views over the filter form and the task service."""

from __future__ import annotations

import functools
import threading
import time

from django.conf import settings
from django.contrib import messages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import api, service
from .access import supervisor_required
from .api_errors import error_response, log_failure
from .formatting import RowFormatter, age, querystring
from .forms import TaskFilterForm, bound_form
from .kept_pages import pages
from .paging import Pager
from .ranges import RANGE_TOKENS, token_label
from .saved_views import default_view_url, sidebar_context
from .table_html import tables

TEMPLATE = "activities/task_list.html"
# Where the data's age is printed (activities/_freshness.html): the first age after it.
FRESHNESS = b'<p class="freshness">'
# Where the rows are printed (activities/_task_table.html): right after the table's head.
ROWS_AFTER = b"</thead>"


@require_safe
@supervisor_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: the user's default saved view, else ACTIVITIES_DEFAULT_RANGE.

    Today's tasks unless configured otherwise: a supervisor starts the day there, not
    on the oldest tasks. An empty or unknown setting lands on every task.
    """
    url = default_view_url(request.user)
    if url is None:
        preset = settings.ACTIVITIES_DEFAULT_RANGE
        url = reverse("task_list") + (f"?range={preset}" if preset in RANGE_TOKENS else "")
    return redirect(url)


@require_safe
@supervisor_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The task list: filters, status tabs, one page of tasks, or the API's error."""
    if _wants_canonical_url(request):
        return _canonical_redirect(request)
    form = bound_form(request.GET)
    if not form.is_valid():
        return render(request, TEMPLATE, _list_context(request, form), status=400)
    now = form.now
    try:
        listing, counts = _fetch(form)
    except api.ApiError as exc:
        ctx = {**_list_context(request, form, now), "filters": form.active_filters()}
        return error_response(request, exc, what="task list", template=TEMPLATE, context=ctx)
    rows = tables.rows(listing.version, RowFormatter(request, now), listing.page.tasks)
    draw = functools.partial(_render_list, request, form, now, listing, counts)
    # "Updated 12 s ago" changes every second, and the rows with the data: holes in the
    # kept page, not key parts.
    age_hole = (FRESHNESS, age(listing.age_seconds))
    key = _page_key(form, listing, counts)
    return pages.respond(request, key, draw, age_hole, (ROWS_AFTER, rows))


def _render_list(request, form, now, listing, counts, rows) -> HttpResponse:
    ctx = _list_context(request, form, now)
    ctx.update(
        filters=form.active_filters(),
        rows=rows,
        listing=listing,
        counts=counts,
        page=listing.page,
        pager=Pager.from_meta(listing.page.meta, shown=len(listing.page.tasks)),
    )
    return render(request, TEMPLATE, ctx)


def _page_key(form: TaskFilterForm, listing, counts) -> tuple | None:
    """What the page around the rows shows besides the request's own parts
    (kept_pages), or None when it is not kept: data stale or from the local copy,
    whose notices say when and why."""
    if listing.source not in ("api", "cache"):
        return None
    return (
        listing.page.meta,  # the count line, the paginators, the export links' total
        len(listing.page.tasks),
        None if counts is None else (tuple(counts.items()), counts.as_of),
        form.range_in_words(),
    )


def _wants_canonical_url(request: HttpRequest) -> bool:
    # A submitted filter bar sends every field, and Refresh adds refresh=1: the
    # bookmarkable URL keeps neither.
    return request.GET.get("refresh") == "1" or any(v == "" for v in request.GET.values())


def _canonical_redirect(request: HttpRequest) -> HttpResponse:
    """To the same view without blanks or refresh=1, refreshing the cache first if asked."""
    changes = {"refresh": None}
    if _dates_replace_preset(request):
        changes["range"] = None
    response = redirect(request.path + querystring(request, **changes))
    if request.GET.get("refresh") == "1":
        _refresh(request)
    return response


def _dates_replace_preset(request: HttpRequest) -> bool:
    """True, with a message saying so, when the filter bar sent dates and a preset.

    "/" lands on `range=today`, so a supervisor who types dates into the filter bar
    has "When" still on Today: the dates typed last win. A hand-written URL with both
    (no blanks) still gets the form error: precedence is only assumed for the bar.
    """
    data = request.GET
    preset = data.get("range", "")
    has_blanks = any(value == "" for value in data.values())
    if not (has_blanks and preset and (data.get("scheduled_from") or data.get("scheduled_to"))):
        return False
    label = token_label(preset) if preset in RANGE_TOKENS else preset
    messages.info(
        request,
        gettext("The dates you entered replaced the preset “%(preset)s”.") % {"preset": label},
    )
    return True


def _list_context(request: HttpRequest, form: TaskFilterForm, now=None) -> dict:
    return {
        "form": form,
        "filters": [],
        "listing": None,
        "counts": None,
        "page": None,
        "pager": None,
        "error": None,
        "now": now or timezone.now(),
        "export_max_rows": settings.ACTIVITIES_EXPORT_MAX_ROWS,
        "status_tabs": service.STATUS_TABS,
        "saved": sidebar_context(request),
    }


def _fetch(form: TaskFilterForm, *, refresh: bool = False):
    """The listing and its status-tab counts (None for overdue, which is all pending)."""
    query = form.query()
    if form.cleaned_data["range"] == "overdue":
        return service.list_tasks(query, refresh=refresh), None
    return service.list_with_counts(query, refresh=refresh)


def _refresh(request: HttpRequest) -> None:
    """Fetch the view anew into the cache, so the redirect that follows shows it."""
    form = TaskFilterForm(request.GET)
    if form.is_valid():
        try:
            listing, _ = _fetch(form, refresh=True)
        except api.ApiError as exc:
            log_failure("refresh", exc)
            return  # the page it lands on shows the error
        if listing.is_stale:
            # The page it lands on shows the cached copy: say that it is not new.
            messages.warning(
                request,
                gettext("Refreshing failed. %(reason)s") % {"reason": listing.error.message},
            )


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. No API call, no sign-in."""
    return JsonResponse({"status": "ok"})


class _Readiness:
    """The outcome of the last readiness call, kept ACTIVITIES_READYZ_TTL seconds.

    /readyz needs no sign-in, so without this every request to it would be an API
    call. One lock: while a check runs, other requests wait for its outcome.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._outcome: tuple[str, int] = ("ok", 0)

    def outcome(self) -> tuple[str, int]:
        """The readiness token ("ok" or an `ApiError.readiness`) and the call's latency (ms)."""
        with self._lock:
            ttl = settings.ACTIVITIES_READYZ_TTL
            if self._checked_at is None or self._clock() - self._checked_at >= ttl:
                self._outcome = self._check()
                self._checked_at = self._clock()
            return self._outcome

    def forget(self) -> None:
        with self._lock:
            self._checked_at = None

    @staticmethod
    def _check() -> tuple[str, int]:
        started = time.monotonic()
        try:
            api.list_tasks(api.TaskQuery(per_page=1), cache="off")
        except api.ApiError as exc:
            log_failure("readiness check", exc)
            outcome = exc.readiness
        else:
            outcome = "ok"
        return outcome, round((time.monotonic() - started) * 1000)


_readiness = _Readiness()


@receiver(setting_changed)
def _forget_readiness(*, setting: str, **kwargs) -> None:
    if setting.startswith("ACTIVITIES_"):
        _readiness.forget()


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Whether the API answered a cheap call lately: its outcome token and latency.

    No sign-in; meant for a load balancer. The outcome is reused for
    ACTIVITIES_READYZ_TTL seconds.
    """
    outcome, latency_ms = _readiness.outcome()
    ok = outcome == "ok"
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "api": {"outcome": outcome, "latency_ms": latency_ms},
        },
        status=200 if ok else 503,
    )
