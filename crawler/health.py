"""Whether a site's crawling is healthy: the rules `newsmon health` applies to each site's recent runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.cadence import local_time, period_seconds
from crawler.sites import Site, is_adhoc, load_sites, site_from_json
from storage.store import BAD_STATUSES, Store

HEALTH_HISTORY = 200  # runs read per site for `health`
STALE_PERIODS = 3  # no success within this many periods → unhealthy


@dataclass
class SiteHealth:
    """One site's health verdict and the facts behind it."""

    site: str
    healthy: bool
    problem: str
    last_status: str | None
    last_success: str | None
    consecutive_failures: int
    articles_24h: int


def _interruption(run: dict[str, Any]) -> bool:
    # stopped by a scheduler restart: not the site's fault, not a success either
    return run["status"] == "failed" and (run.get("reason") or "").startswith("shutdown")


def assess_site(
    site: str,
    runs_newest_first: Sequence[dict[str, Any]],
    period: int | None,
    articles_24h: int,
    now: datetime,
    max_failures: int = 0,
) -> SiteHealth:
    """Judge one site: too many failed runs in a row, or no success within STALE_PERIODS × its period."""
    finished = [
        r for r in runs_newest_first if r["status"] not in ("running", "skipped") and not _interruption(r)
    ]
    streak = 0
    for r in finished:
        if r["status"] not in BAD_STATUSES:
            break
        streak += 1
    last_ok = next((r for r in finished if r["status"] == "ok"), None)
    last_success = (last_ok.get("finished_at") or last_ok.get("started_at")) if last_ok else None
    problems = []
    future = [r["started_at"] for r in runs_newest_first
              if r.get("started_at") and datetime.fromisoformat(r["started_at"]) > now + timedelta(minutes=2)]  # fmt: skip
    if future:
        problems.append(f"a run started in the future ({local_time(max(future))}): the clock was set back")
    if streak > max_failures:
        r = finished[0]
        problems.append(
            f"{streak} failed run(s) in a row; last {r['status']}: {r.get('reason') or ''}".strip()
        )
    if period:
        window = timedelta(seconds=STALE_PERIODS * period)
        if last_success and now - datetime.fromisoformat(last_success) > window:
            problems.append(
                f"no successful run since {local_time(last_success)} ({STALE_PERIODS}× its period)"
            )
        elif not last_success:
            first = min((r["started_at"] for r in runs_newest_first if r.get("started_at")), default=None)
            if first is None:
                problems.append("never run")
            elif now - datetime.fromisoformat(first) > window:
                problems.append(f"no successful run since the first attempt at {local_time(first)}")
    elif not last_success:
        problems.append("no successful run yet")
    return SiteHealth(
        site=site,
        healthy=not problems,
        problem="; ".join(problems),
        last_status=finished[0]["status"] if finished else None,
        last_success=last_success,
        consecutive_failures=streak,
        articles_24h=articles_24h,
    )


def sites_to_judge(sites_path: str, recorded: Iterable[tuple[str, str | None]]) -> list[Site]:
    """The enabled sites of the configuration file if it exists, else those of the recorded (name, config
    JSON) pairs, without ad-hoc ones and configs that no longer parse."""
    if Path(sites_path).exists():
        return [s for s in load_sites(sites_path) if s.enabled]
    out = []
    for _name, config in recorded:
        try:
            site = site_from_json(config or "{}", "database")
        except (ValueError, KeyError):
            continue
        if site.enabled and not is_adhoc(site) and site.name != "adhoc":
            out.append(site)
    return out


def judge_sites(
    store: Store, sites: Sequence[Site], now: datetime, max_failures: int = 0
) -> list[SiteHealth]:
    """Every site's verdict from its last HEALTH_HISTORY runs and the articles first seen in the last 24 h."""
    articles = store.articles_since((now - timedelta(hours=24)).isoformat(timespec="seconds"))
    return [
        assess_site(
            s.name,
            store.recent_runs([s.name], (), HEALTH_HISTORY),
            period_seconds(s),
            articles.get(s.name, 0),
            now,
            max_failures,
        )
        for s in sites
    ]
