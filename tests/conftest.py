"""Shared fixtures: a real sandbox API over HTTP, and signed-in users."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from importlib import import_module
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.utils import translation
from jinja2 import FileSystemBytecodeCache

from activities import api as client
from activities import service
from activities.api import client as api_client
from activities.exports.slots import export_slots
from sandbox import DEMO_KEY, make_server

from .helpers import PASSWORD, canned_server, point_at

# Playwright's sync API leaves an event loop running in the test thread; Django's ORM
# then refuses to run from it. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    """Tests run over plain HTTP and without `collectstatic`, as the demo does.

    pytest-django turns DEBUG off, which in dashboard/settings.py means production:
    HTTPS redirects and secure cookies, and static file names from collectstatic's
    manifest. Tests about those settings load them afresh (tests/test_production.py).
    """
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Fast password hashing for the whole run (not per test through the `settings` fixture).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _own_redis_database(settings, os.environ.get("PYTEST_XDIST_WORKER", ""))
    # Export slots are host-wide (locked files): each test process gets its own folder,
    # so two xdist workers, or a demo running from this checkout, never take each
    # other's slots.
    settings.ACTIVITIES_EXPORT_LOCK_DIR = tempfile.mkdtemp(prefix="dashboard-test-exports-")
    for engine in settings.TEMPLATES:
        if engine["BACKEND"].endswith(".Jinja2"):
            engine["OPTIONS"] = {**engine["OPTIONS"], "bytecode_cache": COMPILED_TEMPLATES}
    # The cyclic garbage collector runs after 10,000 new objects rather than 700: a test
    # process makes many short-lived ones (requests, queries, pages), and collecting took
    # about 5% of its CPU; half as much this way (with the freeze below).
    gc.set_threshold(10_000, 10, 10)


def pytest_collection_finish(session):
    """What start-up and collection made (modules, Django, the tests) lives until the end:
    the collector no longer walks it (as dashboard/wsgi.py does for a server's start-up)."""
    gc.freeze()


# Each template is compiled once per machine, not once per Jinja2 environment and process.
# Django makes a new environment whenever DEBUG changes (tests of debug runs set it, and
# the `settings` fixture sets it back), and each pytest-xdist process makes its own:
# compiling the 30 templates took about 0.7 CPU-s a process, and about 0.3 again each
# time DEBUG changed. Jinja2's own file cache (a folder of the temporary directory only
# this user may use) keeps them across processes and runs, as Python keeps bytecode: an
# entry is found by the template's name and path and used only if the source's checksum
# and Jinja2's bytecode version match, and it is written to a temporary file and renamed,
# so processes starting together cannot read half of one.
COMPILED_TEMPLATES = FileSystemBytecodeCache()


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_auto_num_workers(config):
    """`-n auto` starts one process more than there are cores.

    A few dozen tests wait on purpose (an API that hangs until the timeout, a syncer's
    interval, a sandbox's latency): with one process per core, a core idled through
    each of those waits. PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores + 1


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (pyproject.toml), with the browser files kept to fewer processes."""
    if config.getvalue("dist") != "loadfile":
        return None
    from .helpers_xdist import BrowserFilesOnFewerProcesses

    return BrowserFilesOnFewerProcesses(config, log)


# The files that take longest, longest first (about 30 s to 5 s each on a quiet 2-core
# machine). pytest-xdist hands whole files out in collection order (`--dist loadfile
# --no-loadscope-reorder` in pyproject.toml); by default it hands out the files with the
# most tests first, which left the browser files, few tests of seconds each, to the end of
# the run: one process still drove Chromium while the others had finished.
LONGEST_FIRST = (
    "tests/e2e/test_morning.py",
    "tests/test_sync_command.py",
    "tests/e2e/test_browser.py",
    "tests/test_production.py",
    "tests/e2e/test_supervisor_day.py",
    "tests/e2e/test_team.py",
    "tests/test_resilience.py",
    "tests/test_export.py",
    "tests/e2e/test_languages.py",
    "tests/test_task_list.py",
    "tests/test_team_pages.py",
    "tests/test_security.py",
    "tests/e2e/test_csp.py",
)


@pytest.hookimpl(trylast=True)  # after pytest-django's order within each file
def pytest_collection_modifyitems(items):
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_unconfigure(config):
    folder = getattr(django_settings, "ACTIVITIES_EXPORT_LOCK_DIR", "")
    if "dashboard-test-exports-" in folder:
        shutil.rmtree(folder, ignore_errors=True)


def _own_redis_database(settings, worker: str) -> None:
    """Under pytest-xdist each worker uses a Redis database of its own (1, 2, ...).

    Tests clear the cache (FLUSHDB) before and after each test; on a shared database one
    worker would empty the cache, the sessions and the sign-in counts under another's
    test. pytest-django already gives each worker its own test database.
    """
    cache_settings = settings.CACHES["default"]
    if not worker.startswith("gw") or not cache_settings["BACKEND"].endswith("RedisCache"):
        return
    url = urlsplit(cache_settings["LOCATION"])
    database = 1 + int(worker.removeprefix("gw"))
    cache_settings["LOCATION"] = urlunsplit(url._replace(path=f"/{database}"))


# The groups the data migrations made (the Supervisors group and its permission), read
# once the test database is made. A browser test's database is flushed afterwards, and
# the files no longer run in pytest-django's order (browser tests last): the next test in
# that process gets them back, as Django's serialized_rollback would give them back.
MIGRATED_GROUPS: list[tuple[str, list[tuple[str, str]]]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        MIGRATED_GROUPS[:] = [
            (group.name, [(p.content_type.app_label, p.codename) for p in group.permissions.all()])
            for group in Group.objects.prefetch_related("permissions__content_type")
        ]


@receiver(post_migrate)
def _groups_after_a_flush(sender, using, plan=None, **kwargs):
    """`flush` (a browser test's teardown) sends post_migrate without a plan, `migrate`
    with one. Permissions are back by the last signal (the last app with models)."""
    with_models = [app for app in django_apps.get_app_configs() if app.models_module]
    if plan is not None or sender is not with_models[-1]:
        return
    from django.contrib.auth.models import Group, Permission

    for name, permissions in MIGRATED_GROUPS:
        group, _ = Group.objects.using(using).get_or_create(name=name)
        for app_label, codename in permissions:
            group.permissions.add(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )


@pytest.fixture(scope="session")
def sandbox():
    """The fake Integration API, served over real HTTP on a free loopback port."""
    server = make_server(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def api(sandbox, settings):
    """Point the dashboard at the sandbox with the demo key; the request log starts empty."""
    settings.ACTIVITIES_API_BASE_URL = sandbox.url
    settings.ACTIVITIES_API_KEY = DEMO_KEY
    settings.ACTIVITIES_API_TIMEOUT = 5.0
    sandbox.request_log.clear()
    sandbox.latency = 0.0
    yield sandbox
    sandbox.latency = 0.0


@pytest.fixture
def served(settings, api):
    """Serve exactly the given records from a fresh sandbox."""
    servers = []

    def serve(*records):
        server = make_server(port=0, tasks=list(records)).start()
        servers.append(server)
        settings.ACTIVITIES_API_BASE_URL = server.url
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def _close_db_in_browser_context(playwright):
    """Close the database connections browser tests opened, before Playwright stops.

    Playwright's sync API runs tests in its own context, where Django keeps separate
    connections; left open, PostgreSQL refuses to drop the test database at the end.
    """
    yield
    from django.db import connections

    connections.close_all()


@pytest.fixture(autouse=True)
def _browser_tests_close_db(request):
    if "browser" in request.fixturenames:
        request.getfixturevalue("_close_db_in_browser_context")


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    """Retries back off a tenth as long as in production (0.02 s, 0.04 s, ... + jitter).

    Still exponential, jittered and counted against the budget, so what the tests prove
    holds; but a test whose API is down no longer waits 1.2 s of backoff to say so, and
    no test measures the backoff itself.
    """
    production = api_client._retry

    def quick(retries: int, retry_after_max: float):
        retry = production(retries, retry_after_max)
        return retry.new(
            backoff_factor=retry.backoff_factor / 10, backoff_jitter=retry.backoff_jitter / 10
        )

    monkeypatch.setattr(api_client, "_retry", quick)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with an empty response cache and a new client (closed circuit).

    And in the default language: a request through the test client leaves its language
    active in the thread, which the next test in the same process would inherit.
    """
    translation.activate(django_settings.LANGUAGE_CODE)
    cache.clear()
    client.get_client.cache_clear()
    # A test may leave a download unread, which a WSGI server would have closed.
    export_slots.cache_clear()
    yield
    cache.clear()
    client.get_client.cache_clear()


@pytest.fixture
def clock(monkeypatch):
    """Hold the response cache's time (activities.service) still; `clock(31)` moves it on."""
    import time as real_time

    now = [real_time.time()]
    monkeypatch.setattr(service.time, "time", lambda: now[0])

    def advance(seconds):
        now[0] += seconds

    return advance


@pytest.fixture
def drawn(monkeypatch):
    """The names of the templates Jinja2 loads from now on, in order, from no kept
    partial (dashboard/jinja2.py keeps the header, the filter bar and more)."""
    from dashboard import jinja2

    jinja2.forget_kept()
    names = []
    real = jinja2._Environment.get_template

    def counting(env, name, *args, **kwargs):
        names.append(name)
        return real(env, name, *args, **kwargs)

    monkeypatch.setattr(jinja2._Environment, "get_template", counting)
    return names


@pytest.fixture
def user(django_user_model):
    """A supervisor: a member of the group that may see tasks.

    The group and its permission are the data migrations' (put back after a browser
    test's flush, above): a supervisor is what joining that group makes.
    """
    from django.contrib.auth.models import Group

    supervisor = django_user_model.objects.create_user(username="sofia", password=PASSWORD)
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    return supervisor


@pytest.fixture
def outsider(django_user_model):
    """Signed in, but not a supervisor."""
    return django_user_model.objects.create_user(username="otto", password=PASSWORD)


@pytest.fixture
def signed_in(client, user):
    """`client` with a session signed in as `user`, made as Django's `force_login` makes it.

    The session holds what `login()` stores (user, backend, password hash) and is saved
    by the configured engine, but without `login()`'s signal handlers (django-axes's
    access log and attempts, `last_login`), which cost about two thirds of a sign-in and
    which no test that starts signed in looks at. The tests about signing in use the form
    (tests/test_security.py, tests/test_sessions.py).
    """
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )

    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The backend force_login picks: the first that can load a user.
    session[BACKEND_SESSION_KEY] = next(
        path
        for path in django_settings.AUTHENTICATION_BACKENDS
        if hasattr(load_backend(path), "get_user")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture
def canned(settings):
    """A real HTTP server that answers what a test sets, for faults the sandbox lacks.

    Usage: `canned.answer = (503, "text/html", "<h1>Bad gateway</h1>")`.
    """
    with canned_server() as server:
        point_at(settings, server)
        yield server
