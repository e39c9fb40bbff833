"""Revisit policy as pure functions: when a stored article is checked again, and how many checks a run may make.

Each article is re-checked on a decaying schedule measured from when it was first seen (default 1 h, 6 h,
24 h, 3 d, 7 d, 30 d; then never). A run spends at most a share of its requests on revisits (default 20%),
and only after its sources and new articles: revisits never crowd out new articles. The oldest due go
first; what does not fit waits for the next run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_SCHEDULE: tuple[int, ...] = (3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
DEFAULT_SHARE = 0.2
# unspent budget carried to the next run, at most this many revisits: a quiet site (one 304 per run)
# still earns a revisit every few runs, and a long quiet spell cannot pile up a burst
MAX_CARRY = 1.0


def parse_schedule(value: Any, parse_duration: Any) -> tuple[int, ...] | None:
    """A site's `revisit` setting → offsets in seconds (None: revisits off). Raises ValueError when invalid.

    `true` or absent: the default schedule; `false`: off; a list of durations ("1h", "3d"): that schedule.
    """
    if value is None or value is True:
        return DEFAULT_SCHEDULE
    if value is False:
        return None
    if not isinstance(value, list) or not value:
        raise ValueError('expected true, false or a non-empty list of durations like ["1h", "1d", "7d"]')
    offsets = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"expected a duration string like '6h', got {item!r}")
        offsets.append(parse_duration(item))
    if offsets != sorted(set(offsets)):
        raise ValueError("durations must grow from one to the next")
    return tuple(offsets)


def _parse(moment: str | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    dt = datetime.fromisoformat(moment)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def next_revisit(
    first_seen: str | datetime, now: str | datetime, schedule: Sequence[int] | None
) -> str | None:
    """When to check an article first seen at `first_seen` again, after a check at `now` (None: never).

    The next offset of the schedule that lies after `now`: a check delayed by the budget does not make the
    following ones pile up.
    """
    if not schedule:
        return None
    start, at = _parse(first_seen), _parse(now)
    for offset in schedule:
        due = start + timedelta(seconds=offset)
        if due > at:
            return due.astimezone(UTC).isoformat(timespec="seconds")
    return None


def budget(other_requests: int, share: float, carried: float = 0.0) -> tuple[int, float]:
    """(revisits this run may make, credit it has) for a run that made `other_requests` other requests.

    Revisits may be at most `share` of the run's requests: r <= share * (other + r), so each other request
    earns share / (1 - share) of a revisit. A share of 1 or more means no limit.
    """
    if share >= 1:
        return 1 << 30, 0.0
    if share <= 0:
        return 0, 0.0
    credit = carried + other_requests * share / (1 - share)
    return math.floor(credit + 1e-9), credit


def carry(credit: float, spent: int) -> float:
    """Budget left after a run, kept for the next one (never more than MAX_CARRY)."""
    return max(0.0, min(MAX_CARRY, credit - spent))
