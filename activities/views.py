"""The dashboard's pages: thin views over the filter form and the task service."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import client, service
from .access import supervisor_required
from .formatting import RowFormatter, querystring
from .forms import TaskFilterForm
from .paging import Pager
from .ranges import RANGE_TOKENS
from .saved_views import default_view_url, sidebar_context

logger = logging.getLogger(__name__)


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
    # A submitted filter bar sends every field, and Refresh adds refresh=1: the
    # bookmarkable URL keeps neither.
    refresh = request.GET.get("refresh") == "1"
    if refresh or any(value == "" for value in request.GET.values()):
        response = redirect(request.path + querystring(request, refresh=None))
        if refresh:
            _refresh(request)
        return response

    form = TaskFilterForm(request.GET)
    ctx = {
        "form": form,
        "filters": [],
        "listing": None,
        "counts": None,
        "page": None,
        "pager": None,
        "error": None,
        "now": timezone.now(),
        "export_max_rows": settings.ACTIVITIES_EXPORT_MAX_ROWS,
        "status_tabs": service.STATUS_TABS,
        "saved": sidebar_context(request),
    }
    if not form.is_valid():
        return render(request, "activities/task_list.html", ctx, status=400)
    ctx["filters"] = form.active_filters()

    try:
        listing, counts = _fetch(form)
    except client.ApiError as exc:
        logger.warning("task list failed: %s %s", type(exc).__name__, exc.detail or exc)
        ctx["error"] = exc
        return render(request, "activities/task_list.html", ctx, status=exc.http_status)

    ctx.update(
        rows=RowFormatter(request, ctx["now"]).rows(listing.page.tasks),
        listing=listing,
        counts=counts,
        page=listing.page,
        pager=Pager.from_meta(listing.page.meta, shown=len(listing.page.tasks)),
    )
    return render(request, "activities/task_list.html", ctx)


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
        except client.ApiError:
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


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Whether the API answers a cheap call now: its outcome and latency. No sign-in."""
    started = time.monotonic()
    try:
        client.list_tasks(client.TaskQuery(per_page=1), cache="off")
    except client.ApiError as exc:
        outcome, status = type(exc).__name__.removeprefix("Api"), 503
    else:
        outcome, status = "ok", 200
    latency_ms = round((time.monotonic() - started) * 1000)
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            "api": {"outcome": outcome, "latency_ms": latency_ms},
        },
        status=status,
    )
