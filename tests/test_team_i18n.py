"""The team pages in Spanish (tests/test_i18n.py checks team/'s strings are in the catalogue)."""

from __future__ import annotations

import pytest

from tests.helpers_team import at, day_params, make, store


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
