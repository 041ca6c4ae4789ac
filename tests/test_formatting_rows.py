"""The rows' own formatting shortcuts (activities/formatting.py) say what Python's would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from activities.formatting import iso


def test_iso_writes_what_isoformat_writes_for_every_kind_of_instant():
    instants = [
        datetime(2026, 12, 1, 15, 7, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 4, 15, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # the year padded to four digits
        datetime(2026, 12, 1, 18, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 11, 30, 23, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-3))),
        datetime(2026, 12, 1, 18, 0),  # no zone at all
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    instants += [start + timedelta(seconds=7_919 * n, microseconds=n % 3) for n in range(4_000)]
    assert [iso(value) for value in instants] == [value.isoformat() for value in instants]
