"""Saved views: a user's named task-list filters, in a sidebar and on a manage page.

Only the owner may change a view. Another user's private view does not exist as far
as anyone else can tell (404, never 403); a shared one can be opened but not changed.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import NamedTuple

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import api, service, user_cache
from .access import supervisor_required
from .forms import TaskFilterForm, validate_list_query
from .models import (
    MAX_QUERY_LENGTH,
    SavedView,
    describe_query,
    normalise_query,
    validate_query,
)

__all__ = [
    "default_view_url",
    "normalise_query",
    "sidebar_context",
]

TEMPLATE = "activities/saved_views.html"


# --- Forms ---------------------------------------------------------------------------


class _UniqueNameMixin:
    """A name the owner has not used yet, compared case-insensitively.

    The database constraint says the same, but ModelForm skips it because `owner` is
    not a form field; checking here puts the message next to the name field.
    """

    owner = None

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        taken = SavedView.objects.filter(owner=self.owner, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                gettext_lazy("You already have a view named “%(name)s”."),
                code="unique",
                params={"name": name},
            )
        return name


class SaveViewForm(_UniqueNameMixin, forms.ModelForm):
    """Save the current filters (`query`, a hidden field) under a name."""

    class Meta:
        model = SavedView
        fields = ["name", "query", "page", "shared", "is_default"]
        labels = {
            "name": gettext_lazy("Name"),
            "shared": gettext_lazy("Share with the team"),
            "is_default": gettext_lazy("Use as my default"),
        }
        widgets = {"query": forms.HiddenInput, "page": forms.HiddenInput}

    def __init__(self, *args, owner, **kwargs) -> None:
        kwargs.setdefault("auto_id", "save-view-%s")
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.instance.owner = owner
        # The hidden query may carry a page, a refresh or junk: they are dropped, so
        # only the normalised length counts.
        self.fields["query"].max_length = None
        self.fields["query"].validators = []

    def clean_page(self) -> str:
        # A form from before views had pages saves a task-list view.
        return self.cleaned_data.get("page") or "tasks"

    def clean_query(self) -> str:
        query = normalise_query(self.cleaned_data["query"])
        validate_query(query)
        # What the task list would refuse is not stored (issue 10).
        validate_list_query(query)
        if len(query) > MAX_QUERY_LENGTH:
            raise forms.ValidationError(
                gettext_lazy("These filters are too long to save."), code="too_long"
            )
        return query


class RenameForm(_UniqueNameMixin, forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name"]
        labels = {"name": gettext_lazy("New name")}

    def __init__(self, *args, **kwargs) -> None:
        instance = kwargs["instance"]
        # Each row of the manage page has one: their ids must not clash.
        kwargs.setdefault("auto_id", f"rename-{instance.pk}-%s")
        super().__init__(*args, **kwargs)
        self.owner = instance.owner_id


def _save(form: forms.ModelForm) -> SavedView | None:
    """Save a valid form; None (with the error on the name) when a twin won the race."""
    try:
        return form.save()
    except IntegrityError:
        form.add_error("name", gettext("You already have a view with this name."))
        return None


# --- For the task list ---------------------------------------------------------------


class _Sidebar(dict):
    """`sidebar_context`'s dict, whose views and form are built when first read.

    A sidebar is drawn once per language and `key` (dashboard/jinja2.py, `saved_views`):
    the pages after read only the key, and building a few views (Django model
    instances) and the form cost about as much as the rest of the sidebar.
    """

    def __missing__(self, name: str):
        if name == "form":
            initial = {"query": self["query"], "page": self["page"]}
            self["form"] = SaveViewForm(initial=initial, owner=self["owner"])
        elif name in ("mine", "team", "current_id", "is_saved"):
            self.update(_views(self["owner"], self["page"], self["query"], self["rows"]))
        else:
            raise KeyError(name)
        return self[name]


def _views(user, page: str, query: str, rows: tuple) -> dict:
    views = [v for v in user_cache.sidebar_views(rows) if v.page == page]
    mine = [v for v in views if v.owner_id == user.pk]
    team = [v for v in views if v.owner_id != user.pk]
    current = next((v for v in mine + team if v.query == query), None)
    return {
        "mine": mine,
        "team": team,
        "current_id": current.pk if current else None,
        "is_saved": any(v.query == query for v in mine),
    }


def sidebar_context(request: HttpRequest, page: str = "tasks") -> dict:
    """What `_saved_views.html` needs, as the template variable `saved` (no query while
    the user's views are cached: activities/user_cache.py). `mine`: the user's views;
    `team`: others' shared views; `query`: the filters, normalised; `current_id`: the
    first view (mine, then the team's) with these filters, or None; `is_saved`: one of
    mine has them; `form`: "Save this view"; `key`: what all of it depends on."""
    user = request.user
    query = normalise_query(request.GET)
    rows = user_cache.sidebar_rows(user)
    return _Sidebar(query=query, page=page, owner=user, rows=rows, key=(user.pk, page, query, rows))


def default_view_url(user) -> str | None:
    """The URL of `user`'s default view, e.g. "/tasks/?range=today"; otherwise None.

    A default without filters is the bare task list (every task); None for anonymous
    users and for users without a default. One query.
    """
    if not user.is_authenticated:
        return None
    query = (
        SavedView.objects.filter(owner=user, is_default=True)
        .values_list("query", flat=True)
        .first()
    )
    return SavedView(query=query).url if query is not None else None


# --- What each view shows, and how many tasks it matches now ---------------------------

# Shared by all requests: the counts are I/O-bound API calls made side by side.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="saved-views")


def summaries(views: list[SavedView]) -> dict[int, Summary]:
    """{view id: its filters in the chips' words, and how many tasks it matches now}.

    One `per_page=1` call per view, side by side, cached like the status tabs' counts
    (service.list_tasks). The count is None for a call that failed, and no call is made
    at all while the API is known to be down (its circuit is open).
    """
    forms_ = {view.pk: TaskFilterForm(QueryDict(view.query)) for view in views}
    calls = not api.circuit_open()
    futures = {}
    for pk, form in forms_.items():
        if form.is_valid() and calls:
            query = replace(form.query(), page=1, per_page=1)
            futures[pk] = _pool.submit(contextvars.copy_context().run, service.list_tasks, query)
    result = {}
    for view in views:
        form = forms_[view.pk]
        filters = form.active_filters() if form.is_valid() else []
        words = " · ".join(f"{label}: {text}" for _, label, text in filters)
        described = words or view.description
        result[view.pk] = Summary(described, _total(futures.get(view.pk)))
    return result


class Summary(NamedTuple):
    description: str
    count: int | None


def _total(future) -> int | None:
    if future is None:
        return None
    try:
        return future.result().page.meta.total
    except api.ApiError:
        return None


# --- Views ---------------------------------------------------------------------------


def _manage_page(
    request: HttpRequest,
    *,
    save_form: SaveViewForm | None = None,
    bound_rename: RenameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows, team = _rows(request.user, bound_rename)
    ctx = {
        "rows": rows,
        "team": team,
        "save_form": save_form,
        "confirm": None,
        "summaries": summaries([view for view, _ in rows] + team),
    }
    if save_form is not None:
        ctx["save_query"] = normalise_query(save_form.data.get("query", ""))
        ctx["save_description"] = describe_query(ctx["save_query"])
    return render(request, TEMPLATE, ctx, status=status)


def _rows(user, bound_rename: RenameForm | None) -> tuple[list, list[SavedView]]:
    """(the user's views, each with its rename form; the team's shared views).

    `bound_rename`, a rename that failed, stands in for its view's blank form.
    """
    views = SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")
    rows, team = [], []
    for view in views:
        if view.owner_id != user.pk:
            team.append(view)
        elif bound_rename is not None and bound_rename.instance.pk == view.pk:
            rows.append((view, bound_rename))
        else:
            rows.append((view, RenameForm(instance=view)))
    return rows, team


def _own_view(request: HttpRequest, pk: int) -> SavedView:
    """The user's own view, or 404: another user's view, shared or not, is not theirs."""
    return get_object_or_404(SavedView, pk=pk, owner=request.user)


@require_safe
@supervisor_required
def saved_views(request: HttpRequest) -> HttpResponse:
    return _manage_page(request)


@supervisor_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SaveViewForm(request.POST, owner=request.user)
    view = _save(form) if form.is_valid() else None
    if view is None:
        # Shown on the manage page, the errors sit next to the fields they are about.
        return _manage_page(request, save_form=form, status=400)
    messages.success(request, gettext("Saved this view as “%(name)s”.") % {"name": view.name})
    return redirect(view.url)


@supervisor_required
@require_POST
def saved_view_rename(request: HttpRequest, pk: int) -> HttpResponse:
    view = _own_view(request, pk)
    old_name = view.name
    form = RenameForm(request.POST, instance=view)
    if not form.is_valid() or _save(form) is None:
        return _manage_page(request, bound_rename=form, status=400)
    messages.success(
        request,
        gettext("Renamed “%(old)s” to “%(new)s”.") % {"old": old_name, "new": view.name},
    )
    return redirect("saved_views")


@supervisor_required
@require_http_methods(["GET", "HEAD", "POST"])
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for a confirmation (no JavaScript needed); POST deletes."""
    view = _own_view(request, pk)
    if request.method != "POST":
        ctx = {"confirm": view, "rows": [], "team": [], "save_form": None}
        return render(request, TEMPLATE, ctx)
    view.delete()
    messages.success(request, gettext("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect("saved_views")


# The two settings an owner turns on and off: the field, then what the message says.
_TOGGLES = {
    "is_default": (
        gettext_lazy("“%(name)s” is now your default view."),
        gettext_lazy("“%(name)s” is no longer your default view."),
    ),
    "shared": (
        gettext_lazy("“%(name)s” is now shared with the team."),
        gettext_lazy("“%(name)s” is now private."),
    ),
}


@supervisor_required
@require_POST
def saved_view_toggle(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Turn `field` on with `<field>=1`, off with anything else (see user_urls.py).

    `is_default` makes the view the user's landing view (replacing the old one);
    `shared` shows it to the whole team.
    """
    view = _own_view(request, pk)
    setattr(view, field, request.POST.get(field) == "1")
    view.save(update_fields=[field, "updated"])
    on, off = _TOGGLES[field]
    messages.success(request, (on if getattr(view, field) else off) % {"name": view.name})
    return redirect("saved_views")


@supervisor_required
@require_POST
def saved_view_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a team view into the user's own; `is_default=1` also makes it their default."""
    visible = SavedView.objects.filter(Q(owner=request.user) | Q(shared=True))
    source = get_object_or_404(visible, pk=pk)
    names = SavedView.objects.filter(owner=request.user).values_list("name", flat=True)
    taken = {name.casefold() for name in names}
    name, n = source.name, 1
    while name.casefold() in taken:
        n += 1
        name = f"{source.name} ({n})"
    view = SavedView.objects.create(
        owner=request.user,
        name=name[: SavedView._meta.get_field("name").max_length],
        query=source.query,
        is_default=request.POST.get("is_default") == "1",
    )
    if view.is_default:
        text = gettext("“%(name)s” is now your default view.")
    else:
        text = gettext("Copied “%(name)s” into your views.")
    messages.success(request, text % {"name": view.name})
    return redirect("saved_views")
