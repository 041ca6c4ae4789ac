"""The Jinja2 environment for the dashboard's templates."""

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import reverse
from django.utils import translation
from jinja2 import Environment

from activities import formatting, widgets
from team import names as team_names


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args, kwargs=kwargs)


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
        team_datalists=team_names.datalists,
    )
    env.filters.update(
        number=formatting.number,
        clock=formatting.clock,
        age=formatting.age,
        # The sync and team pages show a few dates and codes outside the task table.
        day_time=formatting.day_time,
        humanize=formatting.humanize,
    )
    return env
