"""URLs of the exports, under /tasks/: the filtered view as CSV, JSON Lines or Excel."""

from django.urls import path

from . import views

urlpatterns = [
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.jsonl", views.export_jsonl, name="export_jsonl"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
