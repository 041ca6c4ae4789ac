"""The Jinja2 environment for the dashboard's templates."""

import functools

import markupsafe
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import clear_url_caches, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import format_html
from jinja2 import Environment, pass_context, pass_environment
from jinja2.compiler import CodeGenerator
from markupsafe import Markup

from activities import formatting, widgets
from activities.recent import Recent
from activities.tokens import get_token
from team import names as team_names


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


# MarkupSafe's C escaping of a str (what `markupsafe.escape` calls), if this version has it.
_escape_str = getattr(markupsafe, "_escape_inner", None)


def escape_output(value) -> str:
    """`{{ value }}` in an autoescaped template: escaped, as a plain str when it was one.

    `markupsafe.escape` wraps every result in `Markup`, whose constructor is Python
    code; a 100-row table prints about 6,000 values, and that wrapping was a third of
    its rendering time. Text printed by `{{ }}` goes straight into the page (Jinja2
    marks whole buffers of output safe itself), so the wrapper is not needed there.
    `Markup` is printed as it is; anything else goes through `markupsafe.escape`,
    `__html__` and all.
    """
    kind = value.__class__
    if kind is str and _escape_str is not None:
        return _escape_str(value)
    if kind is markupsafe.Markup:  # e.g. what {{ _("…") }} returns: safe as it is
        return value
    return markupsafe.escape(value)


class _OutputCodeGenerator(CodeGenerator):
    """Jinja2's code generator, with `escape_output` for `{{ }}` in autoescaped templates."""

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(Environment):
    code_generator_class = _OutputCodeGenerator
    escape_output = staticmethod(escape_output)


class _CsrfInput:
    """`{{ csrf_input }}`, masked once per page instead of once per form printed.

    Django's Jinja2 backend makes it a lazy string that builds a newly masked token
    each time it is printed (32 random characters, then the mask): four forms a page.
    One masked token per response is what the BREACH mitigation needs. The markup is
    Django's `csrf_input`'s; the token is masked by `activities.tokens.get_token`.
    """

    def __init__(self, request) -> None:
        self._request = request
        self._html: str | None = None

    def __html__(self) -> str:
        if self._html is None:
            token = get_token(self._request)
            self._html = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
            )
        return self._html

    __str__ = __html__


def csrf_once(request) -> dict:
    """A context processor (settings.TEMPLATES): `csrf_input` built once per page."""
    return {"csrf_input": _CsrfInput(request)}


_filter_fields: Recent[Markup] = Recent(256)


@pass_environment
def filter_fields(env: Environment, form) -> Markup:
    """The filter bar's fields for `form` (activities/_filter_fields.html).

    Without errors they depend only on the language, the submitted values and the
    channels offered, so each combination is drawn once per process: the nine
    controls were the costliest part of a page's header.
    """

    def render() -> Markup:
        html = env.get_template("activities/_filter_fields.html").render(form=form)
        return Markup(html)  # noqa: S704 (an autoescaped template's output)  # nosec B704

    if form.errors:
        return render()
    # Not `page`: the bar submits page 1, so every page of a view draws the same fields.
    data = tuple(item for item in form.data.items() if item[0] != "page")
    key = (translation.get_language(), data, tuple(form.fields["channel"].choices))
    return _filter_fields.get(key, render)


_presets: Recent[Markup] = Recent(256)


@pass_environment
def presets(env: Environment, request, form) -> Markup:
    """The date presets' links (activities/_presets.html), drawn once per language and
    query string: each link re-encodes the whole query string."""

    def render() -> Markup:
        html = env.get_template("activities/_presets.html").render(request=request, form=form)
        return Markup(html)  # noqa: S704 (an autoescaped template's output)  # nosec B704

    # Not `page`: every preset leads to the first page.
    query = tuple((name, tuple(v)) for name, v in request.GET.lists() if name != "page")
    key = (translation.get_language(), query, form.data.get("range"))
    return _presets.get(key, render)


_sidebars: Recent[tuple[str, ...]] = Recent(256)
# Where the sidebar's form prints `csrf_input` while it is drawn: filled in per page.
# A tag, which no value printed by `{{ }}` can contain (it would be escaped).
_TOKEN_HOLE = Markup("<csrf-input-hole>")


@pass_context
def saved_views(context, saved: dict) -> Markup:
    """The saved-views sidebar (activities/_saved_views.html) for `saved`
    (activities.saved_views.sidebar_context), drawn once per language and sidebar.

    It shows the user's and the team's views, the filters and the "Save this view"
    form, the same on every page of a view: building that form and drawing the sidebar
    cost about 0.3 M instructions a page (bench/README.md, "Ninth pass"). Its form's
    CSRF token is the page's, put in where the sidebar was drawn with a hole.
    """

    def render() -> tuple[str, ...]:
        env = context.environment
        html = env.get_template("activities/_saved_views.html").render(
            saved=saved, csrf_input=_TOKEN_HOLE
        )
        return tuple(html.split(_TOKEN_HOLE))

    pieces = _sidebars.get((translation.get_language(), saved["key"]), render)
    token = str(markupsafe.escape(context["csrf_input"]))  # str: Markup.join would escape
    return Markup(token.join(pieces))  # noqa: S704 (the template's output)  # nosec B704


@receiver(setting_changed)
def _forget_sidebars(**kwargs) -> None:
    # URLs, languages and the views' labels follow the settings (tests change them).
    _sidebars.clear()


# (language, autoescape, message) -> what Jinja2's newstyle gettext returned for it.
_translated: dict[tuple, str] = {}
# Templates translate literal messages only: a bound for safety, never reached.
_TRANSLATED_MAX = 4096


def _remembered(gettext):
    """Jinja2's newstyle `gettext`, remembered per language for messages without variables.

    A page prints some 55 `{{ _("…") }}`; each went through two `Context.call`s,
    Django's catalogue look-up, a `Markup` and a `%` (the newstyle rule: always a
    format string) at about 10 µs apiece. The result depends only on the active
    language, the autoescaping and the message while the catalogues stay as loaded
    (a settings change, in tests, forgets them). With variables it is Jinja2's own.
    """

    @pass_context
    def remembered(context, message, /, **variables):
        if variables:
            return gettext(context, message, **variables)
        # The language, looked up once per template rendered (Jinja2 makes a new
        # evaluation context for each): each look-up goes through asgiref's Local.
        eval_ctx = context.eval_ctx
        language = getattr(eval_ctx, "language", None)
        if language is None:
            language = eval_ctx.language = translation.get_language()
        key = (language, eval_ctx.autoescape, message)
        found = _translated.get(key)
        if found is None:
            if len(_translated) >= _TRANSLATED_MAX:
                _translated.clear()
            found = _translated[key] = gettext(context, message)
        return found

    return remembered


@receiver(setting_changed)
def _forget_translations(**kwargs) -> None:
    # LANGUAGES, LOCALE_PATHS and the like change what a message translates to.
    _translated.clear()


def environment(**options) -> Environment:
    # Django's Jinja2 backend passes autoescape=True in options.
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = _Environment(extensions=extensions, **options)  # noqa: S701
    # {{ _("text") }}, {{ _("%(n)s tasks", n=3) }} and {{ ngettext(...) }} go through
    # Django's translation machinery, so the active language is the request's.
    env.install_gettext_translations(translation, newstyle=True)
    # {{ _("text") }} without variables, remembered per language (see `_remembered`).
    env.globals["gettext"] = env.globals["_"] = _remembered(env.globals["gettext"])
    env.globals.update(
        static=staticfiles_storage.url,
        url=url,
        querystring=formatting.querystring,
        # querystring(request, page=n) for every page link, the rest encoded once.
        page_links=lambda request: formatting.FilterLinks(request, drop=None),
        control=widgets.control,
        page_title=formatting.page_title,
        filter_fields=filter_fields,
        presets=presets,
        saved_views=saved_views,
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
