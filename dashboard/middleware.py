"""Cheaper versions of middleware: django-csp's (policy built once), Django's GZip (level)
and locale (no language prefix looked for in paths that have none)."""

from __future__ import annotations

import functools
import gzip
import secrets
from typing import Any

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.middleware import gzip as django_gzip
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Set on a response by django-csp's view decorators (csp, csp_update, csp_replace): such
# a response's policy is built by django-csp itself, as is one whose page used a nonce.
_VARYING = frozenset(
    f"_csp_{kind}{ro}" for kind in ("config", "update", "replace") for ro in ("", "_ro")
)


class CSPMiddleware(middleware.CSPMiddleware):
    """The same headers as django-csp's own, which builds the policy from the settings
    twice on every response (two dataclass copies and two passes over the directives,
    about 0.2 ms a request; bench/README.md, "Fifth pass"). A response whose policy
    varies (a view decorator, a nonce, DEBUG's error pages) goes through django-csp."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            _VARYING.intersection(vars(response))
            or getattr(request, "_csp_nonce", None) is not None
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        for header, policy, exempt, prefixes in _policies():
            if (
                header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """Per header to send: its name, the policy, the response's exemption attribute and
    the URL prefixes excluded, as django-csp reads them from the settings."""
    policies = []
    for header, name, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            policies.append((header, policy, exempt, tuple(prefixes)))
    return tuple(policies)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _policies.cache_clear()


# zlib's level for pages: 2 compresses a 20-row page in about 0.24 ms instead of 0.60 at
# Django's 6 (7 KB instead of 6), a 100-row one in 0.8 ms instead of 2.2 (19 KB, 15).
PAGE_GZIP_LEVEL = 2


class GZipMiddleware(django_gzip.GZipMiddleware):
    """Django's GZip, compressing whole pages at `PAGE_GZIP_LEVEL` instead of 6.

    The same headers, the same rules (short, already encoded or larger-when-compressed
    answers are sent as they are) and the same BREACH padding: a random-length file
    name in the gzip header. Streamed answers (exports) are Django's own."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.streaming:
            return super().process_response(request, response)
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not django_gzip.re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = compress_page(response.content, self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


def compress_page(content: bytes, max_random_bytes: int) -> bytes:
    """`content` gzipped as Django's `compress_string` does, at `PAGE_GZIP_LEVEL`: a
    file name of 0 to `max_random_bytes` - 1 bytes makes each answer's length vary."""
    compressed = memoryview(gzip.compress(content, compresslevel=PAGE_GZIP_LEVEL, mtime=0))
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    filename = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    return bytes(header) + filename + compressed[10:]


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, skipping the language prefix it looks for in every path, twice a
    request, when the URLconf has no `i18n_patterns` (the dashboard's has none).

    Each look at a path such as /tasks/ takes "tasks" for a language code, and finding
    no such language raises and catches a LookupError that nothing caches: about 70 k
    instructions a request (a signed-in /healthz 2.84 -> 2.77 M; bench/README.md, "Tenth
    pass").
    The language, `Vary: Accept-Language` and `Content-Language` are Django's; with
    `i18n_patterns` in the URLconf, all of Django's own runs."""

    def process_request(self, request: HttpRequest) -> None:
        if _prefixed_paths(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if _prefixed_paths(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _prefixed_paths(request: HttpRequest) -> bool:
    """Whether the request's URLconf has `i18n_patterns` (Django caches the answer)."""
    return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]
