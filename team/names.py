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

    def name_of(self, param: str, value: str) -> str:
        """ "Ana Rojas (OP-1)" for an operator or commerce id the copy knows, else the id."""
        pairs = self.operators if param == "external_operator_id" else self.commerces
        name = dict(pairs).get(value) if param.startswith("external_") else None
        return f"{name} ({value})" if name and name != value else value

    @property
    def markup(self) -> Markup:
        """Both `<datalist>`s: the value is the id, the label reads "Name (id)"."""
        parts = []
        for list_id, pairs in ((OPERATORS_ID, self.operators), (COMMERCES_ID, self.commerces)):
            options = "".join(
                f'<option value="{escape(key)}">{escape(name)} ({escape(key)})</option>'
                for key, name in pairs
            )
            parts.append(f'<datalist id="{list_id}">{options}</datalist>')
        return Markup("".join(parts))  # noqa: S704 (every part escaped above)  # nosec B704


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
    return cache.get_or_set(
        "team:datalists",
        lambda: Datalists(
            _pairs("operator_external_id", "operator_name"),
            _pairs("commerce_external_id", "commerce_name"),
        ),
        timeout=settings.ACTIVITIES_SYNC_INTERVAL,
    )
