"""The dashboard's own "no such page" in DEBUG runs too (the demo), not Django's debug 404."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_found_middleware(get_response):
    # Outside DEBUG, Django already renders templates/404.html; in DEBUG it shows its
    # technical page, which lists every URL pattern: not what a demo visitor should see.
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return render(request, "404.html", status=404)
        return response

    return middleware
