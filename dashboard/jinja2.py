"""The Jinja2 environment for the dashboard's templates."""

import functools

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import clear_url_caches, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from jinja2 import Environment

from activities import formatting, widgets


def url(name: str, *args, **kwargs) -> str:
    # A page asks for the same dozen URLs on every view: each is reversed once.
    return _reversed(get_urlconf(), get_script_prefix(), name, args, tuple(kwargs.items()))


@functools.lru_cache(maxsize=512)
def _reversed(urlconf, prefix: str, name: str, args: tuple, kwargs: tuple) -> str:
    return reverse(name, urlconf=urlconf, args=args, kwargs=dict(kwargs))


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
        clear_url_caches()


def environment(**options) -> Environment:
    # Django's Jinja2 backend passes autoescape=True in options.
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = Environment(extensions=extensions, **options)  # noqa: S701
    # {{ _("text") }}, {{ _("%(n)s tasks", n=3) }} and {{ ngettext(...) }} go through
    # Django's translation machinery, so the active language is the request's.
    env.install_gettext_translations(translation, newstyle=True)
    env.globals.update(
        static=staticfiles_storage.url,
        url=url,
        querystring=formatting.querystring,
        control=widgets.control,
        page_title=formatting.page_title,
        get_language=translation.get_language,
        LANGUAGES=settings.LANGUAGES,
    )
    env.filters.update(
        number=formatting.number,
        clock=formatting.clock,
        age=formatting.age,
    )
    return env
