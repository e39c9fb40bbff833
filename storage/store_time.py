"""Time helpers shared by storage modules."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    """Current time as ISO 8601 UTC with offset."""
    return datetime.now(UTC).isoformat(timespec="seconds")
