"""dashboard.middleware.GZipMiddleware: Django's GZip at a lower level, BREACH padding kept."""

from __future__ import annotations

import gzip

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory

from dashboard.middleware import GZipMiddleware

BODY = b"".join(b"<tr><td>T-%d</td><td>Farmacia Central</td></tr>\n" % n for n in range(400))
HEADERS = ("Content-Encoding", "Vary", "ETag")


def _answer(middleware_class, body=BODY, encoding="gzip, deflate", **headers):
    request = RequestFactory().get("/tasks/", HTTP_ACCEPT_ENCODING=encoding)
    response = HttpResponse(body, headers=headers)
    return middleware_class(lambda r: response).process_response(request, response)


def test_a_page_decompresses_to_itself_with_djangos_headers():
    ours, django = _answer(GZipMiddleware, ETag='"v1"'), _answer(DjangoGZip, ETag='"v1"')
    assert gzip.decompress(ours.content) == BODY
    assert {h: ours.get(h) for h in HEADERS} == {h: django.get(h) for h in HEADERS}
    assert ours["ETag"] == 'W/"v1"' and ours["Content-Encoding"] == "gzip"
    assert int(ours["Content-Length"]) == len(ours.content)


def test_each_answer_carries_a_random_length_file_name_against_breach():
    answers = [_answer(GZipMiddleware).content for _ in range(20)]
    assert all(answer[3] & gzip.FNAME for answer in answers)
    assert len({len(answer) for answer in answers}) > 1
    assert all(gzip.decompress(answer) == BODY for answer in answers)


@pytest.mark.parametrize(
    ("body", "encoding", "headers"),
    [
        (BODY, "", {}),  # not asked for
        (BODY, "br", {}),
        (b"short", "gzip", {}),
        (BODY, "gzip", {"Content-Encoding": "br"}),  # already encoded
    ],
)
def test_what_django_sends_as_it_is_is_sent_as_it_is(body, encoding, headers):
    ours = _answer(GZipMiddleware, body, encoding, **headers)
    django = _answer(DjangoGZip, body, encoding, **headers)
    assert ours.content == django.content == body
    assert {h: ours.get(h) for h in HEADERS} == {h: django.get(h) for h in HEADERS}


def test_a_streamed_answer_is_compressed_by_django_as_it_streams():
    request = RequestFactory().get("/tasks/export.csv", HTTP_ACCEPT_ENCODING="gzip")
    response = StreamingHttpResponse(iter([BODY[:5000], BODY[5000:]]))
    answered = GZipMiddleware(lambda r: response).process_response(request, response)
    assert answered.streaming and answered["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(answered.streaming_content)) == BODY
