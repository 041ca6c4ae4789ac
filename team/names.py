"""Names, not ids: the operators and commerces of the local copy, for `<datalist>`s.

`datalists()` is a Jinja2 global (dashboard/jinja2.py), so `/tasks/`' filter bar can
suggest by name too: `{% set lists = team_datalists() %}` then
`<input list="team-operators" ...>` and `{{ lists.markup }}`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from markupsafe import Markup, escape

from mirror.models import TaskRecord

MAX_OPTIONS = 2000
OPERATORS_ID = "team-operators"
COMMERCES_ID = "team-commerces"


@dataclass(frozen=True)
class Datalists:
    operators: list[tuple[str, str]]  # (external id, name)
    commerces: list[tuple[str, str]]
    html: str = ""  # both <datalist>s, escaped (see `markup`)

    def name_of(self, param: str, value: str) -> str:
        """ "Ana Rojas (OP-1)" for an operator or commerce id the copy knows, else the id."""
        pairs = self.operators if param == "external_operator_id" else self.commerces
        name = dict(pairs).get(value) if param.startswith("external_") else None
        return f"{name} ({value})" if name and name != value else value

    @property
    def markup(self) -> Markup:
        """Both `<datalist>`s: the value is the id, the label reads "Name (id)"."""
        return Markup(self.html)  # noqa: S704 (escaped by _markup)  # nosec B704


def _markup(*lists: tuple[str, list[tuple[str, str]]]) -> str:
    # Built once with the cached lists, not per page: up to 4,000 escaped options.
    parts = []
    for list_id, pairs in lists:
        options = "".join(
            f'<option value="{escape(key)}">{escape(name)} ({escape(key)})</option>'
            for key, name in pairs
        )
        parts.append(f'<datalist id="{list_id}">{options}</datalist>')
    return "".join(parts)


def _pairs(id_field: str, name_field: str) -> list[tuple[str, str]]:
    rows = (
        TaskRecord.objects.filter(**{f"{id_field}__isnull": False})
        .values(id_field)
        .annotate(name=Max(name_field))
        .order_by("name", id_field)[:MAX_OPTIONS]
    )
    return [(row[id_field], row["name"] or row[id_field]) for row in rows]


VERSION_KEY = "team:datalists:version"
LISTS_KEY = "team:datalists:3:{}"

# This process's copy of the current lists and their version. The cache holds the
# lists once, under a key named by a short version entry: a page reads the version
# (a few bytes) and unpickles the lists only when they changed. With 2,000 names
# each, unpickling and hashing them on every page cost about 1.4 ms.
_kept: tuple[str, Datalists] | None = None


def datalists() -> Datalists:
    """The copy's operators and commerces by name (at most 2,000 each).

    Two GROUP BY queries over the whole copy, so cached for one sync interval: names
    change no faster than the syncer brings them.
    """
    return current()[1]


def version() -> str:
    """A short name of the current lists: the same name, the same lists."""
    return current()[0]


def current() -> tuple[str, Datalists]:
    """(version, lists): this process's copy while the cache names the same version."""
    global _kept
    name = cache.get(VERSION_KEY)
    kept = _kept
    if kept is not None and name == kept[0]:
        return kept
    lists = cache.get(LISTS_KEY.format(name)) if name else None
    _kept = (name, lists) if lists is not None else publish(_build())
    return _kept


def publish(lists: Datalists) -> tuple[str, Datalists]:
    """Make `lists` the current ones in the cache, for one sync interval."""
    digest = hashlib.blake2b(lists.html.encode(), digest_size=8).hexdigest()
    name = f"{len(lists.html)}-{digest}"
    timeout = settings.ACTIVITIES_SYNC_INTERVAL
    # The lists first: a version entry never names lists that are not there yet.
    cache.set(LISTS_KEY.format(name), lists, timeout)
    cache.set(VERSION_KEY, name, timeout)
    return name, lists


def _build() -> Datalists:
    operators = _pairs("operator_external_id", "operator_name")
    commerces = _pairs("commerce_external_id", "commerce_name")
    html = _markup((OPERATORS_ID, operators), (COMMERCES_ID, commerces))
    return Datalists(operators, commerces, html)
