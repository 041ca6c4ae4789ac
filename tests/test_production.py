"""Production mode: settings read from the environment, and refusing unsafe ones.

The settings module is loaded afresh with a given environment (the test process's own
settings are fixed at start-up), the system checks run under overridden settings, and
the real entry points (`manage.py check --deploy`, gunicorn) run in subprocesses.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "dashboard" / "settings.py"
SECRET = secrets.token_urlsafe(50)

# Every variable dashboard/settings.py reads that changes what is checked here.
OWN_PREFIXES = ("DJANGO_", "ACTIVITIES_")
OWN_NAMES = ("DATABASE_URL", "CACHE_URL", "REDIS_URL")


def clean_env(**env: str) -> dict[str, str]:
    """os.environ without the dashboard's own variables, plus `env`."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(OWN_PREFIXES) and key not in OWN_NAMES
    }
    return {**base, **env}


def production_env(static_root: Path, **changes: str | None) -> dict[str, str]:
    """A complete, safe production environment (HTTPS defaults on), with `changes`
    (None removes a variable)."""
    env = clean_env(
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="tasks.example.com",
        ACTIVITIES_API_BASE_URL="https://api.example.com",
        ACTIVITIES_API_KEY="a-real-key",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=f"sqlite:///{static_root.parent / 'prod.sqlite3'}",
    )
    env.update(changes)
    return {key: value for key, value in env.items() if value is not None}


@pytest.fixture
def load_settings(monkeypatch):
    """Load dashboard/settings.py as a new module under an environment of our own."""

    def load(**env: str) -> dict:
        for key in list(os.environ):
            if key.startswith(OWN_PREFIXES) or key in OWN_NAMES:
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return runpy.run_path(str(SETTINGS))

    return load


# --- Settings from the environment ------------------------------------------------------


def test_production_is_the_default_and_is_served_over_https(load_settings):
    s = load_settings()

    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] == 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is True
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["CSRF_COOKIE_HTTPONLY"] is True
    assert "SECURE_PROXY_SSL_HEADER" not in s
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


@pytest.mark.parametrize(("cores", "slots"), [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_the_host_runs_one_export_per_two_cores_by_default(
    load_settings, monkeypatch, cores, slots
):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    s = load_settings()

    assert s["ACTIVITIES_EXPORT_HOST_SLOTS"] == slots
    assert s["ACTIVITIES_EXPORT_CPU_SHARE"] == 1.0
    assert load_settings(ACTIVITIES_EXPORT_HOST_SLOTS="0")["ACTIVITIES_EXPORT_HOST_SLOTS"] == 0


def test_sqlite_transactions_wait_for_the_write_lock_instead_of_failing(load_settings):
    options = load_settings(DATABASE_URL="sqlite:////tmp/x.sqlite3")["DATABASES"]["default"][
        "OPTIONS"
    ]

    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20
    postgres = load_settings(DATABASE_URL="postgres://u:p@127.0.0.1:5432/db")
    assert "transaction_mode" not in postgres["DATABASES"]["default"].get("OPTIONS", {})


def test_djangos_https_switch_turns_https_off_for_plain_http_runs(load_settings):
    s = load_settings(DJANGO_HTTPS="false")

    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False
    assert s["CSRF_COOKIE_SECURE"] is False


def test_debug_runs_use_plain_http_and_the_static_folder_as_it_is(load_settings):
    s = load_settings(DJANGO_DEBUG="true")

    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SESSION_COOKIE_SECURE"] is False
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def test_a_tls_proxys_header_is_trusted_only_when_asked(load_settings):
    s = load_settings(DJANGO_TRUST_X_FORWARDED_PROTO="true")
    assert s["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_without_redis_the_cache_is_per_process_and_sessions_and_limits_in_the_db(
    load_settings,
):
    s = load_settings()

    assert s["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # Django's db sessions, read with plain SQL (dashboard/sessions.py).
    assert s["SESSION_ENGINE"] == "dashboard.sessions"
    assert s["AXES_HANDLER"] == "axes.handlers.database.AxesDatabaseHandler"
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.mark.parametrize("name", ["REDIS_URL", "CACHE_URL"])
def test_redis_shares_the_cache_sessions_and_sign_in_limits(load_settings, name):
    s = load_settings(**{name: "redis://127.0.0.1:6379/3"})

    cache = s["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert s["AXES_HANDLER"] == "axes.handlers.cache.AxesCacheHandler"


def test_cache_url_wins_over_redis_url(load_settings):
    s = load_settings(CACHE_URL="redis://cache:6379/1", REDIS_URL="redis://other:6379/2")
    assert s["CACHES"]["default"]["LOCATION"] == "redis://cache:6379/1"


def test_a_cache_url_that_is_not_redis_is_refused(load_settings):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL .*must be a Redis URL"):
        load_settings(CACHE_URL="memcached://127.0.0.1:11211")


def test_database_url_selects_postgresql(load_settings):
    s = load_settings(DATABASE_URL="postgres://dash:pw@db.internal:5432/dashboard")

    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        5432,
        "dashboard",
        "dash",
    )


def test_session_length_and_sign_in_limits_come_from_the_environment(load_settings):
    s = load_settings(
        DJANGO_SESSION_HOURS="2",
        DJANGO_LOGIN_FAILURE_LIMIT="3",
        DJANGO_LOGIN_COOLOFF_MINUTES="30",
    )

    assert s["SESSION_COOKIE_AGE"] == 2 * 3600
    assert s["AXES_FAILURE_LIMIT"] == 3
    assert s["AXES_COOLOFF_TIME"] == timedelta(minutes=30)


def test_the_defaults_are_a_twelve_hour_session_and_five_tries_per_quarter_hour(
    load_settings,
):
    s = load_settings()

    assert s["SESSION_COOKIE_AGE"] == 12 * 3600
    assert s["AXES_FAILURE_LIMIT"] == 5
    assert s["AXES_COOLOFF_TIME"] == timedelta(minutes=15)
    assert s["AXES_LOCKOUT_PARAMETERS"] == [["username", "ip_address"]]


@pytest.mark.parametrize(
    ("name", "value"),
    [("DJANGO_SESSION_HOURS", "0"), ("DJANGO_HTTPS", "maybe"), ("DJANGO_DEBUG", "yes please")],
)
def test_a_bad_value_is_refused_with_its_name(load_settings, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(**{name: value})


# --- The system checks: refusing unsafe production settings ------------------------------

SAFE = {
    "DEBUG": False,
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": ["tasks.example.com"],
    "ACTIVITIES_API_BASE_URL": "https://api.example.com",
    "ACTIVITIES_API_KEY": "a-real-key",
}

UNSAFE = [
    pytest.param(
        {"SECRET_KEY": "insecure-development-key-change-me"},
        "dashboard.E001",
        "DJANGO_SECRET_KEY",
        id="development secret key",
    ),
    pytest.param(
        {"SECRET_KEY": secrets.token_urlsafe(36)},  # 48 characters
        "dashboard.E006",
        "DJANGO_SECRET_KEY",
        id="a short secret key",
    ),
    pytest.param(
        {"SECRET_KEY": "abcd" * 20},
        "dashboard.E006",
        "DJANGO_SECRET_KEY",
        id="4 distinct characters",
    ),
    pytest.param(
        {"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)},
        "dashboard.E006",
        "DJANGO_SECRET_KEY",
        id="startproject's insecure key",
    ),
    pytest.param({"ALLOWED_HOSTS": []}, "dashboard.E002", "DJANGO_ALLOWED_HOSTS", id="no hosts"),
    pytest.param(
        {
            "ACTIVITIES_API_BASE_URL": "http://127.0.0.1:8001",
            "ACTIVITIES_API_KEY": "sandbox-demo-key",
        },
        "dashboard.E003",
        "ACTIVITIES_API_BASE_URL",
        id="the sandbox by default",
    ),
    pytest.param({"ACTIVITIES_API_KEY": ""}, "dashboard.E004", "ACTIVITIES_API_KEY", id="no key"),
]


def dashboard_errors():
    return [(m.id, m.msg + " " + (m.hint or "")) for m in run_checks(tags=["dashboard"])]


def test_a_safe_production_configuration_passes(settings):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    assert dashboard_errors() == []


@pytest.mark.parametrize(("change", "error_id", "variable"), UNSAFE)
def test_each_unsafe_configuration_is_refused_naming_what_to_set(
    settings, change, error_id, variable
):
    for name, value in {**SAFE, **change}.items():
        setattr(settings, name, value)

    errors = dashboard_errors()

    assert [error_id] == [i for i, _ in errors]
    assert variable in errors[0][1]
    with pytest.raises(SystemCheckError, match=re.escape(error_id)):
        call_command("check")


def test_uncollected_static_files_are_refused_in_production(settings, tmp_path):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    errors = dashboard_errors()

    assert [i for i, _ in errors] == ["dashboard.E005"]
    assert "collectstatic" in errors[0][1]


def test_a_language_without_its_compiled_catalogue_is_refused_in_production(settings, tmp_path):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "es" / "LC_MESSAGES" / "django.po").write_text("")  # a .po alone is not read
    settings.LOCALE_PATHS = [tmp_path]

    errors = dashboard_errors()

    assert [i for i, _ in errors] == ["dashboard.E007"]
    assert "es" in errors[0][1] and "pybabel compile" in errors[0][1]


def test_the_committed_catalogue_satisfies_the_check(settings):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    assert settings.LOCALE_PATHS == [ROOT / "locale"]
    assert "dashboard.E007" not in [i for i, _ in dashboard_errors()]


def test_a_long_random_key_of_exactly_fifty_characters_passes(settings):
    for name, value in SAFE.items():
        setattr(settings, name, value)
    settings.SECRET_KEY = secrets.token_hex(25)
    assert dashboard_errors() == []


@pytest.mark.parametrize(("change", "error_id", "variable"), UNSAFE)
def test_debug_runs_are_not_refused(settings, change, error_id, variable):
    for name, value in {**SAFE, **change}.items():
        setattr(settings, name, value)
    settings.DEBUG = True
    assert dashboard_errors() == []


# --- The real entry points ------------------------------------------------------------------


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and files)
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """collectstatic's output, as a production install makes it."""
    static_root = tmp_path_factory.mktemp("prod") / "static"
    done = run(["manage.py", "collectstatic", "--noinput"], production_env(static_root))
    assert done.returncode == 0, done.stderr
    assert (static_root / "staticfiles.json").exists()
    return static_root


def test_check_deploy_is_clean_in_production(collected):
    done = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(collected)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


# The settings Django's deployment checks of the `security` tag read.
SECURITY_SETTINGS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "MIDDLEWARE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
)


def test_check_deploy_flags_plain_http_in_production(load_settings, settings, tmp_path):
    """`check --deploy`'s security checks over the environment's settings: in this process,
    where the test above runs the command (a Django start costs about 1 CPU-s)."""

    def deploy_warnings(**changes: str) -> list[str]:
        env = production_env(tmp_path / "static", **changes)
        loaded = load_settings(
            **{k: v for k, v in env.items() if k.startswith(OWN_PREFIXES) or k in OWN_NAMES}
        )
        for name in SECURITY_SETTINGS:
            if name in loaded:
                setattr(settings, name, loaded[name])
        return [m.id for m in run_checks(include_deployment_checks=True, tags=["security"])]

    assert deploy_warnings() == []
    assert "security.W008" in deploy_warnings(DJANGO_HTTPS="false")  # SECURE_SSL_REDIRECT


def test_the_wsgi_application_refuses_to_load_when_unsafe(collected):
    # What gunicorn does: import dashboard.wsgi, which stops an unsafe production start.
    done = run(["-c", "import dashboard.wsgi"], production_env(collected, DJANGO_SECRET_KEY=None))

    assert done.returncode != 0
    assert "SystemCheckError" in done.stderr
    assert "DJANGO_SECRET_KEY" in done.stderr


# The settings dashboard/checks.py reads (and STORAGES, which picks the static storage).
CHECKED_SETTINGS = (
    "DEBUG",
    "SECRET_KEY",
    "DEVELOPMENT_SECRET_KEY",
    "ALLOWED_HOSTS",
    "ACTIVITIES_API_BASE_URL",
    "ACTIVITIES_API_KEY",
    "SANDBOX_URL",
    "SANDBOX_KEY",
    "LANGUAGES",
    "LOCALE_PATHS",
    "STATIC_ROOT",
    "STORAGES",
)


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short-but-not-the-development-key"}, "dashboard.E006"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"ACTIVITIES_API_BASE_URL": None, "ACTIVITIES_API_KEY": None}, "ACTIVITIES_API_BASE_URL"),
        ({"ACTIVITIES_API_KEY": None}, "ACTIVITIES_API_KEY"),
    ],
)
def test_each_unsafe_environment_is_refused_at_startup_naming_its_variable(
    collected, load_settings, settings, changes, variable
):
    """The environment's settings, then the startup check dashboard/wsgi.py runs: in this
    process, where the test above starts one (a Django start costs about 1 CPU-s)."""
    from dashboard.checks import refuse_unsafe_startup

    env = production_env(collected, **changes)
    loaded = load_settings(
        **{k: v for k, v in env.items() if k.startswith(OWN_PREFIXES) or k in OWN_NAMES}
    )
    for name in CHECKED_SETTINGS:
        setattr(settings, name, loaded[name])

    with pytest.raises(SystemCheckError, match=re.escape(variable)):
        refuse_unsafe_startup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"]
    return subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_refuses_to_start_with_the_development_secret_key(collected, tmp_path):
    env = production_env(collected, DJANGO_SECRET_KEY=None)
    log = tmp_path / "gunicorn.log"
    process = gunicorn(env, free_port(), log)
    try:
        process.wait(timeout=60)
    finally:
        process.kill()
    assert process.returncode != 0
    output = log.read_text()
    assert "dashboard.E001" in output
    assert "Set DJANGO_SECRET_KEY" in output


@pytest.fixture(scope="module")
def production_server(collected, tmp_path_factory):
    """gunicorn with gunicorn.conf.py and the production defaults (HTTPS on), on
    loopback as behind a TLS proxy on the same machine."""
    env = production_env(collected, DJANGO_ALLOWED_HOSTS="127.0.0.1")
    done = run(["manage.py", "migrate", "--noinput"], env)
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    process = gunicorn(env, port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(port, "/healthz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


# What a TLS proxy in front of the dashboard adds to each request.
PROXIED = {"X-Forwarded-Proto": "https"}


@pytest.mark.slow  # starts gunicorn
def test_plain_http_is_sent_to_https_except_the_health_checks(production_server):
    status, headers, _ = get(production_server, "/accounts/login/")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/accounts/login/"

    status, _, _ = get(production_server, "/healthz")
    assert status == 200


@pytest.mark.slow  # starts gunicorn
def test_behind_a_tls_proxy_pages_carry_hsts_and_secure_cookies(production_server):
    status, headers, _ = get(production_server, "/accounts/login/", PROXIED)

    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    cookie = headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_serves_compressed_hashed_static_files(production_server):
    _, _, body = get(production_server, "/accounts/login/", PROXIED)
    css = re.search(r'href="(/static/css/dashboard\.[0-9a-f]{12}\.css)"', body.decode())
    assert css, "the page links the hashed stylesheet"

    status, headers, _ = get(
        production_server, css.group(1), {**PROXIED, "Accept-Encoding": "gzip"}
    )

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_sends_pages_gzip_compressed_and_in_spanish(production_server):
    # The committed catalogue is what a production install reads: no compile step.
    headers = {**PROXIED, "Accept-Encoding": "gzip", "Accept-Language": "es"}
    status, headers, body = get(production_server, "/accounts/login/", headers)

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    assert "<h1>Iniciar sesión</h1>" in page
    assert '<meta name="description"' in page
    assert "no-store" in headers["Cache-Control"]
