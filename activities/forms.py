"""The filter form: its field names are the API's query parameters.

A plain `forms.Form` rather than a django-filter `FilterSet`: without a model a
FilterSet cannot be built (it reaches for a manager) and its `.qs` is useless, so
its only gain would be widgets Django already has.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone

from . import client

PER_PAGE_CHOICES = (10, 20, 50, 100)
DEFAULT_PER_PAGE = 20
MAX_ID_LENGTH = 64
# A page number past this is a typo, not a request; the API would answer it empty.
MAX_PAGE = 100_000
# Dates outside these years are typos, and near year 1 or 9999 they cannot even be
# converted to UTC.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def _choices(values, empty_label: str) -> list[tuple[str, str]]:
    return [("", empty_label)] + [(v, v.replace("_", " ").capitalize()) for v in values]


def channel_values() -> tuple[str, ...]:
    extras = [c for c in settings.ACTIVITIES_EXTRA_CHANNELS if c not in client.CHANNELS]
    return client.CHANNELS + tuple(extras)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TaskFilterForm(forms.Form):
    """Validates `/tasks/` query strings; `query()` turns them into a `TaskQuery`."""

    status = forms.ChoiceField(label="Status", required=False)
    result_status = forms.ChoiceField(label="Result", required=False)
    channel = forms.ChoiceField(label="Channel", required=False)
    external_commerce_id = forms.CharField(
        label="Commerce ID", required=False, max_length=MAX_ID_LENGTH, strip=True
    )
    external_operator_id = forms.CharField(
        label="Operator ID", required=False, max_length=MAX_ID_LENGTH, strip=True
    )
    scheduled_from = forms.DateField(
        label="Scheduled from", required=False, input_formats=["%Y-%m-%d"], widget=DateInput()
    )
    scheduled_to = forms.DateField(
        label="Scheduled to", required=False, input_formats=["%Y-%m-%d"], widget=DateInput()
    )
    per_page = forms.TypedChoiceField(
        label="Per page",
        required=False,
        coerce=int,
        empty_value=DEFAULT_PER_PAGE,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
    )
    # Not drawn in the filter bar: changing a filter starts again at page 1.
    page = forms.IntegerField(
        label="Page", required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(client.STATUSES, "Any status")
        self.fields["result_status"].choices = _choices(client.RESULT_STATUSES, "Any result")
        self.fields["channel"].choices = _choices(channel_values(), "Any channel")

    def clean_per_page(self) -> int:
        # TypedChoiceField already refused anything but 10/20/50/100.
        return self.cleaned_data["per_page"] or DEFAULT_PER_PAGE

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data[name]
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(
                f"Enter a date between {EARLIEST_DAY:%Y} and {LATEST_DAY:%Y}."
            )
        return day

    def clean_scheduled_from(self) -> date | None:
        return self._clean_day("scheduled_from")

    def clean_scheduled_to(self) -> date | None:
        return self._clean_day("scheduled_to")

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("scheduled_from"), data.get("scheduled_to")
        if start and end and start > end:
            self.add_error("scheduled_to", "The end date must be on or after the start date.")
        return data

    def query(self) -> client.TaskQuery:
        """The valid form as API parameters; dates become instants in local time."""
        data = self.cleaned_data
        return client.TaskQuery(
            page=data["page"],
            per_page=data["per_page"],
            status=data["status"],
            result_status=data["result_status"],
            channel=data["channel"],
            external_commerce_id=data["external_commerce_id"],
            external_operator_id=data["external_operator_id"],
            scheduled_from=start_of_day(data["scheduled_from"]),
            scheduled_to=end_of_day(data["scheduled_to"]),
        )


def start_of_day(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_day(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max))
