"""One syncer at a time: a lease row taken and renewed with a conditional UPDATE.

Works the same on SQLite and PostgreSQL. A syncer that dies keeps the lease until it
expires (3 sync intervals), then another takes it over.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import SyncLease

NAME = "sync"


def new_holder() -> str:
    """Who this process is, in words an administrator can trace: host, pid, a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    def __init__(self, holder: str | None = None, *, name: str = NAME) -> None:
        self.holder = holder or new_holder()
        self.name = name
        self._renewed_at: datetime | None = None

    def duration(self) -> timedelta:
        return timedelta(seconds=3 * settings.ACTIVITIES_SYNC_INTERVAL)

    def take(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; False when another holder has it and it has not expired."""
        now = now or timezone.now()
        expires = now + self.duration()
        # One statement: of two syncers racing here, the database lets one update win.
        taken = (
            SyncLease.objects.filter(name=self.name)
            .filter(Q(holder=self.holder) | Q(expires_at__lte=now))
            .update(holder=self.holder, expires_at=expires)
        )
        if taken:
            self._renewed_at = now
            return True
        try:
            with transaction.atomic():
                SyncLease.objects.create(name=self.name, holder=self.holder, expires_at=expires)
        except IntegrityError:
            return False  # another holder's row, not expired
        self._renewed_at = now
        return True

    def renew(self, now: datetime | None = None) -> bool:
        """Extend a lease this holder has; False when it was lost (expired and taken).

        Written at most every third of the lease's duration: each write is a commit, and
        this is asked before every slice.
        """
        now = now or timezone.now()
        if self._renewed_at is not None and now - self._renewed_at < self.duration() / 3:
            return True
        renewed = SyncLease.objects.filter(name=self.name, holder=self.holder).update(
            expires_at=now + self.duration()
        )
        self._renewed_at = now if renewed else None
        return bool(renewed)

    def release(self) -> None:
        """Let another syncer take over at once."""
        SyncLease.objects.filter(name=self.name, holder=self.holder).update(
            expires_at=timezone.now()
        )

    def current(self) -> SyncLease | None:
        return SyncLease.objects.filter(name=self.name).first()
