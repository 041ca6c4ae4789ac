"""What a signed-in user keeps: saved views of the task list, and a time zone.

A saved view stores the task list's query string as text, not as dates, so that a
relative range (`range=today`) is still relative when the view is opened tomorrow.
"""

from __future__ import annotations

import contextlib
import functools
import zoneinfo
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from . import ranges
from .forms import FILTER_NAMES

# The task list's parameters a saved view keeps, in the filter bar's order. `page` and
# `refresh` are left out on purpose: a saved view opens at page 1, fresh. Taken from the
# form, so that a filter the bar gains can be saved too.
# The team pages add their own `route` and `sort` (team.filters).
SAVED_PARAMS: tuple[str, ...] = (*FILTER_NAMES, "per_page", "route", "sort")
MAX_VALUE_LENGTH = 200
MAX_QUERY_LENGTH = 1000

_PARAM_LABELS: dict[str, str] = {
    "status": gettext_lazy("Status"),
    "result_status": gettext_lazy("Result"),
    "channel": gettext_lazy("Channel"),
    "external_commerce_id": gettext_lazy("Commerce ID"),
    "external_operator_id": gettext_lazy("Operator ID"),
    "scheduled_from": gettext_lazy("Scheduled from"),
    "scheduled_to": gettext_lazy("Scheduled to"),
    "range": gettext_lazy("When"),  # the filter bar's label
    "per_page": gettext_lazy("Per page"),
    "route": gettext_lazy("Route"),
    "sort": gettext_lazy("Sort"),
}

# The pages a saved view can belong to: (value, URL name).
PAGES = {"tasks": "task_list", "team": "team"}

# Names in the zone database that are not places a person lives in.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


def _query_pairs(query: Mapping[str, str] | str) -> list[tuple[str, str]]:
    """The saved parameters of `query` with their (stripped, non-empty) values, in order."""
    if isinstance(query, str):
        # dict() keeps the last of repeated names, as QueryDict.get does.
        values = dict(parse_qsl(query.removeprefix("?"), keep_blank_values=False))
    else:
        values = {name: query.get(name) for name in SAVED_PARAMS}
    pairs = []
    for name in SAVED_PARAMS:
        value = (values.get(name) or "").strip()
        if value:
            pairs.append((name, value))
    return pairs


def normalise_query(query: Mapping[str, str] | str) -> str:
    """A task-list query (a QueryDict, a dict or a query string) as a saved view keeps it.

    Returns "status=PENDING&range=today": only the names in SAVED_PARAMS, in that
    order, without empty values, urlencoded; "" when nothing is left. Never raises;
    over-long values are kept for `validate_query` to refuse.
    """
    return urlencode(_query_pairs(query))


def validate_query(query: str) -> None:
    """Raise ValidationError when a (normalised) query has a value that is too long."""
    for name, value in _query_pairs(query):
        if len(value) > MAX_VALUE_LENGTH:
            raise ValidationError(
                gettext_lazy(
                    "The filter %(name)s is too long to save (%(max)s characters at most)."
                ),
                code="value_too_long",
                params={"name": _PARAM_LABELS[name], "max": MAX_VALUE_LENGTH},
            )


def describe_query(query: str) -> str:
    """The filters in words: "Status: PENDING · Channel: CALLCENTER · When: Today"."""
    parts = []
    for name, value in _query_pairs(query):
        if name == "range":
            # An unknown token is shown as it is; the task list explains it.
            with contextlib.suppress(ValueError):
                value = ranges.token_label(value)
        parts.append(
            gettext("%(label)s: %(value)s") % {"label": _PARAM_LABELS[name], "value": value}
        )
    return " · ".join(parts) if parts else gettext("All tasks")


@functools.cache
def time_zone_names() -> frozenset[str]:
    """Every time zone a user may choose, e.g. "America/Santiago" (read once)."""
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


def is_time_zone(name: str | None) -> bool:
    return bool(name) and name in time_zone_names()


def validate_time_zone(name: str) -> None:
    if name and not is_time_zone(name):
        raise ValidationError(
            gettext_lazy("%(name)s is not a time zone."), code="invalid", params={"name": name}
        )


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=gettext_lazy("owner"),
    )
    name = models.CharField(gettext_lazy("name"), max_length=80)
    query = models.CharField(
        gettext_lazy("filters"),
        max_length=MAX_QUERY_LENGTH,
        blank=True,
        validators=[validate_query],
        help_text=gettext_lazy("The task list's query string, e.g. status=PENDING&range=today."),
    )
    # A saved view remembers which page it belongs to: the task list or the team overview.
    page = models.CharField(
        gettext_lazy("page"),
        max_length=16,
        default="tasks",
        blank=True,
        choices=[("tasks", gettext_lazy("Tasks")), ("team", gettext_lazy("Team"))],
    )
    shared = models.BooleanField(gettext_lazy("shared with the team"), default=False)
    is_default = models.BooleanField(gettext_lazy("default view"), default=False)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    updated = models.DateTimeField(gettext_lazy("updated"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("saved view")
        verbose_name_plural = gettext_lazy("saved views")
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="saved_view_unique_name_per_owner",
                violation_error_message=gettext_lazy("You already have a view with this name."),
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_default=True),
                name="saved_view_one_default_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Save with the query normalised; a new default replaces the owner's old one."""
        self.query = normalise_query(self.query)
        with transaction.atomic():
            if self.is_default:
                others = SavedView.objects.filter(owner_id=self.owner_id, is_default=True)
                others.exclude(pk=self.pk).update(is_default=False)
            super().save(*args, **kwargs)

    @property
    def url(self) -> str:
        """The page showing this view: "/tasks/?status=PENDING&range=today"."""
        base = reverse(PAGES.get(self.page, "task_list"))
        return f"{base}?{self.query}" if self.query else base

    @property
    def description(self) -> str:
        return describe_query(self.query)


class UserPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="preference",
        verbose_name=gettext_lazy("user"),
    )
    timezone = models.CharField(
        gettext_lazy("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=gettext_lazy("Empty: follow the browser, or else the server's time zone."),
    )

    class Meta:
        verbose_name = gettext_lazy("preference")
        verbose_name_plural = gettext_lazy("preferences")

    def __str__(self) -> str:
        return str(self.user)


class TaskAccess(models.Model):
    """No table: it only carries the permission to see the Integration API's tasks.

    The server holds a key that reads every task, so being signed in is not enough:
    the "Supervisors" group (made by a data migration) grants `view_tasks`.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_tasks", "Can view the tasks of the Integration API")]

    def __str__(self) -> str:
        return "Access to tasks"
