"""The team pages' filters: a django-filter FilterSet over the local copy of the tasks.

Named as on `/tasks/` where the API has the parameter, so a link from one to the other
means the same view; `external_operator_id`, `external_commerce_id` and `route` repeat.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from activities import api, l10n, ranges
from activities.formatting import humanize
from activities.forms import EARLIEST_DAY, LATEST_DAY, MAX_ID_LENGTH, channel_values
from mirror.freshness import window
from mirror.models import TaskRecord

MAX_REPEATS = 50
# The key of the row of tasks without an operator (or route) in the team pages' URLs.
NONE_KEY = "_none"


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, the days it covers and how the URL asked for it."""

    start: datetime
    end: datetime
    preset: str  # the range token, "" when dates (or nothing) chose the period
    first_day: date
    last_day: date

    @property
    def previous(self) -> tuple[datetime, datetime] | None:
        """The period of the same length just before, None for `overdue` (open start)."""
        if self.preset == "overdue":
            return None
        return self.start - (self.end - self.start), self.start

    @property
    def hourly(self) -> bool:
        return self.first_day == self.last_day

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def resolve_period(data: dict, *, now: datetime) -> Period:
    """The period a valid form asks for: its range, its dates, else today (local days)."""
    tz = timezone.get_current_timezone()
    preset = data.get("range") or ""
    first, last = data.get("scheduled_from"), data.get("scheduled_to")
    if preset == "overdue":
        start = window(now)[0]
        local_start = start.astimezone(tz).date()
        return Period(start, now, preset, local_start, timezone.localtime(now, tz).date())
    if preset or not (first or last):
        preset = preset or "today"  # no period asked for: today, as the links say
        resolved = ranges.resolve(preset, now=now, tz=tz)
        first, last = resolved.first_day, resolved.last_day
    else:
        win_start, win_end = window(now)
        first = first or win_start.astimezone(tz).date()
        last = last or (win_end.astimezone(tz) - timedelta(microseconds=1)).date()
    start = ranges.start_of_day(first, tz)
    end = ranges.start_of_day(last + timedelta(days=1), tz)
    return Period(start, end, preset, first, last)


class RepeatableField(forms.Field):
    """A parameter that may repeat (`?route=A&route=B`): a list of stripped values."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        values = [value] if isinstance(value, str) else value
        return [v.strip() for v in values if v and v.strip()]

    def validate(self, value: list[str]) -> None:
        if len(value) > MAX_REPEATS:
            raise forms.ValidationError(
                gettext("Choose at most %(count)s.") % {"count": MAX_REPEATS}
            )
        if any(len(v) > MAX_ID_LENGTH for v in value):
            raise forms.ValidationError(
                gettext("Each value must be at most %(count)s characters.")
                % {"count": MAX_ID_LENGTH}
            )


class RepeatableFilter(django_filters.Filter):
    field_class = RepeatableField

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


def _keep(queryset: QuerySet, name: str, value) -> QuerySet:
    # The period and the sort are applied as a whole in TeamFilterSet, not one by one.
    return queryset


class TeamFilterForm(forms.Form):
    """Cross-field rules, as on `/tasks/`; leaves the resolved `period` on the form."""

    now: datetime | None = None
    period: Period | None = None

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("scheduled_from"), data.get("scheduled_to")
        for name in ("scheduled_from", "scheduled_to"):
            day = data.get(name)
            if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(
                    name,
                    gettext("Enter a date between %(first)s and %(last)s.")
                    % {"first": f"{EARLIEST_DAY:%Y}", "last": f"{LATEST_DAY:%Y}"},
                )
        if first and last and first > last:
            self.add_error(
                "scheduled_to", gettext("The end date must be on or after the start date.")
            )
        if data.get("range") and (first or last):
            self.add_error("range", gettext("Choose a preset range or dates, not both."))
        if data.get("range") == "overdue" and data.get("status") not in ("", None, "PENDING"):
            self.add_error("status", gettext("Overdue tasks are pending ones; clear the status."))
        if not self.errors:
            self.period = resolve_period(data, now=self.now or timezone.now())
        return data


def _choices(values) -> list[tuple[str, str]]:
    # Called for each form, so the words are in the language of the request.

    return [(v, humanize(v)) for v in values]


class TeamFilterSet(django_filters.FilterSet):
    """Filters for `/team/` and its detail pages; `qs` is the period's tasks.

    `sort_choices` names the columns the page can sort by (`-` for descending).
    """

    range = django_filters.ChoiceFilter(
        label=gettext_lazy("When"), method=_keep, empty_label=gettext_lazy("Today")
    )
    scheduled_from = django_filters.DateFilter(
        label=gettext_lazy("Scheduled from"), method=_keep, input_formats=["%Y-%m-%d"]
    )
    scheduled_to = django_filters.DateFilter(
        label=gettext_lazy("Scheduled to"), method=_keep, input_formats=["%Y-%m-%d"]
    )
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel"), empty_label=gettext_lazy("Any channel")
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=functools.partial(_choices, api.STATUSES),
        empty_label=gettext_lazy("Any status"),
    )
    result_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Result"),
        choices=functools.partial(_choices, api.RESULT_STATUSES),
        empty_label=gettext_lazy("Any result"),
    )
    external_operator_id = RepeatableFilter(
        label=gettext_lazy("Operator"), field_name="operator_external_id"
    )
    external_commerce_id = RepeatableFilter(
        label=gettext_lazy("Commerce"), field_name="commerce_external_id"
    )
    route = RepeatableFilter(label=gettext_lazy("Route"), field_name="route_code")
    sort = django_filters.ChoiceFilter(label=gettext_lazy("Sort"), method=_keep)

    class Meta:
        model = TaskRecord
        fields: list[str] = []
        form = TeamFilterForm

    def __init__(self, data=None, *, now: datetime, sort_choices: tuple[str, ...] = ()):
        super().__init__(data, queryset=TaskRecord.objects.all())
        self.now = now
        self.filters["range"].extra["choices"] = [
            (token, ranges.token_label(token)) for token in ranges.RANGE_TOKENS
        ]
        self.filters["channel"].extra["choices"] = [(c, c) for c in channel_values()]
        self.filters["sort"].extra["choices"] = [
            (f"{sign}{name}", f"{sign}{name}") for name in sort_choices for sign in ("", "-")
        ]

    @property
    def form(self) -> TeamFilterForm:
        form = super().form
        form.now = self.now
        return form

    @property
    def period(self) -> Period:
        """The period of a valid filterset."""
        return self.form.period

    @property
    def sort_key(self) -> str:
        return self.form.cleaned_data.get("sort") or ""

    def base_queryset(self) -> QuerySet:
        """Every filter but the period: for the previous period and the detail pages."""
        queryset = super().filter_queryset(self.queryset.all())
        if self.period.preset == "overdue":
            queryset = queryset.filter(status="PENDING")
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return within(self.base_queryset(), self.period.start, self.period.end)


def within(queryset: QuerySet, start: datetime, end: datetime) -> QuerySet:
    """The tasks scheduled in [start, end): tasks without `scheduled_at` are in none."""
    return queryset.filter(scheduled_at__gte=start, scheduled_at__lt=end)


def chips(filterset: TeamFilterSet, names: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(parameter, value, label, value in words) per filter in use, for removable chips.

    `names` maps operator and commerce ids to their names, so a chip shows the name.
    """
    data = filterset.form.cleaned_data
    active = []
    for name, field in filterset.form.fields.items():
        if name == "sort":
            continue
        value = data.get(name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item in (None, ""):
                continue
            if isinstance(item, date):
                text = l10n.day_month_year(item)
            elif isinstance(field, forms.ChoiceField):
                text = dict(field.choices).get(item, item)
            else:
                text = names.get(item) or item
            raw = item.isoformat() if isinstance(item, date) else item
            active.append((name, raw, str(field.label), str(text)))
    return active
