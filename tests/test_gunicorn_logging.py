"""The access lines of dashboard.gunicorn_logging.Logger are gunicorn's own, byte for byte."""

from __future__ import annotations

import base64
import datetime as dt
import runpy
from pathlib import Path

import pytest
from gunicorn import glogging
from gunicorn.config import Config

from dashboard.gunicorn_logging import Logger

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = Config().access_log_format


class _Response:
    def __init__(self, status: str, sent: int | None, headers: list[tuple[str, str]]) -> None:
        self.status, self.sent, self.headers = status, sent, headers


class _Request:
    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers


def _environ(**extra: str) -> dict[str, str]:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/tasks/?q=%22quoted%22&per_page=20",
        "PATH_INFO": "/tasks/",
        "QUERY_STRING": 'q="quoted"&per_page=20',
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": 'Mozilla/5.0 "quoted" agent',
        "HTTP_COOKIE": "sessionid=abc; csrftoken=def",
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
    }
    environ.update(extra)
    return environ


def _line(logger_class, access_log_format: str, environ: dict, resp, req, capsys) -> str:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    logger = logger_class(cfg)
    # The same instant for both loggers: the line prints the time to the second.
    logger.now = lambda: "[02/Dec/2026:03:30:00 +0000]"
    logger.access(resp, req, environ, dt.timedelta(seconds=1, microseconds=2345))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = capsys.readouterr().out
    logger.access_log.handlers.clear()
    return line


CASES = {
    "a page": (_environ(), _Response("200 OK", 41234, [("Content-Type", "text/html")])),
    "a referer, no size": (
        _environ(HTTP_REFERER="http://127.0.0.1/tasks/?a=1"),
        _Response("302 Found", None, [("Location", "/tasks/")]),
    ),
    "basic auth user": (
        _environ(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"ana:secret").decode()),
        _Response("401 Unauthorized", 12, []),
    ),
    "no user agent": (
        {k: v for k, v in _environ().items() if k != "HTTP_USER_AGENT"},
        _Response("404 Not Found", 0, []),
    ),
}
FORMATS = {
    "gunicorn's default": DEFAULT,
    "every base atom": " ".join(f"%({a})s" for a in "hlutrsmUqHbBfaTDMLp") + " %(nope)s",
    "headers and environ": '%(h)s "%({cookie}i)s" %({content-type}o)s %({wsgi.url_scheme}e)s',
}


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_access_line_is_gunicorns_own(case, fmt, capsys):
    environ, resp = case
    req = _Request([("HOST", "127.0.0.1:8000"), ("COOKIE", environ["HTTP_COOKIE"])])
    ours = _line(Logger, fmt, environ, resp, req, capsys)
    theirs = _line(glogging.Logger, fmt, environ, resp, req, capsys)
    assert ours == theirs
    assert ours.count("\n") == 1 and ours.startswith("127.0.0.1 ")


def test_header_atoms_still_print_their_values(capsys):
    environ, resp = CASES["a page"]
    req = _Request([("COOKIE", "sessionid=abc")])
    fmt = FORMATS["headers and environ"]
    assert _line(Logger, fmt, environ, resp, req, capsys).strip() == (
        '127.0.0.1 "sessionid=abc" text/html http'
    )


def test_gunicorn_conf_uses_it():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["logger_class"] == "dashboard.gunicorn_logging.Logger"
    assert settings["accesslog"] == "-"  # the access lines are still written
