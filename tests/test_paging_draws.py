"""Paging through a view draws what does not change with the page once per process:
the filter bar with its fields and date presets (dashboard/jinja2.py), the sidebar
(tests/test_kept_sidebar.py). What each page draws is what a first render draws."""

from __future__ import annotations

import re

from .helpers import html

FILTER_BAR = re.compile(r'<form class="filters".*?</form>', re.S)
PRESETS = re.compile(r'<nav class="presets".*?</nav>', re.S)


def test_the_filter_bar_and_presets_are_drawn_once_for_every_page_of_a_view(signed_in, api, drawn):
    view = {"channel": "SALESMAN", "range": "last_7_days", "per_page": "10"}
    first = html(signed_in.get("/tasks/", view))
    pages = [html(signed_in.get("/tasks/", {**view, "page": str(n)})) for n in (2, 3)]
    assert drawn.count("activities/_filter_fields.html") == 1
    assert drawn.count("activities/_presets.html") == 1
    for page in pages:
        assert FILTER_BAR.search(page).group(0) == FILTER_BAR.search(first).group(0)
        assert PRESETS.search(page).group(0) == PRESETS.search(first).group(0)
    assert 'value="SALESMAN" selected' in FILTER_BAR.search(pages[0]).group(0)
    assert not re.search(r"[?&;]page=", PRESETS.search(pages[0]).group(0))


def test_another_view_draws_its_own_filter_bar(signed_in, api, drawn):
    html(signed_in.get("/tasks/", {"channel": "SALESMAN", "page": "2"}))
    page = html(signed_in.get("/tasks/", {"channel": "CALLCENTER", "page": "2"}))
    assert drawn.count("activities/_filter_fields.html") == 2
    assert 'value="CALLCENTER" selected' in FILTER_BAR.search(page).group(0)
