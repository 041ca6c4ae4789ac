"""The operators' and routes' tables as ready HTML, built once per page.

A table is 60 rows × 6 linked numbers plus each operator's routes: printed cell by cell
through Jinja2 macros, with a translated `aria-label` per number, it was about half of
`/team/`'s time. Here each column's words are translated once per table, each link
comes from `NumberLinks` (which encodes the shared query string once), and each row's
numbers are joined into one string: the same elements, attributes and text as the
macro printed (only the whitespace between cells differs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext
from markupsafe import Markup

from activities.formatting import Clock, humanize, number
from dashboard.jinja2 import escape_output as escape  # C escaping of a str, no Markup
from dashboard.jinja2 import url

EMPTY = "—"
DASH = Markup(EMPTY)  # noqa: S704 (a constant)  # nosec B704


@dataclass(frozen=True)
class GroupRow:
    key: str | None
    href: str
    name: str
    type: str
    routes: Markup  # the operator's route links, or a dash
    cells: Markup  # the linked counts' <td>s
    effectiveness: str
    completion: str
    width: int  # the completion bar's width class, in steps of 5 %


def percent(value: float | None) -> str:
    """'83 %', or a dash: as the `percent` macro prints it (Python's rounding, as Jinja's)."""
    return EMPTY if value is None else f"{int(round(value * 100))} %"


class _Numbers(dict):
    """A count formatted once per table (the language's grouping costs ~30 µs a call)."""

    def __missing__(self, value: int) -> str:
        text = self[value] = escape(number(value))
        return text


def group_rows(rows: list[dict], kind: str, links, heads) -> list[GroupRow]:
    """`stats.by_operator` or `stats.by_route` rows (kind "operators" or "routes") as
    `GroupRow`s; `links` is the page's `NumberLinks`, `heads` the linked counts'
    (column, heading) pairs in order, as the template's header shows them."""
    operators = kind == "operators"
    nobody = gettext("No operator") if operators else gettext("No route")
    columns = _columns(heads)
    names = tuple(col for col, _, _ in columns)
    numbers = _Numbers()
    route_links: dict[str, str] = {}
    out = []
    for row in rows:
        key = row["external_id"] if operators else row["code"]
        cells = "".join(
            f'<td class="num"><a href="{href}" aria-label="'
            f'{head}{row[col]}{tail}">{numbers[row[col]]}</a></td>'
            for href, (col, head, tail) in zip(links.row(kind, key, names), columns, strict=True)
        )
        completion = row["completion"]
        out.append(
            GroupRow(
                key,
                links.operator(key) if operators else links.route(key),
                row["name"] or (key or nobody),
                row.get("type") or EMPTY,
                _routes(row["routes"], route_links, links) if operators else DASH,
                Markup(cells),  # noqa: S704 (escaped links, words and numbers, as above)  # nosec B704
                percent(row["effectiveness"]),
                percent(completion),
                int(round((completion or 0) * 20)) * 5,
            )
        )
    return out


def _columns(heads) -> list[tuple[str, str, str]]:
    """Each column's name and its "%(label)s: %(count)s" escaped once, split where the
    count goes (a count is an int: nothing in it to escape)."""
    fmt = gettext("%(label)s: %(count)s")
    columns = []
    for col, label in heads:
        head, tail = escape(fmt % {"label": str(label), "count": "\0"}).split("\0")
        columns.append((col, head, tail))
    return columns


def _routes(codes: list[str], cache: dict[str, str], links) -> Markup:
    """An operator's routes as links, comma-separated, each built once per table."""
    if not codes:
        return DASH
    parts = []
    for code in codes:
        html = cache.get(code)
        if html is None:
            href = escape(links.route(code))
            html = cache[code] = f'<a class="code" href="{href}">{escape(code)}</a>'
        parts.append(html)
    return Markup(", ".join(parts))  # noqa: S704 (escaped links and codes)  # nosec B704


LATE_ROW = '<tr class="is-overdue">'


def task_rows(tasks, q, now: datetime) -> Markup:
    """The rows of a table of tasks (the `task_table` macro's body) as ready HTML, built
    once per page: 50 rows of eight cells, three links and two times each, printed
    through the template, were most of an operator's page. The same elements,
    attributes and text as the macro printed (only the whitespace between cells differs).
    """
    if not tasks:
        return Markup(f'<tr><td colspan="8">{gettext("No tasks in this period.")}</td></tr>')  # noqa: S704  # nosec B704
    clock, link = Clock(), _Hrefs().link
    overdue = f' <span class="badge tone-danger">{gettext("Overdue")}</span>'
    keep = escape(q(sort=None, page=None))  # the period and filters, for the row's links
    out = []
    for t in tasks:
        late = t.status == "PENDING" and t.scheduled_at and t.scheduled_at < now
        out.append(
            (LATE_ROW if late else "<tr>")
            + f"<td>{escape(clock(t.scheduled_at))}{overdue if late else ''}</td>"
            f"<td>{escape(clock(t.result_occurred_at or t.occurred_at))}</td>"
            f"<td>{escape(humanize(t.status))}</td><td>{escape(humanize(t.result_status))}</td>"
            f"<td>{escape(t.channel or EMPTY)}</td>"
            f"<td>{link('team_commerce', t.commerce_external_id, t.commerce_name, '')}</td>"
            f"<td>{link('team_operator', t.operator_external_id, t.operator_name, keep)}</td>"
            f"<td>{link('team_route', t.route_code, t.route_name, keep)}</td></tr>\n"
        )
    return Markup("".join(out))  # noqa: S704 (escaped values and trusted words)  # nosec B704


class _Hrefs(dict):
    """Each detail page's link reversed once per table: an operator's page links their
    own page and their route on every row."""

    def __missing__(self, view_key: tuple[str, str]) -> str:
        href = self[view_key] = escape(url(*view_key))
        return href

    def link(self, view: str, key: str | None, name: str | None, query: str) -> str:
        if not key:
            return EMPTY
        return f'<a href="{self[view, key]}{query}">{escape(name or key)}</a>'
