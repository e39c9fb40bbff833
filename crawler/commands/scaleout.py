"""Cluster mode on Redis (issue #9): `newsmon worker`, `newsmon ingest`, `newsmon enqueue`, `newsmon cluster-status`."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from crawler.commands.common import db_option, friendly_errors, settings_option, sites_option
from crawler.sites import load_sites, select_sites
from storage.store import BAD_STATUSES, Store

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def redis_options(fn: F) -> F:
    """--redis URL (default $NEWSMON_REDIS) and --prefix (default $NEWSMON_REDIS_PREFIX or newsmon)."""
    fn = click.option(
        "--prefix",
        default=lambda: os.environ.get("NEWSMON_REDIS_PREFIX", "newsmon"),
        show_default="$NEWSMON_REDIS_PREFIX or newsmon",
        help="Prefix of every Redis key (several clusters can share one Redis).",
    )(fn)
    return click.option(
        "--redis",
        "redis_url",
        default=lambda: os.environ.get("NEWSMON_REDIS") or None,
        required=True,
        metavar="URL",
        show_default="$NEWSMON_REDIS",
        help="Redis server, e.g. redis://127.0.0.1:6379/0.",
    )(fn)


def _cluster(redis_url: str, prefix: str) -> Any:
    if not redis_url:
        raise click.UsageError("give --redis URL (or set $NEWSMON_REDIS)")
    try:
        from crawler.distributed.cluster import Cluster, ClusterUnreachable
    except ModuleNotFoundError as exc:  # a plain install: cluster mode is the `scaleout` extra
        raise click.ClickException(f"cluster mode needs `pip install newsmon[scaleout]` ({exc})") from exc
    try:
        cluster = Cluster.reach(redis_url, prefix)
    except ClusterUnreachable as exc:
        raise click.ClickException(str(exc)) from exc
    return cluster


class _Stop:
    """SIGTERM/SIGINT set a flag (and call a hook) instead of raising in the middle of a write."""

    def __init__(self, hook: Callable[[], None] | None = None) -> None:
        self.stopping = False
        self.hook = hook
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True
        if self.hook is not None:
            self.hook()

    def __call__(self) -> bool:
        return self.stopping


@click.command()
@redis_options
@click.option("--id", "name", default=None, help="Worker name in the cluster.  [default: HOST-PID]")
@click.option(
    "--lease",
    type=click.FloatRange(1, 600),
    default=10.0,
    show_default=True,
    help="Seconds without a heartbeat after which other workers take this worker's requests back.",
)
@settings_option
@click.option("--log-file", type=click.Path(dir_okay=False), help="Append the crawl log to this file.")
def worker(
    redis_url: str,
    prefix: str,
    name: str | None,
    lease: float,
    settings: dict[str, str],
    log_file: str | None,
) -> None:
    """Run a crawl worker: a long-lived `scrapy crawl redis_site` fed by the cluster's shared queue.

    It serves every site: it turns queued run jobs into requests, pops requests from the shared queue,
    and commits each callback's outcome (new requests, article items, failures) to Redis. It has no
    database. If the crawl process exits it is started again (same name: its in-flight requests come
    back at once); SIGTERM/SIGINT stop it, giving its in-flight requests back to the queue.

    Example: newsmon worker --redis redis://10.0.0.5:6379/0 --log-file worker.log
    """
    from crawler.runner import crawl_env

    if not redis_url:
        raise click.UsageError("give --redis URL (or set $NEWSMON_REDIS)")
    name = name or f"{socket.gethostname()}-{os.getpid()}"
    argv = [sys.executable, "-m", "scrapy", "crawl", "redis_site"]
    sets: dict[str, Any] = {
        # the cluster spider lives with the cluster code: only a worker loads it (and so imports redis)
        "SPIDER_MODULES": "crawler.distributed.spider",
        "REDIS_URL": redis_url,
        "NEWSMON_REDIS_PREFIX": prefix,
        "NEWSMON_WORKER_ID": name,
        "NEWSMON_WORKER_LEASE": lease,
    }
    sets.update(settings)
    for key, value in sets.items():
        argv += ["-s", f"{key}={value}"]
    proc: subprocess.Popen[bytes] | None = None

    def forward() -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    stop = _Stop(forward)
    backoff = 1.0
    click.echo(f"worker {name} serving {redis_url} (prefix {prefix}); SIGTERM or Ctrl-C to stop", err=True)
    while not stop():
        out = open(log_file, "ab") if log_file else None  # noqa: SIM115 - closed below
        started = time.monotonic()
        try:
            proc = subprocess.Popen(argv, env=crawl_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            code = proc.wait()
        finally:
            if out is not None:
                out.close()
        if stop():
            break
        backoff = 1.0 if time.monotonic() - started > 60 else min(backoff * 2, 30.0)
        click.echo(f"worker {name}: crawl process ended ({code}); restarting in {backoff:.0f}s", err=True)
        deadline = time.monotonic() + backoff
        while time.monotonic() < deadline and not stop():
            time.sleep(0.1)


@click.command()
@redis_options
@db_option
@click.option(
    "--batch", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Messages per commit."
)
@click.option(
    "--exit-when-idle",
    type=click.FloatRange(0),
    default=None,
    metavar="SECONDS",
    help="Exit once nothing arrived for SECONDS and no run is active (for scripts and tests).",
)
@click.option(
    "--watches",
    "watch_config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file whose [[watch]] tables are evaluated after each run (e.g. sites.toml).",
)
@friendly_errors
def ingest(
    redis_url: str,
    prefix: str,
    db_path: str,
    batch: int,
    exit_when_idle: float | None,
    watch_config: str | None,
) -> None:
    """Run the cluster's single database writer: drain items and run messages from Redis into SQLite.

    Items go through the same validate → fingerprint → store code as a local crawl, in batches; a batch
    leaves Redis only after its commit, so a writer killed mid-batch loses nothing (the next start
    replays it; upserts store nothing twice). At start it publishes the known article URLs, earlier
    failures and list-page validators to Redis for the workers' only-new fetching. One per database.

    Example: newsmon ingest --redis redis://127.0.0.1:6379/0 --db news.db
    """
    from crawler.distributed.ingest import Ingest, IngestBusy, ingest_lock

    cluster = _cluster(redis_url, prefix)
    stop = _Stop()
    try:
        with ingest_lock(db_path):
            writer = Ingest(cluster, db_path, batch_size=batch, watch_config=watch_config)
            try:
                counts = writer.seed()
                click.echo(
                    f"ingesting {redis_url} (prefix {prefix}) into {db_path}; {counts['known']} known URL(s)",
                    err=True,
                )
                writer.run(stop, exit_when_idle)
            finally:
                writer.close()
    except IngestBusy as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"stored {writer.rows} article row(s) in {writer.busy_seconds:.1f}s of work", err=True)


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Every enabled configured site.")
@sites_option
@redis_options
@click.option("--refresh", is_flag=True, help="Fetch known articles again.")
@click.option("--force", is_flag=True, help="Queue even when the site already has a run in the cluster.")
@click.option("--wait", is_flag=True, help="Wait until the runs are recorded; exit 1 if any failed.")
@click.option("--timeout", type=click.FloatRange(0), default=None, help="With --wait: cancel after SECONDS.")
@click.option(
    "--record-skips",
    "skips_db",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record a site already running in the cluster as a `skipped` run in this database.",
)
@friendly_errors
def enqueue(
    names: tuple[str, ...],
    all_sites: bool,
    sites_path: str,
    redis_url: str,
    prefix: str,
    refresh: bool,
    force: bool,
    wait: bool,
    timeout: float | None,
    skips_db: str | None,
) -> None:
    """Queue runs of configured sites for the cluster's workers (one run per site at a time).

    With --wait, stay until the ingest writer has recorded every run (this is what `newsmon schedule
    --redis` starts per due site; SIGTERM cancels the runs).

    Example: newsmon enqueue --redis redis://127.0.0.1:6379/0 --sites sites.toml --all
    """
    if not names and not all_sites:
        raise click.UsageError("name sites or give --all")
    configured = load_sites(sites_path)
    chosen = select_sites(configured, list(names), sites_path) if names else configured
    chosen = [s for s in chosen if s.enabled]
    cluster = _cluster(redis_url, prefix)
    tokens: dict[str, str] = {}
    for site in chosen:
        token = cluster.enqueue(
            site.name,
            site.to_json(),
            refresh=refresh,
            force=force,
            pid=os.getpid() if wait else None,
            host=socket.gethostname() if wait else None,
        )
        if token is None:
            click.echo(f"{site.name}: a run is already queued or running in the cluster; skipped", err=True)
            if skips_db:
                with Store(skips_db, migrate_schema=False) as store:
                    store.record_skipped_run(
                        site.name,
                        "a run of this site is already queued or running in the cluster",
                        pid=os.getpid(),
                    )
            continue
        tokens[site.name] = token
        click.echo(f"{site.name}: queued run {token}", err=True)
    if not wait:
        return
    stop = _Stop()
    deadline = None if timeout is None else time.monotonic() + timeout
    bad = False
    for name, token in tokens.items():
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            info = cluster.wait_run(token, timeout=0.5 if left is None else max(0.0, min(0.5, left)))
            if info.get("status") == "done":
                status = info.get("run_status", "?")
                bad = bad or status in BAD_STATUSES
                click.echo(f"{name}: run {info.get('run_id')} {status}", err=True)
                break
            if stop() or (deadline is not None and time.monotonic() >= deadline):
                for t in tokens.values():
                    cluster.cancel(t)
                click.echo("cancelled the runs still going", err=True)
                raise SystemExit(143 if stop() else 1)
    if bad:
        raise SystemExit(1)


@click.command("cluster-status")
@redis_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cluster_status(redis_url: str, prefix: str, as_json: bool) -> None:
    """Show the cluster: workers and their leases, queue sizes, active runs.

    Example: newsmon cluster-status --redis redis://127.0.0.1:6379/0
    """
    cluster = _cluster(redis_url, prefix)
    k = cluster.keys
    server = cluster.server
    workers = {}
    for raw in sorted(server.smembers(k.workers)):
        w = raw.decode()
        workers[w] = {
            "alive": bool(server.exists(k.alive(w))),
            "inflight": int(server.hlen(k.inflight(w))),
            "pages": int(server.hget(k.worker_stats, w) or 0),
        }
    runs = []
    for token in cluster.active_runs():
        info = cluster.run_info(token)
        runs.append(
            {
                "run": token,
                "site": info.get("site"),
                "status": info.get("status"),
                "pending": int(info.get("pending", 0) or 0),
            }
        )
    out = {"workers": workers, "queues": cluster.queue_sizes(), "runs": runs}
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"queues: {out['queues']}")
    for w, info in workers.items():
        click.echo(
            f"worker {w:<30} {'alive' if info['alive'] else 'GONE':<6} in flight {info['inflight']:>4}  "
            f"pages {info['pages']}"
        )
    for r in runs:
        click.echo(f"run {r['run']} {r['site']:<20} {r['status']:<8} pending {r['pending']}")


COMMANDS = [worker, ingest, enqueue, cluster_status]
