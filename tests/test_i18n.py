"""English and Spanish: the browser's language, the switcher, the catalogue itself.

The compiled catalogue (`django.mo`) is committed beside the `.po`, as Django does, so
an install speaks Spanish without a compile step; a test below fails when it is stale.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import timezone, translation

from activities import formatting, l10n, ranges
from activities.forms import TaskFilterForm

from .records import task

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
URL = "/tasks/"
SANTIAGO = ZoneInfo("America/Santiago")
# The keywords of babel.cfg's extraction command (see the README), for Python files.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "gettext_lazy": None,
    "gettext_noop": None,
    "pgettext_lazy": ((1, "c"), 2),
    "ngettext_lazy": (1, 2),
}


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    # LocaleMiddleware leaves the request's language active in this thread: the tests
    # that follow expect Django's default.
    yield
    translation.deactivate()


@pytest.fixture
def now_at(monkeypatch):
    """Sunday 29 Nov 2026, 12:00 in Santiago (UTC-3)."""
    instant = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    return instant


def html_of(response) -> str:
    return response.content.decode()


def catalogue():
    with PO.open("rb") as source:
        return read_po(source)


# --- The browser's language ---------------------------------------------------------------


def test_a_spanish_browser_gets_the_task_list_in_spanish(signed_in, served, now_at, settings):
    settings.TIME_ZONE = "America/Santiago"
    served(
        task(id="soon", scheduledAt="2026-11-29T12:00:00.000Z"),  # 09:00, 3 h ago
        task(id="late", status="PENDING", scheduledAt="2026-11-26T15:00:00.000Z"),
        task(id="next", scheduledAt="2026-11-29T17:00:00.000Z"),
    )

    html = html_of(
        signed_in.get(URL, {"range": "this_week"}, HTTP_ACCEPT_LANGUAGE="es-CL,es;q=0.9")
    )

    assert '<html lang="es"' in html
    assert "<h1>Tareas</h1>" in html
    # The filter bar: labels, choices, presets, the range in words, the buttons.
    assert '<label for="id_status">Estado</label>' in html
    assert '<label for="id_result_status">Resultado</label>' in html
    assert '<option value="" selected>Cualquier estado</option>' in html
    assert '<option value="NOT_EFFECTIVE">No efectiva</option>' in html
    assert ">Últimos 7 días</a>" in html
    assert "Esta semana, lun 23 nov – dom 29 nov" in html
    assert "Aplicar filtros</button>" in html
    assert 'aria-label="Quitar el filtro Cuándo: Esta semana"' in html
    # The status tabs and the count.
    assert re.search(r"Pendientes <span class=\"tab-count\">1</span>", html)
    assert re.search(r"Completadas <span class=\"tab-count\">2</span>", html)
    assert "<strong>3</strong> tareas" in html
    assert "mostrando 1–3 de 3" in html
    # Dates with Spanish names, relative times, the words of the table.
    assert (
        '<time datetime="2026-11-29T12:00:00+00:00" title="dom 29 nov 2026, 09:00">09:00</time>'
        in html
    )
    assert '<span class="sub">hace 3 h</span>' in html
    assert 'title="jue 26 nov 2026, 12:00 (hace 3 días)">jue 26 nov, 12:00</time>' in html
    assert '<span class="sub">en 2 h</span>' in html
    # One overdue marker: the state badge, in our word (the API's label as its tooltip).
    assert re.search(r'<span class="badge tone-danger"[^>]*>Atrasada</span>', html)
    assert "flag-overdue" not in html
    assert '<th scope="col">Comercio</th>' in html
    assert '<th scope="col">Prevista para</th>' in html
    assert '<td data-label="Situación">' in html
    # No empty facts: a task that cannot be re-dispatched does not say "No".
    assert "Se puede forzar el reenvío" not in html
    assert ">Operador: OP-042</a>" in html
    assert "Actualizado hace un momento" in html
    assert "Copy link" not in html and "Apply filters" not in html
    assert "<title>Esta semana — Tareas</title>" in html


def test_an_english_browser_gets_english(signed_in, served, now_at, settings):
    settings.TIME_ZONE = "America/Santiago"
    served(task(scheduledAt="2026-11-29T12:00:00.000Z"))

    html = html_of(signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9,es;q=0.5"))

    assert '<html lang="en"' in html
    assert "Apply filters</button>" in html
    assert '<option value="" selected>Any status</option>' in html
    assert "Sun 29 Nov 2026, 09:00" in html
    assert ">3 h ago</span>" in html
    assert "Aplicar" not in html


def test_a_language_the_dashboard_lacks_falls_back_to_english(signed_in, api):
    html = html_of(signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9"))
    assert '<html lang="en"' in html
    assert "Apply filters" in html


def test_the_sign_in_page_speaks_spanish(client):
    html = html_of(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es"))

    assert '<html lang="es"' in html
    assert "<title>Iniciar sesión — Tareas</title>" in html
    assert "Inicie sesión para ver las tareas de su equipo." in html
    assert 'class="button primary">Iniciar sesión</button>' in html
    # Django's own words come from Django's Spanish catalogue.
    assert '<label for="id_username">Nombre de usuario</label>' in html
    assert '<label for="id_password">Contraseña</label>' in html
    assert 'class="link-button">Cambiar idioma</button>' in html


def test_a_failed_sign_in_is_explained_in_spanish(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": "sofia", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "Por favor, introduzca un nombre de usuario y clave correctos" in html_of(response)


def test_the_not_allowed_page_speaks_spanish(client, outsider):
    client.force_login(outsider)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="es")

    html = html_of(response)
    assert response.status_code == 403
    assert "<h1>No puede ver las tareas</h1>" in html
    assert "Inició sesión como <strong>otto</strong>, pero esta cuenta no tiene permiso" in html
    # The group is named as it is in the database.
    assert "al grupo Supervisors" in html


# --- The switcher ------------------------------------------------------------------------


def test_the_language_chosen_in_the_switcher_is_remembered(signed_in, api):
    response = signed_in.post("/i18n/setlang/", {"language": "es", "next": URL})

    assert response.status_code == 302
    assert response["Location"] == URL
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    # Later visits need no Accept-Language, and the choice beats the browser's.
    assert "<h1>Tareas</h1>" in html_of(signed_in.get(URL))
    assert "<h1>Tareas</h1>" in html_of(signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert "<h1>Vistas guardadas</h1>" in html_of(signed_in.get("/views/"))

    signed_in.post("/i18n/setlang/", {"language": "en", "next": URL})
    assert "<h1>Tasks</h1>" in html_of(signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="es"))


def test_the_switcher_offers_each_language_in_its_own_words(client):
    html = html_of(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es"))
    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="es" lang="es" selected>Español</option>' in html


# --- Data from the API --------------------------------------------------------------------


def test_data_from_the_api_is_shown_as_it_comes(signed_in, served):
    served(
        task(
            commerceName="Almacén Ñuñoa & Cía",
            lifecycleStatusLabel="Completed by the API",
            reason={"code": "CHURN_RISK", "label": "Riesgo de fuga"},
            channel="WHATSAPP",
        )
    )

    for language in ("es", "en"):
        html = html_of(signed_in.get(URL, HTTP_ACCEPT_LANGUAGE=language))
        assert "Almacén Ñuñoa &amp; Cía" in html
        # A known lifecycle code reads in the page's language; the API's label is a tooltip.
        word = "Completada" if language == "es" else "Completed"
        assert f'title="Completed by the API — Visita realizada con pedido">{word}</span>' in html
        assert "Riesgo de fuga" in html
        assert (
            '<td data-label="{}" class="code">WHATSAPP</td>'.format(
                "Canal" if language == "es" else "Channel"
            )
            in html
        )
        assert '">{}: WHATSAPP</a>'.format("Canal" if language == "es" else "Channel") in html
        assert "Pedido de reposición" in html  # a result detail


def test_api_failures_are_explained_in_spanish(signed_in, api, settings):
    settings.ACTIVITIES_API_KEY = "wrong-key"

    response = signed_in.get(URL, HTTP_ACCEPT_LANGUAGE="es")

    html = html_of(response)
    assert response.status_code == 502
    assert "<h3>El servicio de tareas no aceptó la clave del panel</h3>" in html
    assert "El servicio de tareas no aceptó la clave de API del panel." in html
    assert ">Intentar de nuevo</a>" in html


def test_the_form_explains_wrong_filters_in_spanish(signed_in, api):
    response = signed_in.get(
        URL,
        {"scheduled_from": "2026-12-05", "scheduled_to": "2026-12-01", "range": "today"},
        HTTP_ACCEPT_LANGUAGE="es",
    )

    html = html_of(response)
    assert response.status_code == 400
    assert "La fecha final debe ser igual o posterior a la inicial." in html
    assert "Elija un rango predefinido o fechas, no ambos." in html
    assert "Hay filtros que corregir." in html
    # Django's own validation messages are Spanish too.
    html = html_of(signed_in.get(URL, {"scheduled_from": "2026-13-01"}, HTTP_ACCEPT_LANGUAGE="es"))
    assert "Introduzca una fecha válida." in html


# --- Exports ---------------------------------------------------------------------------


def test_the_csv_header_and_its_notes_follow_the_page_language(signed_in, api, settings):
    settings.ACTIVITIES_EXPORT_MAX_ROWS = 150

    response = signed_in.get("/tasks/export.csv", HTTP_ACCEPT_LANGUAGE="es")
    with translation.override("en"):  # the file keeps the language of its request
        text = b"".join(response.streaming_content).decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:5] == [
        "Programada (America/Santiago)",
        "Estado",
        "Ciclo de vida",
        "Detalle del ciclo de vida",
        "Canal",
    ]
    assert rows[-1] == [
        f"# EXPORT TRUNCATED: Esta vista abarca {len(api.tasks)} tareas; solo se incluyen las "
        "primeras 150. Acote los filtros (por ejemplo, las fechas) para exportar el resto."
    ]


def test_an_export_failing_halfway_says_why_in_the_page_language(signed_in, api):
    response = signed_in.get("/tasks/export.csv", HTTP_ACCEPT_LANGUAGE="es")
    api.set_fault("500")  # pages 2… fail, fetched in the export's worker threads
    try:
        with translation.override("en"):
            text = b"".join(response.streaming_content).decode("utf-8-sig")
    finally:
        api.clear_fault()

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + 100 + 1
    assert rows[-1] == [
        "# EXPORT INCOMPLETE: El servicio de tareas tiene un problema propio (HTTP 500). "
        "Inténtelo de nuevo en unos minutos. La exportación se detuvo después de 100 filas; "
        "descárguela de nuevo para obtener el resto."
    ]


# --- Dates, times and words ----------------------------------------------------------------


def test_dates_and_relative_times_in_spanish():
    at_nine = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    with timezone.override(SANTIAGO), translation.override("es"):
        assert formatting.day_time(at_nine) == "dom 29 nov 2026, 09:00"
        assert formatting.clock(datetime(2026, 9, 1, 13, 5, tzinfo=UTC)) == "mar 01 sep, 09:05"
        assert formatting.relative(at_nine + timedelta(hours=2, minutes=5), at_nine) == "en 2 h"
        assert formatting.relative(at_nine - timedelta(days=3), at_nine) == "hace 3 días"
        assert formatting.relative(at_nine - timedelta(days=1), at_nine) == "hace 1 día"
        assert formatting.relative(at_nine + timedelta(days=1), at_nine) == "en 1 día"
        assert formatting.relative(at_nine + timedelta(minutes=25), at_nine) == "en 25 min"
        assert formatting.relative(at_nine + timedelta(seconds=30), at_nine) == "ahora"
        assert formatting.age(1) == "hace un momento"
        assert formatting.age(12) == "hace 12 s"
        assert formatting.age(7200) == "hace 2 h"
        assert formatting.humanize("NOT_EFFECTIVE") == "No efectiva"
        assert formatting.humanize("ON_HOLD") == "On hold"  # a code nobody translated
        assert formatting.number(1234567) == "1\xa0234\xa0567"
        assert formatting.page_title([("status", "Estado", "Pendiente")]) == "Pendiente — Tareas"


def test_the_range_in_words_in_spanish():
    now = datetime(2026, 11, 29, 17, 5, tzinfo=UTC)  # 14:05 in Santiago
    with translation.override("es"):
        today = ranges.resolve("today", now=now, tz=SANTIAGO)
        assert ranges.describe(today, tz=SANTIAGO) == "Hoy, dom 29 nov, 00:00–23:59"
        week = ranges.resolve("next_7_days", now=now, tz=SANTIAGO)
        assert ranges.describe(week, tz=SANTIAGO) == "Próximos 7 días, dom 29 nov – sáb 5 dic"
        overdue = ranges.resolve("overdue", now=now, tz=SANTIAGO)
        assert ranges.describe(overdue, tz=SANTIAGO) == (
            "Atrasadas: programadas antes del dom 29 nov, 14:05"
        )


def test_a_date_chip_reads_in_spanish():
    with translation.override("es"):
        form = TaskFilterForm({"scheduled_from": "2026-01-05"})
        assert form.is_valid()
        assert form.active_filters() == [("scheduled_from", "Programadas desde", "05 ene 2026")]


def test_english_dates_are_exactly_what_strftime_wrote():
    # Every weekday and month, in the C locale's English that the pages always used.
    day = date(2026, 1, 1)
    with translation.override("en"):
        for offset in range(0, 366, 3):
            moment = datetime.combine(day + timedelta(days=offset), datetime.min.time())
            moment = moment.replace(hour=offset % 24, minute=offset % 60)
            assert l10n.day_time(moment) == moment.strftime("%a %d %b %Y, %H:%M")
            assert l10n.short_day_time(moment) == moment.strftime("%a %d %b, %H:%M")
            assert l10n.day_month_year(moment.date()) == moment.strftime("%d %b %Y")
            assert l10n.day_month(moment.date()) == f"{moment:%a} {moment.day} {moment:%b}"


def test_day_names_follow_the_active_language_on_each_call():
    sunday = date(2026, 11, 29)
    with translation.override("es"):
        assert l10n.day_month(sunday) == "dom 29 nov"
    with translation.override("en"):
        assert l10n.day_month(sunday) == "Sun 29 Nov"
    with translation.override("es"):
        assert l10n.day_month(sunday) == "dom 29 nov"


# --- The catalogue -----------------------------------------------------------------------


def test_every_message_has_a_spanish_translation():
    catalog = catalogue()

    assert catalog.locale_identifier == "es"
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not catalog.fuzzy
    messages = [m for m in catalog if m.id]
    assert len(messages) > 200
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert len(strings) == (2 if message.pluralizable else 1), message.id
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
    assert not catalog.obsolete


def test_translations_keep_their_placeholders():
    catalog = catalogue()
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert problems == []


def test_translations_add_no_markup():
    # Jinja's _() output is not escaped again: a translation must not bring in markup,
    # nor a double quote that would end an attribute (typographic quotes are fine).
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for char in '<>"&':
                assert char not in text or any(char in i for i in ids), (message.id, text)


@functools.cache
def _catalogued() -> frozenset[tuple[str | None, str]]:
    # Read once a run: callers test each extracted string against it.
    return frozenset(
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalogue() if m.id
    )


def _extracted(folder: str, method: str, options: dict) -> set[tuple[str | None, str, str]]:
    found = set()
    pattern = "**.html" if method == "jinja2" else "**.py"
    for filename, _, message, _, context in extract_from_dir(
        str(ROOT / folder),
        method_map=[(pattern, method)],
        options_map={pattern: options},
        keywords=KEYWORDS,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid, f"{folder}/{filename}"))
    return found


def test_every_template_string_is_in_the_catalogue():
    extracted = _extracted("templates", "jinja2", {"extensions": "jinja2.ext.i18n"})
    assert len(extracted) > 100

    missing = sorted(
        (where, msgid)
        for context, msgid, where in extracted
        if (context, msgid) not in _catalogued()
    )
    assert missing == [], "run the extraction and translate (README: Translations)"


def test_every_python_string_is_in_the_catalogue():
    extracted = _extracted("activities", "python", {})
    assert len(extracted) > 100

    missing = sorted(
        (where, msgid)
        for context, msgid, where in extracted
        if (context, msgid) not in _catalogued()
    )
    assert missing == [], "run the extraction and translate (README: Translations)"


def _messages(catalog) -> dict:
    # What Django reads from a catalogue: each (context, id) and its translation. The
    # header entry (id "") carries dates and tool versions, so it is left out.
    def key(value):  # plural forms come as lists from one reader, tuples from the other
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(m.context, key(m.id)): key(m.string) for m in catalog if m.id and not m.fuzzy}


def test_every_string_of_the_team_app_is_in_the_catalogue():
    extracted = _extracted("team", "python", {})
    assert len(extracted) > 10
    missing = sorted(
        (where, msgid) for ctx, msgid, where in extracted if (ctx, msgid) not in _catalogued()
    )
    assert missing == []


def test_the_committed_compiled_catalogue_matches_the_po():
    with PO.open("rb") as source:
        fresh = io.BytesIO()
        write_mo(fresh, read_po(source))  # what `pybabel compile` writes
    fresh.seek(0)
    with MO.open("rb") as committed:
        stale = _messages(read_mo(committed)) != _messages(read_mo(fresh))
    assert not stale, (
        "locale/es/LC_MESSAGES/django.mo is not the compiled django.po: run "
        "`.venv/bin/pybabel compile -d locale -D django` and commit the .mo"
    )


def test_django_reads_the_compiled_catalogue():
    assert MO.exists()
    with translation.override("es"):
        assert translation.gettext("Apply filters") == "Aplicar filtros"
        assert translation.pgettext("abbreviated month", "Aug") == "ago"
        assert translation.ngettext("task", "tasks", 2) == "tareas"
