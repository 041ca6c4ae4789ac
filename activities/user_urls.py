"""URLs for what a signed-in user keeps: saved views and preferences."""

from django.urls import path

from . import saved_views, timezones

urlpatterns = [
    path("views/", saved_views.saved_views, name="saved_views"),
    path("views/save", saved_views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/rename", saved_views.saved_view_rename, name="saved_view_rename"),
    path("views/<int:pk>/delete", saved_views.saved_view_delete, name="saved_view_delete"),
    # One toggle view behind the two URLs (and names) that templates and bookmarks know.
    path(
        "views/<int:pk>/default",
        saved_views.saved_view_toggle,
        {"field": "is_default"},
        name="saved_view_default",
    ),
    path(
        "views/<int:pk>/share",
        saved_views.saved_view_toggle,
        {"field": "shared"},
        name="saved_view_share",
    ),
    path("views/<int:pk>/copy", saved_views.saved_view_copy, name="saved_view_copy"),
    path("preferences/timezone", timezones.set_timezone, name="set_timezone"),
]
