"""Settings for the task dashboard.

Every knob is read from the environment here, in one place, and documented in the
README. The defaults make `runserver` work at once against the sandbox API.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The sandbox (see sandbox/) listens here by default and accepts this key. They are
# used only while ACTIVITIES_API_BASE_URL is unset, i.e. on a demo or test machine.
SANDBOX_URL = "http://127.0.0.1:8001"
SANDBOX_KEY = "sandbox-demo-key"


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {raw!r}.") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be greater than zero, not {raw!r}.")
    return value


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "Production mode" is DEBUG off, the default. dashboard/checks.py then refuses to start
# (manage.py commands and gunicorn alike) with the development key, no allowed hosts or
# no API key.
DEBUG = env_bool("DJANGO_DEBUG", False)
# Refused outside DEBUG (dashboard.checks), so it never signs a production session.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"  # nosec B105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Origins a form may be posted from when a proxy changes the Host header, e.g.
# "https://tasks.example.com". Usually not needed.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- The Integration API -------------------------------------------------------------
_api_base_url = os.environ.get("ACTIVITIES_API_BASE_URL", "").strip()
ACTIVITIES_API_BASE_URL = (_api_base_url or SANDBOX_URL).rstrip("/")
ACTIVITIES_API_KEY = env_str("ACTIVITIES_API_KEY", "" if _api_base_url else SANDBOX_KEY)
# Seconds one attempt may wait for the API (connecting gets at most 3.05 s of it) ...
ACTIVITIES_API_TIMEOUT = env_float("ACTIVITIES_API_TIMEOUT", 5.0)
# ... and all attempts of one call together, retries and their waits included.
ACTIVITIES_API_BUDGET = env_float("ACTIVITIES_API_BUDGET", 10.0)
# Retries after the first attempt, on connection errors, 429, 502, 503 and 504.
ACTIVITIES_API_RETRIES = env_int("ACTIVITIES_API_RETRIES", 3)
# The longest Retry-After (seconds) the dashboard will wait for before retrying.
ACTIVITIES_RETRY_AFTER_MAX = env_float("ACTIVITIES_RETRY_AFTER_MAX", 5.0)
# After this many consecutive failures, calls fail at once for the cool-down (seconds).
ACTIVITIES_BREAKER_THRESHOLD = env_int("ACTIVITIES_BREAKER_THRESHOLD", 5, minimum=1)
ACTIVITIES_BREAKER_COOLDOWN = env_float("ACTIVITIES_BREAKER_COOLDOWN", 30.0)
# Seconds /readyz reuses the outcome of its API call (it needs no sign-in).
ACTIVITIES_READYZ_TTL = env_float("ACTIVITIES_READYZ_TTL", 5.0)
# Seconds a fetched view is reused without asking the API again ...
ACTIVITIES_CACHE_TTL = env_int("ACTIVITIES_CACHE_TTL", 30)
# ... and may still be shown, marked as old, while the API is failing.
ACTIVITIES_STALE_TTL = env_int("ACTIVITIES_STALE_TTL", 900)
# Seconds the status tabs' counts are reused: they change slowly and do not depend on
# the page number, so paging through a view asks for them once.
ACTIVITIES_COUNTS_TTL = env_int("ACTIVITIES_COUNTS_TTL", 120)
# Seconds a user's permission and sidebar of saved views are reused (activities/user_cache.py);
# a change drops them at once in this process and, with Redis, everywhere.
ACTIVITIES_USER_CACHE_TTL = env_int("ACTIVITIES_USER_CACHE_TTL", 60)
# Task-list pages each process keeps as HTML for repeated views (activities/kept_pages.py);
# 0 draws every page anew.
ACTIVITIES_KEPT_PAGES = env_int("ACTIVITIES_KEPT_PAGES", 64)
# Channels offered in the filter besides SALESMAN and CALLCENTER, e.g. "WHATSAPP,EMAIL".
ACTIVITIES_EXTRA_CHANNELS = [c.upper() for c in env_list("ACTIVITIES_EXTRA_CHANNELS", "")]
# Where "/" lands when the user has no default view: a preset of activities/ranges.py
# ("today", "this_week", ...), or "" for every task.
ACTIVITIES_DEFAULT_RANGE = env_str("ACTIVITIES_DEFAULT_RANGE", "today")

# Pages an export fetches at once, and the most rows one export holds.
ACTIVITIES_EXPORT_CONCURRENCY = env_int("ACTIVITIES_EXPORT_CONCURRENCY", 8, minimum=1)
ACTIVITIES_EXPORT_MAX_ROWS = env_int("ACTIVITIES_EXPORT_MAX_ROWS", 50_000, minimum=1)
# Exports running at once in one process (each fetching CONCURRENCY pages); one per user.
ACTIVITIES_EXPORT_SLOTS = env_int("ACTIVITIES_EXPORT_SLOTS", 2, minimum=1)
# Exports running at once on the whole host (every gunicorn worker), one per user; 0: no
# host-wide limit. Locked files in ACTIVITIES_EXPORT_LOCK_DIR (empty: one folder per
# installation in the system's temporary folder). By default one per two cores this
# process may use: an export keeps a core busy, and the pages keep the other half.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
ACTIVITIES_EXPORT_HOST_SLOTS = env_int(
    "ACTIVITIES_EXPORT_HOST_SLOTS", max(1, (_CORES or 2) // 2), minimum=0
)
ACTIVITIES_EXPORT_LOCK_DIR = env_str("ACTIVITIES_EXPORT_LOCK_DIR", "")
# The share of one core an export's formatting may use: after each page of rows it
# sleeps in proportion to the CPU time it spent (1: no pause, the default; the host
# slots above already leave the pages half the cores).
ACTIVITIES_EXPORT_CPU_SHARE = env_float("ACTIVITIES_EXPORT_CPU_SHARE", 1.0)
if not 0 < ACTIVITIES_EXPORT_CPU_SHARE <= 1:
    raise ImproperlyConfigured("ACTIVITIES_EXPORT_CPU_SHARE must be above 0 and at most 1.")

# The local copy of the tasks (mirror/), kept in step by `manage.py sync_tasks`.
ACTIVITIES_SYNC_DAYS_BACK = env_int("ACTIVITIES_SYNC_DAYS_BACK", 35, minimum=0)
ACTIVITIES_SYNC_DAYS_AHEAD = env_int("ACTIVITIES_SYNC_DAYS_AHEAD", 14, minimum=0)
ACTIVITIES_SYNC_INTERVAL = env_int("ACTIVITIES_SYNC_INTERVAL", 60, minimum=1)
ACTIVITIES_SYNC_COLD_INTERVAL = env_int("ACTIVITIES_SYNC_COLD_INTERVAL", 900, minimum=1)
ACTIVITIES_SYNC_SLICE_MAX = env_int("ACTIVITIES_SYNC_SLICE_MAX", 2_000, minimum=100)
ACTIVITIES_SYNC_CONCURRENCY = env_int("ACTIVITIES_SYNC_CONCURRENCY", 4, minimum=1)

# --- Django ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "activities",
    "mirror",
    "team",
    "dashboard",
]

MIDDLEWARE = [
    "activities.middleware.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions and the rest are looked at.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses pages (not static files: WhiteNoise already answered those, compressed).
    # Django adds random bytes to each gzip answer, which with its masked CSRF tokens
    # answers BREACH (README, "Browser security"); exports are compressed as they stream.
    # Django's, at a lower compression level for pages (dashboard/middleware.py).
    "dashboard.middleware.GZipMiddleware",
    # django-csp's, with the policy built once (dashboard/middleware.py).
    "dashboard.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, without looking for a language prefix no URL has (dashboard/middleware.py).
    "dashboard.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "activities.timezones.timezone_middleware",
    # Cache-Control: private, no-store for signed-in users; Retry-After on a lockout.
    "activities.headers.response_headers_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "activities.not_found.not_found_middleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

# Dashboard pages use Jinja2: a 100-row task table renders about five times faster
# than with Django's engine. The admin keeps Django's engine.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "dashboard.jinja2.environment",
            "context_processors": [
                "django.contrib.messages.context_processors.messages",
                "activities.timezones.context_processor",
                # After Django's own: one masked CSRF token per page, not one per form.
                "dashboard.jinja2.csrf_once",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database, cache, sessions ----------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Transactions take SQLite's write lock when they begin, waiting up to 20 s for it.
    # Deferred ones (the default) fail at once with "database is locked" when a
    # transaction that has read tries to write while another process writes: the syncer
    # beside a second syncer waiting for its lease, or beside a sign-in.
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis (CACHE_URL, else REDIS_URL) is what makes several instances one dashboard: the
# response cache, sign-in rate limits and session reads are shared through it. Without
# it each process keeps its own cache in memory.
CACHE_URL = (os.environ.get("CACHE_URL", "") or os.environ.get("REDIS_URL", "")).strip()
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "CACHE_URL (or REDIS_URL) must be a Redis URL such as redis://127.0.0.1:6379/0, "
            f"not {CACHE_URL.split('://')[0]!r}://…"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "dashboard",
            # A Redis that stops answering fails a page within seconds instead of
            # holding a worker thread for ever.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "task-dashboard",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }

# Sessions live in the database, so every instance sees them; with Redis they are read
# through the cache too.
# dashboard.sessions is Django's db backend read with one plain SQL statement.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if CACHE_URL else "dashboard.sessions"
# A session ends this many hours after signing in, whatever the user does meanwhile.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_HOURS", 12, minimum=1) * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in rate limit (django-axes) -------------------------------------------------
# After DJANGO_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused (HTTP 429, templates/registration/locked_out.html) until
# DJANGO_LOGIN_COOLOFF_MINUTES have passed; a successful sign-in clears the count.
# Attempts are counted in Redis when it is configured (shared, expiring by itself),
# otherwise in the database, which every process of one machine shares.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading each page's user with a raw query (dashboard/auth.py);
    # Django's own stays listed for sessions signed in before, and checks no password.
    "dashboard.auth.ModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if CACHE_URL
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout ends the promised minutes after it began, even if attempts go on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

# --- HTTPS and browser security ------------------------------------------------------
# Production is served over HTTPS: redirect plain HTTP, send HSTS, keep cookies off
# plain connections. DJANGO_HTTPS=false switches that off for plain-HTTP runs on
# loopback (the benchmark, scripts/scaleout); DEBUG runs default to it.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe these over plain HTTP; they show nothing sensitive.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# Behind a TLS proxy on another machine, Django only knows a request came over HTTPS
# from the proxy's X-Forwarded-Proto header. Trust it only when the proxy sets it and
# clients cannot reach the dashboard except through the proxy.
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script reads the cookie
LANGUAGE_COOKIE_HTTPONLY = True
# Django's default sends no SameSite attribute on the language cookie.
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The language chosen in the header is remembered for a year, not just this visit.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load only their own static CSS and JavaScript: no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The interface speaks English and Spanish: the browser's Accept-Language picks one,
# the language switcher (Django's set_language) overrides it in a cookie.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Santiago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Production serves what `manage.py collectstatic` wrote to STATIC_ROOT, through
# WhiteNoise: compressed, with hashed names cached for ever. DEBUG runs (the demo) and
# the tests (tests/conftest.py) use the files in static/ as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "activities": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        # The syncer: one line per slice applied or skipped (mirror/sync.py).
        "mirror": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        # Server errors (with their traceback), refused hosts and sign-in lockouts.
        "django": {"handlers": ["console"], "level": "WARNING"},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
