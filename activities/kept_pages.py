"""Whole task-list pages kept as HTML in each process, keyed on everything they show.

A view's page is the same bytes for the same inputs, except the CSRF token, which is
masked anew for every response (BREACH), the data's age in words, which changes every
second, and the table's rows, which are drawn apart (activities/table_html.py, kept
per data and time themselves). So each worker keeps the last `ACTIVITIES_KEPT_PAGES`
pages split around those holes and fills them anew: a repeated view costs its key,
not a render, and so does a view fetched anew whose page around the rows is unchanged
(a reload or the auto-refresh after ACTIVITIES_CACHE_TTL). The key holds every other
input the page shows (README, "Speed"): the URL (filters, page, per page), the
language, the time zone and where it came from, the user and their sidebar's views,
the team's names for the ID filters, the page's numbers (page, per page, total, rows
shown), the tab counts and the preset's dates in words. A page with messages,
errors, or data stale or from the local copy is never kept; any settings change
(tests) drops them all. Pages are kept as UTF-8 bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from team import names as team_names

from . import user_cache
from .recent import Recent
from .tokens import get_token

# What csrf_input prints before the token (dashboard/jinja2.py, csrf_once).
_TOKEN_AFTER = b'name="csrfmiddlewaretoken" value="'  # noqa: S105  # nosec B105 (markup)


# The rows as sent, by their text. A repeated view's rows are the same str object
# each time (activities/table_html.py keeps them), whose hash Python computes once:
# encoding 100 rows (about 100 KB) anew for every response cost more than the rest of
# a kept page.
_encoded_rows: Recent[bytes] = Recent(64)

# A kept page: its pieces around the hole, each as the bytes around the CSRF token.
Kept = tuple[tuple[bytes, ...], ...]


class _NotKept(Exception):
    """A page that is not a 200 is answered but not kept."""


class KeptPages:
    """The last pages this process rendered, as the text around their CSRF token."""

    def __init__(self) -> None:
        self._kept: Recent[Kept] | None = None

    def respond(
        self,
        request: HttpRequest,
        key: Hashable | None,
        render: Callable[..., HttpResponse],
        hole: tuple[bytes, str] | None = None,
        rows: tuple[bytes, str] | None = None,
    ) -> HttpResponse:
        """The kept page for `key` with this request's CSRF token, else `render()`'s
        (kept when it is a 200). `key` None: never kept. `hole` (anchor, text): the
        first `text` after `anchor` is a second hole, filled with this request's `text`
        (the data's age in words); a page that does not show it is not kept. `rows`
        (anchor, html): the rows, right after the next `anchor`, are a third; `render`
        takes the rows, and a page to be kept is drawn without them (cheaper than a
        search for them)."""
        draw = render if rows is None else functools.partial(render, rows[1])
        if key is None or not settings.ACTIVITIES_KEPT_PAGES or _has_messages(request):
            return draw()
        # A page without rows (none match, past the end) is whole without that hole.
        with_rows = rows is not None and rows[1] != ""
        holes = ([hole] if hole else []) + ([(rows[0], "")] if with_rows else [])
        rendered: list[HttpResponse] = []

        def build() -> Kept:
            response = render("") if with_rows else draw()
            rendered.append(response)
            if response.status_code != 200:
                raise _NotKept
            return _split(response.content, [(at, text.encode()) for at, text in holes])

        try:
            pieces = self._pages().get((*_request_parts(request), key), build)
        except _NotKept:
            return draw() if with_rows else rendered[0]
        if rendered and not with_rows:
            return rendered[0]
        fillers = [hole[1].encode()] if hole else []
        fillers += [_encoded_rows.get(rows[1], rows[1].encode)] if with_rows else []
        return HttpResponse(_filled(pieces, get_token(request).encode(), fillers))

    def _pages(self) -> Recent[Kept]:
        if self._kept is None:
            self._kept = Recent(settings.ACTIVITIES_KEPT_PAGES)
        return self._kept

    def clear(self) -> None:
        self._kept = None


def _has_messages(request: HttpRequest) -> bool:
    # Read as a render would read them (marked as shown): a page with a message is
    # drawn anew, as is the next one without it.
    return bool(list(get_messages(request)))


def _filled(pieces: Kept, token: bytes, fillers: list[bytes]) -> bytes:
    """A kept page with its holes filled: `token` (the same masked token a render
    would print, the cookie renewed as then) and `fillers`, one per hole, in order."""
    out = [token.join(pieces[0])]
    for filler, parts in zip(fillers, pieces[1:], strict=True):
        out += (filler, token.join(parts))
    return b"".join(out)


def _split(html: bytes, holes: list[tuple[bytes, bytes]]) -> Kept:
    """The page cut at its holes (each the first `text` after its `anchor`, in order),
    each piece cut at the CSRF token.

    Bytes, as they are sent: half the memory of the text, and nothing to encode.
    """
    start = html.find(_TOKEN_AFTER)
    token = b""
    if start >= 0:
        start += len(_TOKEN_AFTER)
        token = html[start : html.index(b'"', start)]
    pieces, done = [], 0
    for anchor, text in holes:
        at = html.find(anchor, done)
        at = html.find(text, at + len(anchor)) if at >= 0 else -1
        if at < 0:
            raise _NotKept  # the page does not show it where expected: draw it each time
        pieces.append(html[done:at])
        done = at + len(text)
    pieces.append(html[done:])
    return tuple(tuple(piece.split(token)) if token else (piece,) for piece in pieces)


def _request_parts(request: HttpRequest) -> tuple:
    """What every dashboard page shows of the request: URL, language, zone, user,
    the user's saved views and the team's names (the ID filters' suggestions)."""
    user = request.user
    return (
        request.get_full_path(),
        get_language(),
        getattr(request, "tz_name", ""),
        getattr(request, "tz_source", ""),
        getattr(request, "tz_preference", ""),
        user.pk,
        user.get_username(),
        tuple(user_cache.sidebar_rows(user)),
        team_names.version(),
    )


pages = KeptPages()


@receiver(setting_changed)
def _forget_pages(**kwargs) -> None:
    # Pages show settings (channels, the export limit, the API's data): tests change them.
    pages.clear()
