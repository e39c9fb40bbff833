"""`newsmon schedule`, `newsmon runs`, `newsmon health`: background crawling and its run records."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from crawler.commands.common import check_sites, db_option, friendly_errors, settings_option, sites_option
from crawler.sites import Site, is_adhoc, load_sites, parse_duration, select_sites, site_from_json
from crawler.watchconfig import load_config
from storage.store import BAD_STATUSES, RUN_STATUSES, Store

HEALTH_HISTORY = 200  # runs read per site for `health`
STALE_PERIODS = 3  # no success within this many periods → unhealthy


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _local(ts: str | None) -> str:
    """UTC ISO time → 'YYYY-MM-DD HH:MM:SS' in Asia/Shanghai."""
    from scheduler import TZ

    if not ts:
        return ""
    try:
        return datetime.fromisoformat(ts).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ts


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def _open_existing(db_path: str) -> Store:
    if not Path(db_path).exists():
        raise click.ClickException(
            f"{db_path}: no such database (run `newsmon schedule` or `newsmon crawl` first)"
        )
    return Store(db_path, readonly=True)


def print_runs(rows: Sequence[dict[str, Any]]) -> None:
    """One line per run, newest first."""
    click.echo(
        f"{'id':>6} {'site':<20} {'status':<8} {'started (+08:00)':<19} {'secs':>6} {'pages':>5} "
        f"{'new':>4} {'dup':>4} {'upd':>4} {'fail':>4}  reason"
    )
    for r in rows:
        secs = _seconds(r.get("started_at"), r.get("finished_at"))
        click.echo(
            f"{r.get('id') or '':>6} {r['site']:<20} {r['status']:<8} {_local(r.get('started_at')):<19} "
            f"{'' if secs is None else f'{secs:.0f}':>6} {r.get('pages') or 0:>5} {r.get('new_items') or 0:>4} "
            f"{r.get('duplicate_items') or 0:>4} {r.get('updated_items') or 0:>4} {r.get('failures') or 0:>4}  "
            f"{r.get('reason') or ''}"
        )


@click.command()
@db_option
@sites_option
@click.option("--once", is_flag=True, help="Run every due site once, wait for the runs, and exit (for cron).")
@click.option("--site", "names", multiple=True, metavar="NAME", help="Only this site (repeatable).")
@click.option(
    "--max-crawls",
    type=click.IntRange(1, 256),
    default=lambda: int(os.environ.get("NEWSMON_MAX_CRAWLS", 0)) or None,
    show_default="$NEWSMON_MAX_CRAWLS or CPU cores",
    help="Crawls running at once; due runs wait for a free slot.",
)
@click.option(
    "--timeout",
    default="1h",
    show_default=True,
    callback=_duration,
    help="Time limit per run unless the site sets `timeout`; then SIGTERM, SIGKILL, status timeout.",
)
@click.option(
    "--grace",
    default="45s",
    show_default=True,
    callback=_duration,
    help="On SIGTERM/SIGINT, how long running crawls get to finish before SIGKILL.",
)
@click.option(
    "--log-dir", type=click.Path(file_okay=False), help="Append each crawl's log to DIR/<site>.log."
)
@settings_option
@click.option(
    "--runtime",
    type=click.Choice(["warm", "process"]),
    default="warm",
    show_default=True,
    help="warm: one worker imports Scrapy once and forks each run; process: a fresh `scrapy crawl` per run.",
)
@click.option(
    "--redis", "redis_url", metavar="URL", help="Cluster mode: queue due runs in Redis for `newsmon worker`s."
)
@friendly_errors
def schedule(
    db_path: str,
    sites_path: str,
    once: bool,
    names: tuple[str, ...],
    max_crawls: int | None,
    timeout: int,
    grace: int,
    log_dir: str | None,
    settings: dict[str, str],
    runtime: str,
    redis_url: str | None,
) -> None:
    """Crawl the configured sites on their schedules (`every` or `cron`, Asia/Shanghai), in the foreground.

    Each run is its own process (forked by a warm worker that imported Scrapy once; --runtime process:
    a fresh `scrapy crawl`); a site never runs twice at once (a run that is due while
    the previous one is still going is recorded as `skipped`). After downtime each overdue site runs
    once. SIGTERM or Ctrl-C stops starting runs, lets running crawls commit and finish within --grace,
    and exits 0. With --once, every due site runs once and the exit code is 1 if any run failed.

    Example: newsmon schedule --db news.db --sites sites.toml --log-dir logs

    Example (crontab): */5 * * * * newsmon schedule --once --db /srv/news.db --sites /srv/sites.toml

    Example (cluster, next to `newsmon ingest`): newsmon schedule --redis redis://127.0.0.1:6379/0
    """
    from crawler.runner import ScrapyRunner
    from scheduler import Scheduler, SchedulerBusy, scheduler_lock

    configured, _watches = load_config(sites_path)  # a broken [[watch]] stops here too
    chosen = select_sites(configured, list(names), sites_path) if names else configured
    chosen = [s for s in chosen if s.enabled]
    if not chosen:
        raise click.ClickException(f"{sites_path}: no enabled sites to schedule")
    extra: dict[str, str | int | float] = dict(settings)
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    if not once and not verbose:
        logging.getLogger("scheduler").setLevel(logging.INFO)  # one line per run in the service log
    runner: Any = ScrapyRunner(db_path, sites_path, extra, log_dir=log_dir, quiet=not verbose)
    if runtime == "warm":
        from crawler.runtime import WarmRunner

        runner = WarmRunner(db_path, sites_path, extra, log_dir=log_dir, quiet=not verbose)
    if redis_url:
        # cluster mode (docs/scaleout.md): runs are queued for workers and recorded by `newsmon ingest`
        from crawler.distributed.redis_runner import RedisRunner

        runner = RedisRunner(
            redis_url, sites_path, os.environ.get("NEWSMON_REDIS_PREFIX"), quiet=not verbose, db_path=db_path
        )
    sched = Scheduler(
        chosen, db_path, runner, max_concurrent=max_crawls, default_timeout=timeout, shutdown_grace=grace
    )
    try:
        with scheduler_lock(db_path):
            if not once:
                click.echo(
                    f"scheduling {len(chosen)} site(s) into {db_path}, at most {sched.max_concurrent} crawl(s) "
                    "at once; SIGTERM or Ctrl-C to stop",
                    err=True,
                )
            outcomes = sched.serve(once=once)
    except SchedulerBusy as exc:
        if once:
            click.echo(f"{exc}; nothing to do", err=True)
            return
        raise click.ClickException(str(exc)) from exc
    if once:
        if not outcomes:
            click.echo("no site is due", err=True)
            return
        with Store(db_path, migrate_schema=False) as store:
            rows = [store.db.table("runs").get(o.run_id) if o.run_id else asdict(o) for o in outcomes]
        print_runs(rows)
        if any(o.status in BAD_STATUSES for o in outcomes):
            raise SystemExit(1)


@click.command()
@db_option
@click.option("--site", "sites", multiple=True, metavar="NAME", help="Only this site (repeatable).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(RUN_STATUSES),
    help="Only runs with this status (repeatable).",
)
@click.option(
    "--last", "last", type=click.IntRange(1, 100_000), default=20, show_default=True, help="How many."
)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one run per line.")
@friendly_errors
def runs(db_path: str, sites: tuple[str, ...], statuses: tuple[str, ...], last: int, as_json: bool) -> None:
    """Show recent crawl runs, newest first: status, times, pages, new/duplicate/updated items, failures.

    Statuses: running, ok, failed, crashed, timeout, skipped, blocked (see "Run statuses" in README.md).

    Example: newsmon runs --db news.db --site changchun-gov --status failed --last 5
    """
    with _open_existing(db_path) as store:
        check_sites(store.db.conn, sites)
        rows = store.recent_runs(sites, statuses, last)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    print_runs(rows)


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
        problems.append(f"a run started in the future ({_local(max(future))}): the clock was set back")
    if streak > max_failures:
        r = finished[0]
        problems.append(
            f"{streak} failed run(s) in a row; last {r['status']}: {r.get('reason') or ''}".strip()
        )
    if period:
        window = timedelta(seconds=STALE_PERIODS * period)
        if last_success and now - datetime.fromisoformat(last_success) > window:
            problems.append(f"no successful run since {_local(last_success)} ({STALE_PERIODS}× its period)")
        elif not last_success:
            first = min((r["started_at"] for r in runs_newest_first if r.get("started_at")), default=None)
            if first is None:
                problems.append("never run")
            elif now - datetime.fromisoformat(first) > window:
                problems.append(f"no successful run since the first attempt at {_local(first)}")
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


def _health_sites(sites_path: str, store: Store) -> list[Site]:
    """Sites to judge: the configuration file if it exists, else the sites recorded in the database."""
    if Path(sites_path).exists():
        return [s for s in load_sites(sites_path) if s.enabled]
    out = []
    for row in store.db.conn.execute("SELECT name, config FROM sites ORDER BY name"):
        try:
            site = site_from_json(row[1] or "{}", "database")
        except (ValueError, KeyError):
            continue
        if site.enabled and not is_adhoc(site) and site.name != "adhoc":
            out.append(site)
    return out


@click.command()
@db_option
@sites_option
@click.option(
    "--max-failures",
    type=click.IntRange(0, 1000),
    default=0,
    show_default=True,
    help="Failed runs in a row tolerated (0: the last finished run must not have failed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as a JSON list.")
@friendly_errors
def health(db_path: str, sites_path: str, max_failures: int, as_json: bool) -> None:
    """Per site: last success, failed runs in a row, articles in the last 24 h; exit 1 if any is unhealthy.

    A site is unhealthy when its last finished runs failed (failed, crashed, timeout, blocked; more than
    --max-failures in a row) or it had no successful run within 3× its interval. Runs stopped by a
    scheduler shutdown and skipped runs count neither way. Usable as a monitoring check.

    Example: newsmon health --db news.db --sites sites.toml || alert "newsmon unhealthy"
    """
    from scheduler import period_seconds

    now = datetime.now(UTC)
    with _open_existing(db_path) as store:
        sites = _health_sites(sites_path, store)
        articles = store.articles_since((now - timedelta(hours=24)).isoformat(timespec="seconds"))
        verdicts = [
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
    bad = [v for v in verdicts if not v.healthy]
    if as_json:
        click.echo(json.dumps([asdict(v) for v in verdicts], ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"{'site':<20} {'health':<9} {'last success (+08:00)':<21} {'fails':>5} {'24h':>5}  problem"
        )
        for v in verdicts:
            click.echo(
                f"{v.site:<20} {'ok' if v.healthy else 'UNHEALTHY':<9} {_local(v.last_success):<21} "
                f"{v.consecutive_failures:>5} {v.articles_24h:>5}  {v.problem}"
            )
        click.echo(f"{len(bad)} of {len(verdicts)} site(s) unhealthy", err=True)
    if not verdicts:
        click.echo("no sites to check", err=True)
    raise SystemExit(1 if bad else 0)


COMMANDS = [schedule, runs, health]
