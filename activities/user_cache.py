"""Who may see tasks and which saved views the sidebar lists, cached so a page costs no query.

Without this a signed-in page read the user's and their groups' permissions (two
queries) and the saved views (one) on every view. Both answers are kept in Django's
cache for `ACTIVITIES_USER_CACHE_TTL` seconds and dropped at once when what they
depend on changes (the signals below): group membership, a group's or a user's
permissions, a group deleted, a user made active or inactive, a saved view saved or
deleted. A change reaches every process at once through Redis; with the in-memory
cache, processes other than the one that made the change see it within the TTL.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import SavedView

# A new token here makes every cached answer of that kind out of date at once.
ACCESS_GENERATION = "activities:access:generation"
VIEWS_GENERATION = "activities:saved-views:generation"
_FIELDS = ("id", "owner_id", "name", "query", "shared", "is_default", "page")


def _cached(generation_key: str, key: str, compute):
    """`compute()`, or its cached value if nothing changed since it was computed.

    One cache round trip on a hit: the entry holds the generation it was made in.
    """
    found = cache.get_many([generation_key, key])
    generation = found.get(generation_key)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = compute()
    cache.set(key, (generation, value), timeout=settings.ACTIVITIES_USER_CACHE_TTL)
    return value


def can_view_tasks(user, permission: str) -> bool:
    """Whether `user` has `permission` (Django's own check), cached per user.

    An inactive user never has it and a superuser always does; both are read from the
    user loaded for this request, so only the permission tables are cached.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    key = f"activities:access:{user.pk}:{permission}"
    return _cached(ACCESS_GENERATION, key, lambda: user.has_perm(permission))


def sidebar_rows(user) -> tuple[tuple, ...]:
    """The sidebar's views as plain values (`_FIELDS` and the owner's username), cached.

    What `sidebar_views` builds its views from; a kept page is keyed on it
    (activities/kept_pages.py).
    """
    username = get_user_model().USERNAME_FIELD
    return _cached(
        VIEWS_GENERATION,
        f"activities:saved-views:{user.pk}",
        lambda: tuple(
            SavedView.objects.filter(Q(owner=user) | Q(shared=True)).values_list(
                *_FIELDS, f"owner__{username}"
            )
        ),
    )


def sidebar_views(rows: tuple[tuple, ...]) -> list[SavedView]:
    """The views of `sidebar_rows(user)`: the user's own and the team's shared ones, in
    the sidebar's order.

    Unsaved `SavedView` instances rebuilt from cached values (no password hash or
    other user data goes into the cache); `view.owner` holds only the id and username.
    """
    username = get_user_model().USERNAME_FIELD
    views = []
    for *values, owner_name in rows:
        view = SavedView(**dict(zip(_FIELDS, values, strict=True)))
        view.owner = get_user_model()(pk=view.owner_id, **{username: owner_name})
        views.append(view)
    return views


def forget_access(**kwargs) -> None:
    cache.set(ACCESS_GENERATION, uuid.uuid4().hex, timeout=None)


def forget_saved_views(**kwargs) -> None:
    cache.set(VIEWS_GENERATION, uuid.uuid4().hex, timeout=None)


def _connect() -> None:
    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through):
        m2m_changed.connect(forget_access, sender=through, dispatch_uid=f"access-{through}")
    m2m_changed.connect(forget_access, sender=Group.permissions.through, dispatch_uid="access-gp")
    for model in (Group, Permission):
        post_delete.connect(forget_access, sender=model, dispatch_uid=f"access-{model}")
    # is_active and is_superuser are read fresh, but a renamed owner shows in the sidebar.
    post_save.connect(forget_saved_views, sender=user_model, dispatch_uid="views-user")
    post_delete.connect(forget_saved_views, sender=user_model, dispatch_uid="views-user-del")


_connect()


@receiver(post_save, sender=SavedView)
@receiver(post_delete, sender=SavedView)
def _saved_view_changed(**kwargs) -> None:
    forget_saved_views()
