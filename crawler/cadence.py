"""When a site is due: its interval or cron times (Asia/Shanghai), its catch-up time after downtime.

Pure time arithmetic for the scheduler; APScheduler's CronTrigger computes cron fire times and is built
once per distinct cron expression, not once per site. Imports no Scrapy.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from crawler.sites import Site

TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_EVERY = 1800


@functools.lru_cache(maxsize=1024)
def cron_trigger(expr: str) -> CronTrigger:
    """The (shared) trigger of a crontab expression."""
    return CronTrigger.from_crontab(expr, timezone=TZ)


def period_seconds(site: Site) -> int:
    """A site's interval; for a cron site, the gap between its next two fire times."""
    if site.every_seconds:
        return site.every_seconds
    trigger = cron_trigger(site.cron or "0 * * * *")
    now = datetime.now(TZ)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return int((second - first).total_seconds()) if first and second else 86400


CLOCK_SLACK = timedelta(minutes=2)  # a run's start this far past now means the clock went back


def due_after(site: Site, last_start: datetime) -> datetime | None:
    """The first time a site is due after a run that started at last_start (None: never again)."""
    if site.cron:
        return cron_trigger(site.cron).get_next_fire_time(None, last_start + timedelta(seconds=1))
    return last_start + timedelta(seconds=site.every_seconds or DEFAULT_EVERY)


def first_run_time(site: Site, last_start: datetime | None, now: datetime) -> datetime:
    """When a site should next run, given its last start: now when overdue (one catch-up run), else on time."""
    if last_start is None or last_start > now + CLOCK_SLACK:
        return now  # a start "in the future" (the clock was set back) says nothing about being due
    due = due_after(site, last_start)
    return now if due is None or due <= now else due


def next_on_grid(site: Site, started: datetime, now: datetime) -> datetime | None:
    """The site's first due time after now, on the rhythm of a run that started at `started`."""
    if site.cron:
        return cron_trigger(site.cron).get_next_fire_time(None, max(now, started) + timedelta(seconds=1))
    period = site.every_seconds or DEFAULT_EVERY
    steps = max(1, math.ceil((now - started).total_seconds() / period))
    return started + timedelta(seconds=steps * period)


def local_time(ts: str | None) -> str:
    """UTC ISO time → 'YYYY-MM-DD HH:MM:SS' in Asia/Shanghai ('' for none; an unparsable one as given)."""
    if not ts:
        return ""
    try:
        return datetime.fromisoformat(ts).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ts
