"""The team pages in Spanish, and every string of team/ in the catalogue."""

from __future__ import annotations

import pytest

from tests.helpers_team import make, store
from tests.test_i18n import _catalogued, _extracted
from tests.test_team_stats import at, day_params


def test_every_string_of_the_team_app_is_in_the_catalogue():
    extracted = _extracted("team", "python", {})
    assert len(extracted) > 10
    missing = sorted(
        (where, msgid) for ctx, msgid, where in extracted if (ctx, msgid) not in _catalogued()
    )
    assert missing == []


@pytest.mark.django_db
def test_the_overview_speaks_spanish(signed_in):
    store(make("a", at(-2, 9), status="COMPLETED", result="EFFECTIVE"))
    page = signed_in.get("/team/", day_params(-2), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Resumen del equipo" in page
    assert "Tareas pendientes programadas antes de ahora." in page
    assert "vs. el día anterior" in page
    assert "Sin operador" not in page


@pytest.mark.django_db
def test_the_filter_bar_speaks_spanish(signed_in):
    page = signed_in.get("/team/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert ">Pendiente</option>" in page or ">Pendientes</option>" in page
    assert "Agregar un operador" in page
