"""URLs of the team overview, under /team/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="team"),
    path("summary.json", views.summary_json, name="team_summary"),
    path("operators/<str:external_id>/", views.operator, name="team_operator"),
    path("routes/<str:code>/", views.route, name="team_route"),
    path("commerces/<str:external_id>/", views.commerce, name="team_commerce"),
]
