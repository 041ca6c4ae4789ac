"""The team pages: thin views over the filterset (team.filters) and the numbers (team.pages).

Every page reads the local copy only: opening one makes no API call.
"""

from __future__ import annotations

import functools

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from activities.access import supervisor_required
from activities.saved_views import sidebar_context

from . import kept, links, names, pages, summary
from .filters import TeamFilterSet

OVERVIEW = "team/overview.html"


def _tidy(request: HttpRequest) -> HttpResponse | None:
    """A submitted filter bar sends empty fields too: the bookmarkable URL drops them."""
    if not any(v == "" for _, values in request.GET.lists() for v in values):
        return None
    filled = request.GET.copy()
    for name, values in request.GET.lists():
        filled.setlist(name, [v for v in values if v != ""])
    return redirect(f"{request.path}?{filled.urlencode()}")


def _page(request, template: str, sort_choices, build, keep=None) -> HttpResponse:
    """Validate the filters (400 with the field's error), then render what `build` makes;
    with `keep(fs, now, freshness)` (team.kept), a page kept under its key if any."""
    now = kept.clock()
    fs = TeamFilterSet(request.GET, now=now, sort_choices=tuple(sort_choices))
    if not fs.is_valid():
        return render(request, template, _context(request, template, fs), status=400)

    # A kept page's key needs the freshness; a drawn page shows the same one.
    fresh = pages.freshness(fs.period.start, fs.period.end, now=now) if keep else None

    def draw() -> HttpResponse:
        ctx = _context(request, template, fs)
        ctx.update(pages.common(fs, now=now, fresh=fresh))
        ctx.update(build(fs, now))
        return render(request, template, ctx)

    kept_as = keep(fs, now, fresh) if keep else None
    if kept_as is None:
        return draw()
    return kept.pages.respond(request, kept_as[0], draw, kept_as[1])


def _context(request, template: str, fs: TeamFilterSet) -> dict:
    return {
        "form": fs.form,
        "filterset": fs,
        # Saved views belong to the overview: a view saved there reopens /team/.
        "saved": sidebar_context(request, page="team") if template == OVERVIEW else None,
        "q": functools.partial(links.query, request),
        "datalists": names.datalists(),
    }


@require_safe
@supervisor_required
def overview(request: HttpRequest) -> HttpResponse:
    return _tidy(request) or _page(
        request,
        OVERVIEW,
        pages.GROUP_COLUMNS,
        lambda fs, now: pages.overview(fs, now=now),
        lambda fs, now, freshness: kept.overview_key(fs, now=now, freshness=freshness),
    )


@require_safe
@supervisor_required
def operator(request: HttpRequest, external_id: str) -> HttpResponse:
    def build(fs, now):
        ctx = pages.detail(
            fs, "operator_external_id", external_id, now=now, page=request.GET.get("page")
        )
        ctx["timeline"] = pages.operator_timeline(ctx["queryset"], fs, now=now)
        return ctx

    def keep(fs, now, freshness):
        return kept.operator_key(fs, external_id, now=now, freshness=freshness)

    return _tidy(request) or _page(request, "team/operator.html", pages.TASK_COLUMNS, build, keep)


@require_safe
@supervisor_required
def route(request: HttpRequest, code: str) -> HttpResponse:
    def build(fs, now):
        ctx = pages.detail(fs, "route_code", code, now=now, page=request.GET.get("page"))
        ctx["operators"] = pages.stats.by_operator(ctx["queryset"], now=now)
        return ctx

    return _tidy(request) or _page(request, "team/route.html", pages.TASK_COLUMNS, build)


@require_safe
@supervisor_required
def commerce(request: HttpRequest, external_id: str) -> HttpResponse:
    def build(fs, now):
        return pages.commerce(external_id, now=now, page=request.GET.get("page"))

    return _tidy(request) or _page(request, "team/commerce.html", (), build)


@require_safe
@supervisor_required
def summary_json(request: HttpRequest) -> JsonResponse:
    """The overview's numbers as JSON (README: "Team overview"); 400 with the errors."""
    now = kept.clock()
    fs = TeamFilterSet(request.GET, now=now, sort_choices=pages.GROUP_COLUMNS)
    if not fs.is_valid():
        return JsonResponse({"errors": fs.form.errors.get_json_data()}, status=400)
    return JsonResponse(summary.build(fs, now=now), json_dumps_params={"ensure_ascii": False})
