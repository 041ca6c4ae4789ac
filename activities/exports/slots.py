"""Admission for exports: a few at a time per process, and one per user, so pages stay fast."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext


class ExportsBusy(Exception):
    """No export may start now; the message says why in a sentence a supervisor reads."""


class Slot:
    """One running export's place; `release()` may be called any number of times."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._release()


class ExportSlots:
    """At most `size` exports at once in this process, and one per user.

    Each export fetches several pages at once; without a bound, a few exports hold
    every upstream connection and a supervisor's list page waits behind them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._users: set[Any] = set()

    def take(self, user_key: Any) -> Slot:
        """A slot for `user_key`'s export. Raises `ExportsBusy` when none may start."""
        with self._lock:
            if user_key in self._users:
                raise ExportsBusy(
                    gettext(
                        "You already have an export running. Wait until its download "
                        "finishes, then try again."
                    )
                )
            if len(self._users) >= self.size:
                raise ExportsBusy(
                    gettext(
                        "Other supervisors' exports are running right now. Try again in a minute."
                    )
                )
            self._users.add(user_key)
        return Slot(lambda: self._free(user_key))

    def _free(self, user_key: Any) -> None:
        with self._lock:
            self._users.discard(user_key)


@lru_cache(maxsize=1)
def export_slots() -> ExportSlots:
    """The process-wide slots, `ACTIVITIES_EXPORT_SLOTS` of them."""
    return ExportSlots(settings.ACTIVITIES_EXPORT_SLOTS)


@receiver(setting_changed)
def _forget_slots(*, setting: str, **kwargs: Any) -> None:
    if setting == "ACTIVITIES_EXPORT_SLOTS":
        export_slots.cache_clear()


class Releasing:
    """Iterates `chunks`; releases `slot` and calls `cleanup` once they end or are closed.

    A generator's `finally` does not run when it is closed before its first chunk
    (a client that goes away at once), hence a small class with its own `close()`.
    """

    def __init__(self, chunks: Iterator[bytes], slot: Slot, cleanup: Callable[[], None]) -> None:
        self._chunks, self._slot, self._cleanup = chunks, slot, cleanup

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self._slot.release()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        finally:
            self._slot.release()
            self._cleanup()
