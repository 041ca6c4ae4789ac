"""The Jinja2 environment for the dashboard's templates."""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import reverse
from jinja2 import Environment

from activities import formatting


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args, kwargs=kwargs)


def environment(**options) -> Environment:
    # Django's Jinja2 backend passes autoescape=True in options.
    env = Environment(**options)  # noqa: S701
    env.globals.update(
        static=staticfiles_storage.url,
        url=url,
        querystring=formatting.querystring,
        LIFECYCLE_TONES=formatting.LIFECYCLE_TONES,
        RESULT_TONES=formatting.RESULT_TONES,
    )
    env.filters.update(
        day_time=formatting.day_time,
        iso=formatting.iso,
        tone=formatting.tone,
        humanize=formatting.humanize,
        plain=formatting.plain,
        clock=formatting.clock,
        age=formatting.age,
    )
    return env
