"""Export of a filtered view (being written)."""

from django.http import HttpResponse


def export_csv(request):
    return HttpResponse(status=501)


def export_jsonl(request):
    return HttpResponse(status=501)
