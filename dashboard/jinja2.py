"""The Jinja2 environment for the dashboard's templates."""

import functools
import re

import markupsafe
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import clear_url_caches, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import format_html
from jinja2 import Environment, pass_context, pass_eval_context
from jinja2.compiler import CodeGenerator
from markupsafe import Markup

from activities import formatting, paging, widgets
from activities.formatting import escape_text
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
    if kind is str:
        return escape_text(value)
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


# Holes in a partial drawn once and kept (`_Kept`): tags, which no value printed by
# `{{ }}` can contain (it would be escaped), filled in per page.
_HOLES = {
    "csrf_input": Markup("<csrf-input-hole>"),
    "next": Markup("<next-hole>"),
    "tz_next": Markup("<tz-next-hole>"),
    "tz_next_url": Markup("<tz-next-url-hole>"),
}
_HOLE = re.compile("(" + "|".join(re.escape(str(hole)) for hole in _HOLES.values()) + ")")
_HOLE_NAMES = {str(hole): name for name, hole in _HOLES.items()}


class _Kept:
    """A partial template drawn once per key and kept in this process, its holes
    (`_HOLES`) filled in for each page."""

    def __init__(self, template: str, size: int = 256) -> None:
        self.template = template
        self._drawn: Recent[tuple[str, ...]] = Recent(size)

    def __call__(self, env: Environment, key, fills: dict[str, str], **context) -> Markup:
        """The partial for `key`, drawn from `context` (in which a hole stands for each
        of `fills`' names) the first time, with `fills`' text (HTML) in its holes."""

        def draw() -> tuple[str, ...]:
            html = env.get_template(self.template).render(**context)
            # Text, hole, text, hole, ..., text: the holes at the odd places.
            pieces = _HOLE.split(html)
            pieces[1::2] = [_HOLE_NAMES[hole] for hole in pieces[1::2]]
            return tuple(pieces)

        # The language and the links' prefix (WSGI's SCRIPT_NAME) are every partial's.
        kept_for = (translation.get_language(), get_script_prefix(), key)
        pieces = list(self._drawn.get(kept_for, draw))
        pieces[1::2] = [fills[name] for name in pieces[1::2]]
        return Markup("".join(pieces))  # noqa: S704 (the template's output)  # nosec B704

    def clear(self) -> None:
        self._drawn.clear()


def _token(context) -> str:
    # The page's one masked token, as `{{ csrf_input }}` prints it (str: not re-escaped).
    return str(markupsafe.escape(context["csrf_input"]))


_sidebars = _Kept("activities/_saved_views.html")


@pass_context
def saved_views(context, saved: dict) -> Markup:
    """The saved-views sidebar (activities/_saved_views.html) for `saved`
    (activities.saved_views.sidebar_context), drawn once per language and sidebar.

    It shows the user's and the team's views, the filters and the "Save this view"
    form, the same on every page of a view: building that form and drawing the sidebar
    cost about 0.3 M instructions a page (bench/README.md, "Ninth pass"). Its form's
    CSRF token is the page's, put in where the sidebar was drawn with a hole.
    """
    fills = {"csrf_input": _token(context)}
    return _sidebars(context.environment, saved["key"], fills, saved=saved, **_HOLES)


_tab_bars = _Kept("activities/_status_tabs.html")


@pass_context
def status_tab_bar(context, request, form, counts) -> Markup:
    """The status tabs (activities/_status_tabs.html), drawn once per language, view
    and counts: every page of a view shows the same tabs, whose links lead to its
    first page."""
    query = tuple(item for item in request.GET.items() if item[1] != "" and item[0] != "page")
    key = (query, form.cleaned_data.get("status") or "", tuple(counts.items()))
    tabs = context["status_tabs"]
    return _tab_bars(
        context.environment, key, {}, request=request, form=form, counts=counts, status_tabs=tabs
    )


_filter_bars = _Kept("activities/_filters.html")


@pass_context
def filter_bar(context, request, form, filters) -> Markup:
    """The filter bar (activities/_filters.html): the presets, the fields, the chips of
    `filters` (`form.active_filters()`), drawn once per language and view, as every page
    of a view shows it (its links and its form lead to the first page). Drawn each time
    when the form has errors."""
    shown = {"request": request, "form": form, "filters": filters}
    if form.errors:
        html = context.environment.get_template(_filter_bars.template).render(**shown)
        return Markup(html)  # noqa: S704 (the template's output)  # nosec B704
    key = (
        tuple((name, tuple(values)) for name, values in request.GET.lists() if name != "page"),
        tuple(form.fields["channel"].choices),  # the channels offered
        form.range_in_words(),  # the preset's dates, which move with the day and the zone
        tuple(filters),
        team_names.version(),  # the ID filters' suggestions and the chips' names
    )
    return _filter_bars(context.environment, key, {}, **shown)


_headers = _Kept("_header.html")


@pass_context
def site_header(context) -> Markup:
    """The header every page shows (templates/_header.html): drawn once per language,
    user, section (tasks, team) and time-zone choice, then filled in with the page's
    CSRF token and the paths its forms return to.

    It was the costliest part of drawing a page around its rows (the two forms, the
    languages, the time zones: bench/README.md, "Eleventh pass").
    """
    request, tzpref = context["request"], context["tzpref"]
    user = request.user
    path = request.path_info  # without the prefix the dashboard may be served under
    section = "tasks" if path.startswith("/tasks/") else "team" if path.startswith("/team/") else ""
    shown = {
        "signed_in": user.is_authenticated,
        "username": user.get_username(),
        "section": section,
        "tzpref": {**tzpref, "next": _HOLES["tz_next"], "next_url": _HOLES["tz_next_url"]},
    }
    key = (
        *(shown[name] for name in ("signed_in", "username", "section")),
        *(tzpref[name] for name in ("current", "saved", "common")),
    )
    fills = {
        "csrf_input": _token(context),
        "next": escape_output(request.get_full_path()),
        "tz_next": escape_output(tzpref["next"]),
        "tz_next_url": escape_output(tzpref["next_url"]),
    }
    return _headers(context.environment, key, fills, **shown, **_HOLES)


def forget_kept() -> None:
    """Draw every kept partial anew from now on."""
    for kept in (_sidebars, _headers, _tab_bars, _filter_bars):
        kept.clear()


@receiver(setting_changed)
def _forget_kept(**kwargs) -> None:
    # URLs, languages and the views' labels follow the settings (tests change them).
    forget_kept()


# (language, autoescape, message, without variables) -> the translation (`Markup` when
# autoescaping), formatted with no variables when it has none: what Jinja2's newstyle
# gettext would format.
_translated: dict[tuple, str] = {}
# Templates translate literal messages only: a bound for safety, never reached.
_TRANSLATED_MAX = 4096


def _remembered(gettext):
    """Jinja2's newstyle `gettext`, each message's translation remembered per language.

    A page prints some 55 `{{ _("…") }}`; each went through two `Context.call`s,
    Django's catalogue look-up, a `Markup` and a `%` (the newstyle rule: always a
    format string) at about 10 µs apiece, and inside a loop or after a `{% set %}` in
    a block Jinja2 also built a new `Context` per call to pass it. The translation
    depends only on the active language, the autoescaping and the message while the
    catalogues stay as loaded (a settings change, in tests, forgets them), so it is
    looked up once; with variables, it is formatted as Jinja2 would (`Markup % vars`
    escapes them); without, the formatted text itself is kept. `gettext` is the
    translation function Jinja2's was made from.
    """

    @pass_eval_context
    def remembered(eval_ctx, message, /, **variables):
        # The language, looked up once per template rendered (Jinja2 makes a new
        # evaluation context for each): each look-up goes through asgiref's Local.
        language = getattr(eval_ctx, "language", None)
        if language is None:
            language = eval_ctx.language = translation.get_language()
        key = (language, eval_ctx.autoescape, message, not variables)
        found = _translated.get(key)
        if found is None:
            if len(_translated) >= _TRANSLATED_MAX:
                _translated.clear()
            found = gettext(message)
            if eval_ctx.autoescape:
                # As Jinja2's: translations are trusted markup; `%` escapes the variables.
                found = Markup(found)  # noqa: S704  # nosec B704
            if not variables:
                found = found % {}  # the newstyle rule: always a format string
            _translated[key] = found
        return found % variables if variables else found

    return remembered


@pass_eval_context
def _ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables):
    """Jinja2's newstyle `ngettext`, given the evaluation context rather than the
    context: as `pass_context`, inside a loop or after a block's `{% set %}`, Jinja2
    built a new `Context` for every call to pass it. The same text: `num` is a
    variable too, and `Markup % vars` escapes them."""
    variables.setdefault("num", num)
    translated = translation.ngettext(singular, plural, num)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 (as Jinja2's: trusted)  # nosec B704
    return translated % variables


@functools.lru_cache(maxsize=256)
def static(path: str) -> str:
    """`staticfiles_storage.url(path)`, worked out once per file: every page links the
    same four, and each was a manifest look-up and a `urljoin`."""
    return staticfiles_storage.url(path)


@receiver(setting_changed)
def _forget_static(**kwargs) -> None:
    # STATIC_URL and STORAGES change the URLs (tests).
    static.cache_clear()


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
    # {{ _("text") }}, each message's translation remembered per language (`_remembered`).
    env.globals["gettext"] = env.globals["_"] = _remembered(translation.gettext)
    env.globals["ngettext"] = _ngettext
    env.globals.update(
        static=static,
        url=url,
        querystring=formatting.querystring,
        # The page links' list (activities/paging.py): querystring(request, page=n) for
        # each, the rest of the query string encoded once.
        page_links=lambda request, pager: paging.links_html(
            pager, formatting.FilterLinks(request, drop=None)
        ),
        control=widgets.control,
        page_title=formatting.page_title,
        saved_views=saved_views,
        site_header=site_header,
        status_tab_bar=status_tab_bar,
        filter_bar=filter_bar,
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
