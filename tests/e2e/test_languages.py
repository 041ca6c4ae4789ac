"""English and Spanish in a real browser: the header's switcher, remembered, and sign-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..helpers import PASSWORD, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in_in_spanish(page) -> None:
    page.get_by_label("Nombre de usuario").fill("sofia")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()


def spanish_page(browser):
    """A page in a browser that asks for Chilean Spanish first."""
    context = browser.new_context(locale="es-CL", timezone_id="America/Santiago")
    return context, context.new_page()


def switch_language(page, language: str, *, select: str, button: str) -> None:
    """Choose `language` in the header's switcher, whose words are in the current language."""
    page.get_by_label(select, exact=True).select_option(language)
    page.get_by_role("button", name=button).click()


def test_the_language_switcher_changes_the_language_and_remembers_it(e2e, page):
    open_signed_in(page, e2e.url + "/tasks/?channel=CALLCENTER")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    switch_language(page, "es", select="Language", button="Change language")

    # Back on the same view, now in Spanish.
    expect(page).to_have_url(re.compile(r"/tasks/\?channel=CALLCENTER$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Tareas", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Aplicar filtros")).to_be_visible()
    expect(page.get_by_label("Canal", exact=True)).to_have_value("CALLCENTER")
    expect(page.get_by_role("navigation", name="Estado")).to_contain_text("Pendientes")
    first_time = page.locator("tbody.task td:first-child time").first
    expect(first_time).to_have_attribute(
        "title", re.compile(r"^(lun|mar|mié|jue|vie|sáb|dom) \d\d [a-z]{3} ")
    )
    expect(page.locator("thead")).to_contain_text("Prevista para")

    # The browser still asks for English (en-GB): the choice wins, page after page.
    page.reload()
    expect(page.get_by_role("heading", name="Tareas", exact=True)).to_be_visible()
    page.get_by_role("link", name="Administrar vistas guardadas").click()
    expect(page.get_by_role("heading", name="Vistas guardadas", level=1)).to_be_visible()

    switch_language(page, "en", select="Idioma", button="Cambiar idioma")
    expect(page.get_by_role("heading", name="Saved views", level=1)).to_be_visible()
    page.goto(e2e.url + "/tasks/")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()


def test_a_spanish_browser_signs_in_and_copies_a_link_in_spanish(e2e, browser):
    context, page = spanish_page(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=e2e.url)
    page.goto(e2e.url + "/tasks/?channel=SALESMAN")

    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    sign_in_in_spanish(page)

    expect(page.get_by_role("heading", name="Tareas", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tasks/\?channel=SALESMAN$"))

    # The copy-link button speaks the page's language too.
    page.get_by_role("button", name="Copiar enlace").click()

    expect(page.get_by_role("button", name="Enlace copiado")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()").endswith("/tasks/?channel=SALESMAN")
    expect(page.get_by_role("button", name="Copiar enlace")).to_be_visible(timeout=5000)
    context.close()


# The Spanish task list's scan, a row opened: test_morning.py's 1440 test in Spanish.
