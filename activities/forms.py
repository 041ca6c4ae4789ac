"""The filter form: its field names are the API's query parameters.

The live list filters an API, not a QuerySet, so this is a plain `forms.Form`.
django-filter works without a model only with `filter_queryset` overridden (the stock
one asserts a QuerySet) and every filter given an explicit label, and its maintainers
support it for QuerySets only (django-filter issue 1278): its only gain here would be
widgets Django already has. The local copy of the tasks is a QuerySet, and there
django-filter is the natural tool.
"""

from __future__ import annotations

import copy
import functools
import unicodedata
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy, override

from . import api as client
from . import l10n, ranges
from .formatting import humanize
from .recent import Recent

PER_PAGE_CHOICES = (10, 20, 50, 100)
DEFAULT_PER_PAGE = 20
MAX_ID_LENGTH = 64
# A page number past this is a typo, not a request; the API would answer it empty.
MAX_PAGE = 100_000
# Dates outside these years are typos, and near year 1 or 9999 they cannot even be
# converted to UTC.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


# The parameters that narrow the list (not page nor per_page), in display order.
FILTER_NAMES = (
    "status",
    "result_status",
    "channel",
    "range",
    "scheduled_from",
    "scheduled_to",
    "external_commerce_id",
    "external_operator_id",
)


def refuse_control_characters(value: str) -> None:
    """Raise ValidationError when an id holds a control or undecodable character.

    CR, LF, ESC and the other C0/C1 controls (Unicode category Cc) can split a log
    line or a CSV cell; U+FFFD is what Django leaves of bytes that were not UTF-8
    (`%ff`). Neither is part of any real id. (NUL is refused by Django already.)
    """
    if any(ch == "\ufffd" or unicodedata.category(ch) == "Cc" for ch in value):
        raise forms.ValidationError(
            gettext_lazy("Use letters, digits and punctuation only."), code="control_character"
        )


def _choices(values, empty_label: str) -> list[tuple[str, str]]:
    # The same words as the rows' badges ("Not effective"), in the active language.
    return [("", empty_label)] + [(v, humanize(v)) for v in values]


def channel_values() -> tuple[str, ...]:
    extras = [c for c in settings.ACTIVITIES_EXTRA_CHANNELS if c not in client.CHANNELS]
    return client.CHANNELS + tuple(extras)


class DateInput(forms.DateInput):
    """A day, YYYY-MM-DD: a text field in the page, a date picker once it is shown.

    On a phone the filter panel starts closed, and its date pickers, displayed or not,
    were built with the page (their inner parts and calendar icons): some 7-9 ms of a
    phone's first frame (bench/README.md, "The closed filter panel"). So the page has
    text fields that take what the server parses, with or without JavaScript, and
    static/js/dashboard.js makes them date pickers (`shown_type`) whenever the panel is
    shown. A panel drawn open (a field has an error) has date pickers from the start
    (activities/widgets.py).
    """

    input_type = "text"
    shown_type = "date"
    # Only the text field uses these; dashboard.js drops them when it makes a picker.
    # No inputmode="numeric": a phone's digit pad may have no "-" to type.
    text_attrs = ("pattern", "placeholder", "title", "data-date-input")

    def __init__(self, **kwargs):
        hint = gettext_lazy("YYYY-MM-DD")
        attrs = {
            "pattern": r"\d{4}-\d{2}-\d{2}",
            "placeholder": hint,
            "title": hint,
            "data-date-input": True,
            "autocomplete": "off",
        }
        super().__init__(format="%Y-%m-%d", attrs=attrs, **kwargs)


def _id_field(label: str, suggestions: str) -> forms.CharField:
    """An optional ID filter: trimmed, at most `MAX_ID_LENGTH` characters, printable,
    suggesting by name from the `<datalist>` `suggestions` (team/names.py, the local copy)."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"list": suggestions, "autocomplete": "off"}),
        max_length=MAX_ID_LENGTH,
        strip=True,
        validators=[refuse_control_characters],
    )


class TaskFilterForm(forms.Form):
    """Validates `/tasks/` query strings; `query()` turns them into a `TaskQuery`."""

    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    result_status = forms.ChoiceField(label=gettext_lazy("Result"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    external_commerce_id = _id_field(gettext_lazy("Commerce ID"), "team-commerces")
    external_operator_id = _id_field(gettext_lazy("Operator ID"), "team-operators")
    range = forms.ChoiceField(label=gettext_lazy("When"), required=False)
    scheduled_from = forms.DateField(
        label=gettext_lazy("Scheduled from"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
    )
    scheduled_to = forms.DateField(
        label=gettext_lazy("Scheduled to"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
    )
    per_page = forms.TypedChoiceField(
        label=gettext_lazy("Per page"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PER_PAGE,
        initial=DEFAULT_PER_PAGE,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
    )
    # Not drawn in the filter bar: changing a filter starts again at page 1.
    page = forms.IntegerField(
        label=gettext_lazy("Page"),
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs) -> None:
        # Django deep-copies every field for each form, and the choices were then set
        # anew: a fifth of a kept page's CPU. Nothing changes a field of this form
        # after it is built, so the fields, choices set, are built once per language
        # and channels and shared (read-only) by the forms built meanwhile.
        self.base_fields = {}
        super().__init__(*args, **kwargs)
        del self.base_fields
        self.fields = dict(_shared_fields(get_language(), channel_values()))
        self.resolved_range: ranges.ResolvedRange | None = None
        # The instant a preset resolves against (the request's, when given).
        self.now = now

    def clean_per_page(self) -> int:
        # TypedChoiceField already refused anything but 10/20/50/100.
        return self.cleaned_data["per_page"] or DEFAULT_PER_PAGE

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data[name]
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(
                gettext("Enter a date between %(first)s and %(last)s.")
                % {"first": f"{EARLIEST_DAY:%Y}", "last": f"{LATEST_DAY:%Y}"}
            )
        return day

    def clean_scheduled_from(self) -> date | None:
        return self._clean_day("scheduled_from")

    def clean_scheduled_to(self) -> date | None:
        return self._clean_day("scheduled_to")

    def clean(self) -> dict:
        data = super().clean()
        self._refuse_repeated_parameters()
        start, end = data.get("scheduled_from"), data.get("scheduled_to")
        if start and end and start > end:
            self.add_error(
                "scheduled_to", gettext("The end date must be on or after the start date.")
            )
        preset = data.get("range")
        if preset and (start or end):
            # Precedence is not guessed: a preset and dates together are a conflict.
            self.add_error("range", gettext("Choose a preset range or dates, not both."))
        elif preset:
            self.resolved_range = ranges.resolve(
                preset, now=self.now or timezone.now(), tz=timezone.get_current_timezone()
            )
        if preset == "overdue" and data.get("status") not in ("", None, "PENDING"):
            self.add_error("status", gettext("Overdue tasks are pending ones; clear the status."))
        return data

    def _refuse_repeated_parameters(self) -> None:
        # A QueryDict keeps every value of a repeated name and `get` returns the last:
        # `?channel=A&channel=B` would silently show channel B. No link repeats one.
        if not hasattr(self.data, "getlist"):
            return
        for name in self.fields:
            if len(self.data.getlist(name)) > 1:
                self.add_error(name, gettext("Give this filter only once."))

    def query(self) -> client.TaskQuery:
        """The valid form as API parameters; days become instants in the current zone.

        A `range` is resolved now, so a bookmark with `range=today` asks for the day
        it is opened on. `overdue` asks for pending tasks scheduled before now.
        """
        data = self.cleaned_data
        scheduled_from = start_of_day(data["scheduled_from"])
        scheduled_to = end_of_day(data["scheduled_to"])
        status = data["status"]
        if self.resolved_range is not None:
            scheduled_from, scheduled_to = self.resolved_range.start, self.resolved_range.end
            if data["range"] == "overdue":
                status = "PENDING"
        return client.TaskQuery(
            page=data["page"],
            per_page=data["per_page"],
            status=status,
            result_status=data["result_status"],
            channel=data["channel"],
            external_commerce_id=data["external_commerce_id"],
            external_operator_id=data["external_operator_id"],
            scheduled_from=scheduled_from,
            scheduled_to=scheduled_to,
        )

    def active_filters(self) -> list[tuple[str, str, str]]:
        """(parameter, label, value in words) for each filter in use, in form order.

        Feeds the removable chips and the page title. Only for a valid form.
        """
        active = []
        for name in FILTER_NAMES:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                text = dict(field.choices).get(value, value)
            elif isinstance(value, date):
                text = l10n.day_month_year(value)
            else:
                text = str(value)
            active.append((name, str(field.label), str(text)))
        return active

    def range_in_words(self) -> str:
        """The resolved preset in words ("Today, Sun 29 Nov, 00:00–23:59"), or ""."""
        if self.resolved_range is None:
            return ""
        return ranges.describe(self.resolved_range, tz=timezone.get_current_timezone())


# Valid forms' values and resolved preset, by what they depend on (`bound_form`).
_valid: Recent[tuple[dict, ranges.ResolvedRange | None]] = Recent(256)


def bound_form(data: QueryDict) -> TaskFilterForm:
    """`TaskFilterForm(data)`, already validated: `is_valid()` answers without cleaning.

    A valid form's values depend only on the query string and the channels offered,
    and its preset's dates on the viewer's zone and local date: each combination is
    validated once per process, so that a repeated view does not clean nine fields
    again. `overdue` ends at the current instant, so it is validated each time, as is
    any form that turns out invalid (its errors are in the active language).
    """
    now = timezone.now()
    form = TaskFilterForm(data, now=now)
    if data.get("range") == "overdue":
        return form
    tz = timezone.get_current_timezone()
    query = tuple((name, tuple(values)) for name, values in data.lists())
    key = (query, channel_values(), tz, now.astimezone(tz).date())
    cleaned = _valid.get(key, lambda: _cleaned(form))
    if cleaned is _INVALID:
        form.is_valid()  # the errors, in this request's language
        return form
    form.cleaned_data, form.resolved_range = dict(cleaned[0]), cleaned[1]
    form._errors = ErrorDict()
    return form


_INVALID = ({}, None)


def _cleaned(form: TaskFilterForm) -> tuple[dict, ranges.ResolvedRange | None]:
    if not form.is_valid():
        return _INVALID
    return dict(form.cleaned_data), form.resolved_range


@functools.lru_cache(maxsize=64)
def _shared_fields(language: str | None, channels: tuple[str, ...]) -> dict[str, forms.Field]:
    """TaskFilterForm's fields with their choices in `language`, for `channels`."""
    fields = copy.deepcopy(TaskFilterForm.base_fields)
    with override(language):
        fields["status"].choices = _choices(client.STATUSES, gettext("Any status"))
        fields["result_status"].choices = _choices(client.RESULT_STATUSES, gettext("Any result"))
        # Channels are codes, shown as the rows show them.
        fields["channel"].choices = [("", gettext("Any channel"))] + [(c, c) for c in channels]
        fields["range"].choices = [("", gettext("Any time"))] + [
            (token, ranges.token_label(token)) for token in ranges.RANGE_TOKENS
        ]
    return fields


@receiver(setting_changed)
def _forget_fields(**kwargs) -> None:
    # Channels are part of the key; languages and catalogues (tests) are not.
    _shared_fields.cache_clear()
    _valid.clear()


def validate_list_query(query: str) -> None:
    """Raise ValidationError, naming each wrong filter, unless `/tasks/?<query>` is valid.

    Saved views call it, so that a view never stores what the task list would refuse
    (and a default view never lands its owner on a 400 page at each sign-in).
    """
    form = TaskFilterForm(QueryDict(query))
    if form.is_valid():
        return
    problems = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        problems.append(f"{label}: {text}" if label else text)
    raise forms.ValidationError(
        gettext("These filters cannot be saved: %(problems)s") % {"problems": " ".join(problems)},
        code="invalid_filters",
    )


def start_of_day(day: date | None) -> datetime | None:
    """The first instant of local `day` in the current time zone."""
    if day is None:
        return None
    return ranges.start_of_day(day, timezone.get_current_timezone())


def end_of_day(day: date | None) -> datetime | None:
    """The last instant (…59.999999) of local `day` in the current time zone."""
    if day is None:
        return None
    next_day = ranges.start_of_day(day + timedelta(days=1), timezone.get_current_timezone())
    return next_day - timedelta(microseconds=1)
