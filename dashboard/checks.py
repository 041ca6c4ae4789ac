"""System checks that keep an unsafe configuration from serving in production.

"Production" is DEBUG off, the default. Each check is an Error, so `manage.py`
commands (migrate, runserver, check, ...) stop with its message, and so does gunicorn:
dashboard/wsgi.py runs the same checks before it hands out the application. Each
message names the environment variable that fixes it. DEBUG runs (the demo) are not
checked; the tests run no system checks unless they ask for them.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, register
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

TAG = "dashboard"
# The language the templates and code are written in: it needs no catalogue.
SOURCE_LANGUAGE = "en"
SIGNING_KEY_HINT = (
    "Set DJANGO_SECRET_KEY to a long random value, e.g. the output of "
    "python3 -c 'import secrets; print(secrets.token_urlsafe(50))', the same on "
    "every instance."
)


def production_check(check: Callable[[], list[Error]]) -> Callable[..., list[Error]]:
    """Register `check` as a system check that runs in production only (DEBUG off)."""

    def run(app_configs, **kwargs) -> list[Error]:
        return [] if settings.DEBUG else check()

    # Named like the check, without functools.wraps: Django reads the signature through
    # __wrapped__ and wants the (app_configs, **kwargs) one.
    run.__name__, run.__qualname__, run.__doc__ = check.__name__, check.__qualname__, check.__doc__
    return register(TAG)(run)


@production_check
def check_secret_key() -> list[Error]:
    if settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    return [
        Error(
            "DJANGO_SECRET_KEY is not set, so the dashboard would sign sessions with the "
            "development key that anyone can read in its source.",
            hint=f"{SIGNING_KEY_HINT} (DJANGO_DEBUG=true is for development only.)",
            id="dashboard.E001",
        )
    ]


@production_check
def check_secret_key_strength() -> list[Error]:
    """Django's own W009 test of the key, as an Error: a warning would still serve."""
    key = settings.SECRET_KEY
    if key == settings.DEVELOPMENT_SECRET_KEY:
        return []  # E001 already refuses the development key
    if (
        len(key) >= SECRET_KEY_MIN_LENGTH
        and len(set(key)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
        and not key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        return []
    return [
        Error(
            f"DJANGO_SECRET_KEY is too weak to sign sessions: it needs at least "
            f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them "
            f"different, and must not start with {SECRET_KEY_INSECURE_PREFIX!r}.",
            hint=SIGNING_KEY_HINT,
            id="dashboard.E006",
        )
    ]


@production_check
def check_compiled_translations() -> list[Error]:
    """Each language offered has its compiled catalogue (English is the source)."""
    missing = [
        code
        for code, _name in settings.LANGUAGES
        if code != SOURCE_LANGUAGE
        and not any(
            gettext_module.find("django", str(path), [to_locale(code)])
            for path in settings.LOCALE_PATHS
        )
    ]
    if not missing:
        return []
    return [
        Error(
            f"No compiled translation (django.mo) for {', '.join(missing)} in LOCALE_PATHS, "
            "so the dashboard would offer these languages and speak English instead.",
            hint="The compiled catalogue is committed beside the .po: restore "
            "locale/<language>/LC_MESSAGES/django.mo from the repository, or run "
            "`.venv/bin/pybabel compile -d locale -D django`.",
            id="dashboard.E007",
        )
    ]


@production_check
def check_allowed_hosts() -> list[Error]:
    if settings.ALLOWED_HOSTS:
        return []
    return [
        Error(
            "DJANGO_ALLOWED_HOSTS is empty, so the dashboard would answer no request.",
            hint="Set DJANGO_ALLOWED_HOSTS to the host names people type, comma-separated, "
            "e.g. DJANGO_ALLOWED_HOSTS=tasks.example.com.",
            id="dashboard.E002",
        )
    ]


@production_check
def check_api_key() -> list[Error]:
    if (
        settings.ACTIVITIES_API_BASE_URL == settings.SANDBOX_URL
        and settings.ACTIVITIES_API_KEY == settings.SANDBOX_KEY
    ):
        return [
            Error(
                "ACTIVITIES_API_BASE_URL is not set, so the dashboard would show the "
                "sandbox's made-up tasks (http://127.0.0.1:8001, demo key) as if they "
                "were real.",
                hint="Set ACTIVITIES_API_BASE_URL to the Integration API, e.g. "
                "https://api.example.com, and ACTIVITIES_API_KEY to its key.",
                id="dashboard.E003",
            )
        ]
    if not settings.ACTIVITIES_API_KEY:
        return [
            Error(
                "ACTIVITIES_API_KEY is not set, so every page would say the dashboard is "
                "not connected.",
                hint="Set ACTIVITIES_API_KEY to a key of the Integration API with VIEW_ACTIVITIES.",
                id="dashboard.E004",
            )
        ]
    return []


@production_check
def check_static_files_collected() -> list[Error]:
    """The manifest storage refuses to name a file it has not collected: every page
    would fail. (Not tagged "staticfiles", so collectstatic itself still runs.)"""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    if staticfiles_storage.exists(staticfiles_storage.manifest_name):
        return []
    return [
        Error(
            f"The static files have not been collected into {settings.STATIC_ROOT}, so "
            "every page would fail.",
            hint="Run `python manage.py collectstatic --noinput` after each install or "
            "upgrade (DJANGO_STATIC_ROOT chooses the folder).",
            id="dashboard.E005",
        )
    ]


def refuse_unsafe_startup() -> None:
    """Run every system check as `manage.py` does before a command.

    Raises django.core.management.base.SystemCheckError, listing each problem and
    its fix, when a check finds an error; prints warnings to stderr.
    """
    BaseCommand().check()
