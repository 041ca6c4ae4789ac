"""Admission for exports: a few at a time per process and per host, one per user."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext

logger = logging.getLogger("activities.export")


class ExportsBusy(Exception):
    """No export may start now; the message says why in a sentence a supervisor reads."""


def _mine() -> ExportsBusy:
    return ExportsBusy(
        gettext(
            "You already have an export running. Wait until its download finishes, then try again."
        )
    )


def _others() -> ExportsBusy:
    return ExportsBusy(
        gettext("Other supervisors' exports are running right now. Try again in a minute.")
    )


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
    """At most `size` exports at once in this process, and one per user; then `host`'s.

    Each export fetches several pages at once; without a bound, a few exports hold
    every upstream connection and a supervisor's list page waits behind them.
    """

    def __init__(self, size: int, host: HostSlots | None = None) -> None:
        self.size = size
        self._host = host
        self._lock = threading.Lock()
        self._users: set[Any] = set()

    def take(self, user_key: Any) -> Slot:
        """A slot for `user_key`'s export. Raises `ExportsBusy` when none may start."""
        with self._lock:
            if user_key in self._users:
                raise _mine()
            if len(self._users) >= self.size:
                raise _others()
            self._users.add(user_key)
        try:
            release_host = self._host.take(user_key) if self._host else _nothing
        except BaseException:
            self._free(user_key)
            raise

        def release() -> None:
            try:
                release_host()
            finally:
                self._free(user_key)

        return Slot(release)

    def _free(self, user_key: Any) -> None:
        with self._lock:
            self._users.discard(user_key)

    def forget(self) -> None:
        """Unlock the host files these slots hold (see `HostSlots.forget`)."""
        if self._host is not None:
            self._host.forget()


def _nothing() -> None:
    pass


class HostSlots:
    """At most `size` exports at once on this host, one per user, whatever the process.

    Exports are CPU-bound and gunicorn runs several workers, so per-process limits
    alone let 2 × workers exports share the cores with the pages. Each slot, and each
    user, is a file in `folder` locked with `flock`: the kernel frees the lock when its
    holder's process dies, so a crashed worker never keeps a slot, and no service is
    needed. A folder that cannot be used is logged and only the per-process limits apply.
    """

    def __init__(self, folder: Path, size: int) -> None:
        self.folder, self.size = folder, size
        self._held: set[_Locked] = set()
        self._guard = threading.Lock()

    def take(self, user_key: Any) -> Callable[[], None]:
        """Lock `user_key`'s file and a free slot's; the function that unlocks both."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.folder.stat().st_uid != os.getuid():
                # In a shared temporary folder, another account's folder is not ours.
                raise PermissionError(f"{self.folder} belongs to another user")
            user = _lock(self.folder / f"user-{_digest(user_key)}.lock")
        except OSError as exc:
            logger.warning("export host slots unavailable in %s: %s", self.folder, exc)
            return _nothing
        if user is None:
            raise _mine()
        for number in range(self.size):
            try:
                slot = _lock(self.folder / f"slot-{number}.lock")
            except OSError:
                slot = None  # an unusable file is a busy slot
            if slot is not None:
                return self._hold(user, slot)
        user.unlock()
        raise _others()

    def _hold(self, *locks: _Locked) -> Callable[[], None]:
        with self._guard:
            self._held.update(locks)

        def unlock() -> None:
            with self._guard:
                self._held.difference_update(locks)
            for lock in locks:
                lock.unlock()

        return unlock

    def forget(self) -> None:
        """Unlock every file this instance holds (its process-wide state is dropped)."""
        with self._guard:
            held, self._held = self._held, set()
        for lock in held:
            lock.unlock()


class _Locked:
    """One locked file; `unlock()` may be called more than once (closes its file once)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        self._guard = threading.Lock()

    def unlock(self) -> None:
        with self._guard:
            fd, self._fd = self._fd, None
        if fd is not None:
            # Closing the only descriptor of an open file description releases its flock.
            os.close(fd)


def _digest(user_key: Any) -> str:
    # A user's id is not written in a world-listable file name as it is.
    return hashlib.sha256(str(user_key).encode()).hexdigest()[:24]


def _lock(path: Path) -> _Locked | None:
    """`path` open and exclusively locked; None when another open file holds its lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return _Locked(fd)


def host_folder() -> Path:
    """`ACTIVITIES_EXPORT_LOCK_DIR`, or one folder per installation in the temp dir."""
    if settings.ACTIVITIES_EXPORT_LOCK_DIR:
        return Path(settings.ACTIVITIES_EXPORT_LOCK_DIR)
    install = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"dashboard-exports-{os.getuid()}-{install}"


class _ProcessSlots:
    """`export_slots()`: the process's `ExportSlots`, made from the settings on first use.

    `cache_clear()` drops them (a setting changed; a test starts afresh) and unlocks
    their host files: a download left unread holds no host slot past that.
    """

    def __init__(self) -> None:
        self._slots: ExportSlots | None = None
        self._guard = threading.Lock()

    def __call__(self) -> ExportSlots:
        with self._guard:
            if self._slots is None:
                size = settings.ACTIVITIES_EXPORT_HOST_SLOTS
                host = HostSlots(host_folder(), size) if size else None
                self._slots = ExportSlots(settings.ACTIVITIES_EXPORT_SLOTS, host)
            return self._slots

    def cache_clear(self) -> None:
        with self._guard:
            slots, self._slots = self._slots, None
        if slots is not None:
            slots.forget()


# `ACTIVITIES_EXPORT_SLOTS` per process, `ACTIVITIES_EXPORT_HOST_SLOTS` on the host.
export_slots = _ProcessSlots()


@receiver(setting_changed)
def _forget_slots(*, setting: str, **kwargs: Any) -> None:
    if setting in (
        "ACTIVITIES_EXPORT_SLOTS",
        "ACTIVITIES_EXPORT_HOST_SLOTS",
        "ACTIVITIES_EXPORT_LOCK_DIR",
        "BASE_DIR",
    ):
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
