"""The one timestamp format newsmon stores: ISO 8601 in UTC, to the second, with its offset."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime | None = None) -> str:
    """moment (now when None) as ISO 8601 UTC with offset: 2023-11-22T01:30:00+00:00."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
