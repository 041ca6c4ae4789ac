"""URLs for what a signed-in user keeps: saved views and preferences (being written)."""

urlpatterns: list = []
