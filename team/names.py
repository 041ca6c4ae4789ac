"""Names, not ids: the operators and commerces of the local copy, for `<datalist>`s.

`datalists()` is a Jinja2 global (dashboard/jinja2.py), so `/tasks/`' filter bar can
suggest by name too: `{% set lists = team_datalists() %}` then
`<input list="team-operators" ...>` and `{{ lists.markup }}`.
"""

from __future__ import annotations

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


def datalists() -> Datalists:
    """The copy's operators and commerces by name (at most 2,000 each).

    Two GROUP BY queries over the whole copy, so cached for one sync interval: names
    change no faster than the syncer brings them.
    """
    return cache.get_or_set("team:datalists:2", _build, timeout=settings.ACTIVITIES_SYNC_INTERVAL)


def _build() -> Datalists:
    operators = _pairs("operator_external_id", "operator_name")
    commerces = _pairs("commerce_external_id", "commerce_name")
    html = _markup((OPERATORS_ID, operators), (COMMERCES_ID, commerces))
    return Datalists(operators, commerces, html)
