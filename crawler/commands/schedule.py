"""`newsmon schedule`: crawl the configured sites on their schedules, in the foreground or once (cron)."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from crawler.commands.common import db_option, friendly_errors, settings_option, sites_option
from crawler.commands.runs import print_runs
from crawler.sites import parse_duration, select_sites
from crawler.watchconfig import load_config
from storage.runs import run_row
from storage.store import BAD_STATUSES, Store


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


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
            rows = [run_row(store.db, o.run_id) if o.run_id else asdict(o) for o in outcomes]
        print_runs(rows)
        if any(o.status in BAD_STATUSES for o in outcomes):
            raise SystemExit(1)


COMMANDS = [schedule]
