"""The page's CSRF token, masked as Django's `get_token` masks it, from one random draw.

Every response carries a freshly masked token (BREACH): 32 random characters, and
the cookie's secret shifted by them. Django draws each of the 32 with its own
`secrets.choice` (one `os.urandom` call each), a tenth of a kept page's CPU; here they
come from one `secrets.token_bytes` call, each byte kept only below the largest
multiple of 62, so that every character stays equally likely. The token is the same
shape and Django's `CsrfViewMiddleware` checks it as its own.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_INDEX = {char: i for i, char in enumerate(_CHARS)}
# Bytes from here up would make the first characters likelier than the others.
_LIMIT = 256 - 256 % len(_CHARS)
# (secret's character, mask's character): the cipher's character, as Django's
# `_mask_cipher_secret` adds them: looked up, not worked out 32 times a page.
_SHIFTED = {
    (s, m): _CHARS[(i + j) % len(_CHARS)]
    for i, s in enumerate(_CHARS)
    for j, m in enumerate(_CHARS)
}


def get_token(request: HttpRequest) -> str:
    """A newly masked CSRF token for `request`, as `django.middleware.csrf.get_token`.

    The cookie's secret is used and the cookie marked for renewal, as Django's does;
    when the request has no valid secret yet, Django's own makes one.
    """
    secret = request.META.get("CSRF_COOKIE")
    if not isinstance(secret, str) or len(secret) != csrf.CSRF_SECRET_LENGTH:
        return csrf.get_token(request)
    if not set(secret) <= _INDEX.keys():
        return csrf.get_token(request)
    # As Django's: the cookie is sent again, so that its expiry is renewed.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_chars(len(secret))
    return mask + "".join(map(_SHIFTED.__getitem__, zip(secret, mask, strict=True)))


def _random_chars(count: int) -> str:
    """`count` characters of CSRF_ALLOWED_CHARS, each equally likely (secrets)."""
    chars: list[str] = []
    size = len(_CHARS)
    while len(chars) < count:
        chars += [_CHARS[byte % size] for byte in secrets.token_bytes(count + 8) if byte < _LIMIT]
    return "".join(chars[:count])
