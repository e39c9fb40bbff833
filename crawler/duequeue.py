"""Due sites in priority order, released at a global rate: the scheduler's one queue for any number of sites.

One heap entry per site (no job or thread per site): the earliest due time comes out first, so after
downtime the most overdue site runs first, each once. A token bucket spreads the releases: at the
fleet's steady rate (the sum of 1/interval over the sites), 15,000 sites due at once start evenly over
one interval instead of all at the start. Pure: no Scrapy, no threads, the caller passes the clock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping

MIN_RATE = 1.0  # sites per second at least: a handful of sites is not held back by its long interval


def steady_rate(periods: Iterable[float], headroom: float = 1.0) -> float:
    """Sites per second that run every site once per its interval (times headroom), at least MIN_RATE."""
    return max(MIN_RATE, headroom * sum(1.0 / p for p in periods if p > 0))


class DueQueue:
    """Sites keyed by due time (epoch seconds); `pop_due` gives the most overdue one a token allows."""

    def __init__(self, rate_per_s: float, now: float, burst: float | None = None) -> None:
        if rate_per_s <= 0:
            raise ValueError("the dispatch rate must be positive")
        self.rate = rate_per_s
        self.burst = burst if burst is not None else max(1.0, rate_per_s)  # one second's worth
        self._tokens = 1.0
        self._refilled = now
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, name: object) -> bool:
        return name in self._due

    def push(self, name: str, due: float) -> None:
        """Queue a site (or move it) to run at `due`."""
        self._due[name] = due
        heapq.heappush(self._heap, (due, next(self._seq), name))

    def push_all(self, due: Mapping[str, float]) -> None:
        """Queue many sites at once."""
        for name, when in due.items():
            self.push(name, when)

    def discard(self, name: str) -> None:
        """Forget a site (its heap entry is skipped when it surfaces)."""
        self._due.pop(name, None)

    def _head(self) -> tuple[float, str] | None:
        while self._heap:
            due, _, name = self._heap[0]
            if self._due.get(name) == due:
                return due, name
            heapq.heappop(self._heap)  # stale: the site was moved or removed
        return None

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now

    def pop_due(self, now: float) -> str | None:
        """The most overdue site if one is due and the rate allows a start now, else None."""
        head = self._head()
        if head is None or head[0] > now:
            return None
        self._refill(now)
        if self._tokens < 1.0:
            return None
        self._tokens -= 1.0
        heapq.heappop(self._heap)
        del self._due[head[1]]
        return head[1]

    def wait_seconds(self, now: float) -> float | None:
        """Seconds until pop_due may give a site (None: the queue is empty)."""
        head = self._head()
        if head is None:
            return None
        self._refill(now)
        token_wait = max(0.0, (1.0 - self._tokens) / self.rate)
        return max(head[0] - now, token_wait, 0.0)

    def snapshot(self) -> dict[str, float]:
        """Every queued site and its due time."""
        return dict(self._due)
