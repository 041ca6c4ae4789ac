"""Where each number of the team pages leads: the tasks behind it, with the same period.

Operator counts open `/tasks/` (live, with the API's parameters); route counts open the
route page. Both keep the period and the filters the number was counted under.
"""

from __future__ import annotations

import functools
from datetime import datetime
from urllib.parse import quote, urlencode

from django.urls import reverse
from markupsafe import Markup

from dashboard.jinja2 import escape_output as escape  # C escaping of a str

from . import tables
from .filters import NONE_KEY, Period

# The status or result behind each count (`tasks` and `effectiveness` add none).
BEHIND: dict[str, dict[str, str]] = {
    "completed": {"status": "COMPLETED"},
    "cancelled": {"status": "CANCELLED"},
    "in_progress": {"status": "IN_PROGRESS"},
    "pending": {"status": "PENDING"},
    "overdue": {"status": "PENDING"},
    "effective": {"result_status": "EFFECTIVE"},
    "not_effective": {"result_status": "NOT_EFFECTIVE"},
}


def period_params(period: Period) -> dict[str, str]:
    """The period as `/tasks/` and the team pages take it: its range token, else dates."""
    if period.preset:
        return {"range": period.preset}
    return {
        "scheduled_from": period.first_day.isoformat(),
        "scheduled_to": period.last_day.isoformat(),
    }


class NumberLinks:
    """Builds the link behind each number, once per page: `links.tasks(op_id, "completed")`.

    `data` is the filterset's cleaned data; `now` decides what "overdue" opens.
    """

    def __init__(self, period: Period, data: dict, *, now: datetime) -> None:
        self.period = period
        self.now = now
        self.common = {
            k: v for k, v in (("channel", data.get("channel")), ("status", data.get("status"))) if v
        }
        if data.get("result_status"):
            self.common["result_status"] = data["result_status"]
        commerces = data.get("external_commerce_id") or []
        # /tasks/ takes one commerce; with several the link shows them all.
        self.single_commerce = commerces[0] if len(commerces) == 1 else ""
        self.team = {**self.common, **period_params(period)}
        for name in ("external_operator_id", "external_commerce_id", "route"):
            if data.get(name):
                self.team[name] = data[name]

    def row(self, kind: str, key: str | None, numbers: tuple[str, ...]) -> list[str]:
        """The links behind one table row's `numbers`, HTML-escaped: what `tasks()` (kind
        "operators") or `route()` (kind "routes") give, with each column's shared part
        escaped once per page and the operator's id encoded once per row."""
        if kind == "routes" or key is None:
            link = self.route if kind == "routes" else self.tasks
            return [escape(link(key, number)) for number in numbers]
        # quote() leaves letters, digits and "_.-~" only: nothing to escape.
        who = f"&amp;external_operator_id={quote(key, safe='')}"
        return [self._escaped(number) + who for number in numbers]

    @functools.cache  # noqa: B019 (as below)
    def _escaped(self, number: str) -> str:
        return escape(self.everyone(number))

    def tasks(self, operator_id: str | None, number: str) -> str:
        """`/tasks/` with this operator, the period and what the number counts.

        For `overdue` in a period that holds now, `range=overdue` (pending and scheduled
        before now); in a past period every pending task is overdue, so its dates do.
        """
        if operator_id is None:
            return self.team_page("team_operator", NONE_KEY, number)
        return f"{self.everyone(number)}&external_operator_id={quote(operator_id, safe='')}"

    @functools.cache  # noqa: B019 (one object per request: a table asks hundreds of times)
    def everyone(self, number: str) -> str:
        """`/tasks/` for a KPI of the whole team: the period and what the number counts."""
        params = {**self.common, **period_params(self.period), **BEHIND.get(number, {})}
        if number == "overdue" and self.period.start <= self.now < self.period.end:
            params = {k: v for k, v in params.items() if k in ("channel", "result_status")}
            params["range"] = "overdue"
        if self.single_commerce:
            params["external_commerce_id"] = self.single_commerce
        return f"{reverse('task_list')}?{urlencode(params)}"

    def team_page(self, name: str, key: str | None, number: str = "tasks") -> str:
        """A team detail page (`team_route`, `team_operator`) with the same filters."""
        return f"{_path(name, key or NONE_KEY)}?{self._team_query(number)}"

    @functools.cache  # noqa: B019 (as above)
    def _team_query(self, number: str) -> str:
        return urlencode({**self.team, **BEHIND.get(number, {})}, doseq=True)

    @functools.cache  # noqa: B019 (as above: the operators' table links every route they worked)
    def route(self, code: str | None, number: str = "tasks") -> str:
        return self.team_page("team_route", code, number)

    def operator(self, external_id: str | None) -> str:
        return self.team_page("team_operator", external_id)

    def table(self, rows: list[dict], kind: str, heads) -> list:
        """An operators' or routes' table's rows, ready to print (team.tables)."""
        return tables.group_rows(rows, kind, self, heads)

    def task_rows(self, page, q) -> Markup:
        """A table of tasks' rows, ready to print (team.tables); `q` builds query strings."""
        return tables.task_rows(page, q, self.now)


@functools.cache
def _prefix(name: str) -> tuple[str, str]:
    """A detail page's URL around its key, reversed once: ("/team/routes/", "/")."""
    marker = "KEY-MARKER"
    before, after = reverse(name, args=[marker]).split(marker)
    return before, after


def _path(name: str, key: str) -> str:
    before, after = _prefix(name)
    return f"{before}{quote(key, safe='')}{after}"


def query(request, *, drop: tuple[str, str] | None = None, **changes) -> str:
    """The current query string with `changes` set (None removes) and repeated
    parameters kept; `drop=(name, value)` removes one value of a repeated one.

    What `request.GET.copy()` edited and encoded gave, built from plain lists: a page
    asks for a few dozen of these (every sortable header, every chip), and copying the
    QueryDict deep-copies it each time."""
    params = {name: list(values) for name, values in request.GET.lists()}
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = [str(value)]
    if drop is not None:
        name, value = drop
        if name in params:
            params[name] = [v for v in params[name] if v != value]
    pairs = [(name, v) for name, values in params.items() if any(values) for v in values]
    return "?" + urlencode(pairs)
