"""The dashboard's pages: thin views over the filter form and the API client."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from . import client
from .formatting import querystring
from .forms import TaskFilterForm
from .paging import Pager

logger = logging.getLogger(__name__)


@require_safe
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    # A submitted filter bar sends every field; bookmarks keep only what is set.
    if any(value == "" for value in request.GET.values()):
        return redirect(request.path + querystring(request))

    form = TaskFilterForm(request.GET)
    ctx = {"form": form, "page": None, "pager": None, "error": None}
    if not form.is_valid():
        return render(request, "activities/task_list.html", ctx, status=400)

    try:
        page = client.list_tasks(form.query())
    except client.ApiError as exc:
        logger.warning("task list failed: %s %s", type(exc).__name__, exc.detail or exc)
        ctx["error"] = exc
        return render(request, "activities/task_list.html", ctx, status=exc.http_status)

    ctx["page"] = page
    ctx["pager"] = Pager.from_meta(page.meta, shown=len(page.tasks))
    return render(request, "activities/task_list.html", ctx)
