"""The scheduler's queue of due sites: most overdue first, a global rate, one entry per site."""

from __future__ import annotations

import pytest

from crawler.duequeue import MIN_RATE, DueQueue, steady_rate


def drain(q: DueQueue, start: float, until: float, step: float = 0.01) -> list[tuple[float, str]]:
    out, t = [], start
    while t <= until:
        name = q.pop_due(t)
        while name is not None:
            out.append((round(t, 2), name))
            name = q.pop_due(t)
        t += step
    return out


def test_most_overdue_first_and_not_before_due() -> None:
    q = DueQueue(100.0, now=0.0)
    q.push_all({"fresh": 50.0, "late": -3600.0, "new": 0.0, "later": -60.0})
    got = [n for _, n in drain(q, 0.0, 1.0)]
    assert got == ["late", "later", "new"]  # fresh is not due yet
    assert q.wait_seconds(1.0) == pytest.approx(49.0)
    assert q.pop_due(50.0) == "fresh" and len(q) == 0 and q.wait_seconds(51.0) is None


def test_the_rate_spreads_a_crowd_evenly() -> None:
    q = DueQueue(10.0, now=0.0)
    q.push_all({f"s{i}": 0.0 for i in range(100)})
    times = [t for t, _ in drain(q, 0.0, 20.0)]
    assert len(times) == 100
    assert times[-1] == pytest.approx(9.9, abs=0.05)  # 100 sites at 10/s: ten seconds, not one instant
    per_second = [sum(int(t) == s for t in times) for s in range(10)]
    assert max(per_second) <= 11


def test_one_entry_per_site_moving_and_discarding() -> None:
    q = DueQueue(100.0, now=0.0)
    q.push("a", 5.0)
    q.push("a", 1.0)  # moved earlier: one entry, the new time
    q.push("b", 2.0)
    q.discard("b")
    assert len(q) == 1 and "a" in q and "b" not in q
    assert [n for _, n in drain(q, 0.0, 10.0)] == ["a"]


def test_steady_rate_and_bad_rate() -> None:
    assert steady_rate([1800.0] * 15_000) == pytest.approx(15_000 / 1800)
    assert steady_rate([1800.0] * 3) == MIN_RATE  # a handful of sites is not held back
    with pytest.raises(ValueError):
        DueQueue(0.0, now=0.0)
