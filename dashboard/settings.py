"""Settings for the task dashboard.

Every knob is read from the environment here, in one place, and documented in the
README. The defaults make `runserver` work at once against the sandbox API.
"""

import os
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


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

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
# Seconds a fetched view is reused without asking the API again ...
ACTIVITIES_CACHE_TTL = env_int("ACTIVITIES_CACHE_TTL", 30)
# ... and may still be shown, marked as old, while the API is failing.
ACTIVITIES_STALE_TTL = env_int("ACTIVITIES_STALE_TTL", 900)
# Channels offered in the filter besides SALESMAN and CALLCENTER, e.g. "WHATSAPP,EMAIL".
ACTIVITIES_EXTRA_CHANNELS = [c.upper() for c in env_list("ACTIVITIES_EXTRA_CHANNELS", "")]

# Pages an export fetches at once, and the most rows one export holds.
ACTIVITIES_EXPORT_CONCURRENCY = env_int("ACTIVITIES_EXPORT_CONCURRENCY", 4, minimum=1)
ACTIVITIES_EXPORT_MAX_ROWS = env_int("ACTIVITIES_EXPORT_MAX_ROWS", 50_000, minimum=1)

# --- Django ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "activities",
]

MIDDLEWARE = [
    "activities.middleware.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "activities.timezones.timezone_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "task-dashboard",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "activities": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    },
}
