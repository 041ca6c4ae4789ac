"""The task table's rows as ready HTML, built in Python and kept per page of data.

Printed cell by cell through Jinja2, a 100-row table was about half of a cached page's
CPU (some 6,000 escaped values, each a generator step): here each row is one f-string
whose every value goes through MarkupSafe's C escaping. `_task_table.html` prints
the table around them.

The rows are light for a phone (issue 15's Lighthouse check: a 100-row page): no
whitespace between tags, and each row's closed details are two paragraphs, the "show
only" links and the facts as one line of text each ("Origin: Activity", shown as lines
by CSS), where they were a `<dl>` of `<dt>`/`<dd>` pairs (57 elements a row, now 26).

`TableCache` keeps the rendered rows of recent pages in this process, keyed by what
they depend on: the page's data (the cached answer's identity), the language, the time
zone, the current query string (the "show only" links), today's date, and each row's
"now"-dependent parts (overdue or not, and the relative time's words). A repeat of a
cached view therefore renders no row, and a row never shows an overdue marker or a
relative time other than a fresh render would.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import get_language, gettext
from markupsafe import Markup

from . import l10n, presenter
from .formatting import Row, RowFormatter, relative_key
from .formatting import escape_text as _esc
from .recent import Recent


@l10n.per_language
def _labels() -> dict[str, str]:
    """The table's own words, escaped once per language (Jinja2's `_()` printed them
    unescaped: the same bytes while no translation holds `&`, `<`, `>` or quotes)."""
    words = {
        "commerce": gettext("Commerce"),
        "reason": gettext("Reason"),
        "channel": gettext("Channel"),
        "state": gettext("State"),
        "operator": gettext("Operator"),
        "route": gettext("Route"),
        "result": gettext("Result"),
        "not_scheduled": gettext("Not scheduled"),
        "show_only": gettext("Show only"),
        "task_id": gettext("Task ID"),
        "no_result": gettext("No result"),
    }
    return {key: _esc(text) for key, text in words.items()}


def _first_cell(row: Row, words: dict[str, str]) -> str:
    if row.scheduled:
        when = (
            f'<time datetime="{_esc(row.scheduled_iso)}" title="{_esc(row.scheduled_full)}">'
            f"{_esc(row.scheduled)}</time>"
        )
    else:
        when = words["not_scheduled"]
    sub = f'<span class="sub">{_esc(row.relative)}</span>' if row.relative else ""
    return f'<td><details class="more"><summary>{when}</summary></details>{sub}</td>'


def _result_cell(row: Row, words: dict[str, str]) -> str:
    if not row.result:
        return f'<span class="none">{words["no_result"]}</span>'
    badge = f'<span class="badge tone-{_esc(row.result_tone)}">{_esc(row.result)}</span>'
    if row.result_when:
        when = f'<time class="sub" datetime="{_esc(row.result_iso)}">{_esc(row.result_when)}</time>'
        return badge + when
    return badge


class _Shared:
    """What a page's rows share: the table's words (`_labels()`), and each "show only"
    link and each fact's line as HTML, made the first time a row has it (rows repeat
    their commerce, operator, route, status and most facts)."""

    __slots__ = ("words", "anchors", "lines")

    def __init__(self) -> None:
        self.words = _labels()
        self.anchors: dict[tuple[str, str], str] = {}
        self.lines: dict[tuple[str, str], str] = {}


def _facts(row: Row, shared: _Shared) -> str:
    """The details' facts as one line of text each ("Origin: Activity"), shown as lines
    by CSS (`white-space: pre-line`): one element for them all, not a `<dt>` and a
    `<dd>` per fact. A value's own line breaks become spaces so a fact stays one line."""
    known = shared.lines
    lines = [known.get(fact) or _fact_line(fact, known) for fact in row.facts]
    lines.append(f"{shared.words['task_id']}: {_esc(row.id)}")
    return "\n".join(lines)


def _fact_line(fact: tuple[str, str], known: dict[tuple[str, str], str]) -> str:
    line = known[fact] = f"{_esc(fact[0])}: {_esc(' '.join(fact[1].split()))}"
    return line


def _links(row: Row, anchors: dict[tuple[str, str], str]) -> str:
    """The "show only" links, each `<a>` made once a page (`anchors`, by (text, URL))."""
    return " ".join([anchors.get(link) or _anchor(link, anchors) for link in row.links])


def _anchor(link: tuple[str, str], anchors: dict[tuple[str, str], str]) -> str:
    anchor = anchors[link] = f'<a href="{_esc(link[1])}">{_esc(link[0])}</a>'
    return anchor


def _sub_code(value: str) -> str:
    """A commerce's or operator's code under its name, when the row shows one."""
    return f'<span class="sub code">{_esc(value)}</span>' if value else ""


def row_html(row: Row, shared: _Shared) -> str:
    """One task's `<tbody>`: its row and its closed details, with no whitespace between
    the tags (each run of it would be a text node to parse)."""
    state, w = row.state, shared.words
    tip = f' title="{_esc(state.tooltip)}"' if state.tooltip else ""
    return (
        f'<tbody class="task{" overdue" if row.overdue else ""}" data-id="{_esc(row.id)}">'
        f"<tr>{_first_cell(row, w)}"
        f'<td data-label="{w["commerce"]}">{_esc(row.commerce)}{_sub_code(row.commerce_id)}</td>'
        f'<td data-label="{w["reason"]}">{_esc(row.reason)}</td>'
        f'<td data-label="{w["channel"]}" class="code">{_esc(row.channel)}</td>'
        f'<td data-label="{w["state"]}"><span class="badge tone-{_esc(state.tone)}"{tip}>'
        f"{_esc(state.word)}</span></td>"
        f'<td data-label="{w["operator"]}">{_esc(row.operator)}{_sub_code(row.operator_id)}</td>'
        f'<td data-label="{w["route"]}">{_esc(row.route)}</td>'
        f'<td data-label="{w["result"]}">{_result_cell(row, w)}</td>'
        '</tr><tr class="task-more"><td colspan="8">'
        f'<p class="show-only">{w["show_only"]}: {_links(row, shared.anchors)}</p>'
        f'<p class="facts">{_facts(row, shared)}</p>'
        "</td></tr></tbody>"
    )


def rows_html(formatter: RowFormatter, tasks) -> Markup:
    """Every task's `<tbody>`, as `_task_table.html` prints them."""
    shared = _Shared()
    html = "".join([row_html(formatter.row(task), shared) for task in tasks])
    return Markup(html)  # noqa: S704 (every value escaped above)  # nosec B704


class TableCache:
    """The rendered rows of the last `size` pages of data this process showed."""

    def __init__(self, size: int = 64) -> None:
        self._kept: Recent[Markup] = Recent(size)

    def rows(self, version: str, formatter: RowFormatter, tasks) -> Markup:
        """The rows of `tasks` from the page of data `version` ("" for uncacheable)."""
        if not version:
            return rows_html(formatter, tasks)
        key = (version, *self._context(formatter), _now_parts(tasks, formatter.now))
        return self._kept.get(key, lambda: rows_html(formatter, tasks))

    @staticmethod
    def _context(formatter: RowFormatter) -> tuple:
        return get_language(), str(formatter.tz), formatter.today, formatter.links.key

    def clear(self) -> None:
        self._kept.clear()


def _now_parts(tasks, now: datetime) -> tuple:
    """What of each row depends on the time it is shown: overdue or not, and which words
    its relative time reads (the same words for a minute or more)."""
    overdue = presenter.is_overdue
    return tuple(
        (overdue(task, now), relative_key(task.scheduled_at, now) if task.scheduled_at else None)
        for task in tasks
    )


tables = TableCache()
