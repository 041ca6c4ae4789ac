"""The admin pages for what users keep: saved views and preferences."""

from django.contrib import admin

from .models import SavedView, UserPreference


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "query", "shared", "is_default", "updated")
    list_filter = ("shared", "is_default")
    search_fields = ("name", "query", "owner__username")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = ("created", "updated")


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone")
    search_fields = ("user__username", "timezone")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
