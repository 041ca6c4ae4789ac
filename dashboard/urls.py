"""Every URL of the dashboard: pages, exports, health checks, sign-in, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from activities import views
from mirror import views as mirror_views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/", include("activities.exports.urls")),
    # team.urls has no sync/ path: team/sync/ below is the syncer's page.
    path("team/", include("team.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("activities.user_urls")),
    path("team/sync/", mirror_views.sync_status, name="sync_status"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
