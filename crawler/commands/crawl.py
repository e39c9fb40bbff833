"""`newsmon crawl`: crawl configured sites or ad-hoc URLs, one subprocess per site."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from crawler.commands.common import db_option, friendly_errors, settings_option, sites_option
from crawler.runner import CrawlJob, CrawlResult, CrawlsTerminated, reap_dead_runs, run_crawls
from crawler.sites import NAME_RE, Site, adhoc_sites, parse_sites, read_toml, select_sites
from crawler.watchconfig import parse_watches
from storage.connection import DETACHED, detached_copy_path
from storage.db import StorageError, open_db
from storage.reads import stored_articles
from storage.runs import runs_of_processes
from storage.store import BAD_STATUSES, Store


def resolve_targets(
    targets: tuple[str, ...], all_sites: bool, sites_path: str
) -> tuple[list[Site], str | None]:
    """Sites to crawl from names, --all, or URLs (ad-hoc); returns (sites, config path or None)."""
    urls = [t for t in targets if t.startswith(("http://", "https://"))]
    names = [t for t in targets if t not in urls]
    if urls and (names or all_sites):
        raise click.UsageError("give either site names (or --all) or URLs, not both")
    if urls:
        return adhoc_sites(urls), None  # one site per host; checks each URL, naming a bad one
    not_names = [n for n in names if not NAME_RE.match(n)]
    if not_names or (names and not os.path.exists(sites_path)):
        raise click.UsageError(_neither_site_nor_url(not_names or names, sites_path, bool(not_names)))
    data = read_toml(sites_path)
    sites = parse_sites(data, sites_path)
    parse_watches(data, sites_path, {s.name for s in sites})  # a broken [[watch]] stops here too
    if all_sites:
        chosen = [s for s in sites if s.enabled]
    elif names:
        chosen = select_sites(sites, names, sites_path)
    else:
        raise click.UsageError("name at least one site, or --all, or give URLs")
    return chosen, sites_path


def _neither_site_nor_url(names: list[str], sites_path: str, malformed: bool) -> str:
    """What `crawl NAME` expected when NAME is no site name or there is no configuration to look it up in."""
    why = "cannot be a site name (a-z, 0-9, '-', '_')" if malformed else f"there is no {sites_path}"
    lines = [
        f"{', '.join(names)}: not a URL, and {why}.",
        "Expected a site name from a sites.toml (--sites FILE) or a URL starting with http:// or https://.",
    ]
    hosts = [n for n in names if "." in n.split("/", 1)[0]]
    if hosts:
        lines.append(f"Did you mean: newsmon crawl http://{hosts[0]}")
    return "\n".join(lines)


def summarize_runs(db_path: str, results: list[CrawlResult]) -> list[dict]:
    """The run rows written by the given crawl processes (by pid); a process that ended without
    finishing its row crashed (killed, out of disk, unable to write) and is reported, and marked, so."""
    columns = (
        "id",
        "site",
        "status",
        "reason",
        "pages",
        "new_items",
        "duplicate_items",
        "updated_items",
        "failures",
    )
    keys = ("id", "site", "status", "reason", "pages", "new", "duplicate", "updated", "failures")
    rows = []
    # the file is gone when it was deleted under the crawls: then none of them finished its run here
    written = runs_of_processes(db_path, [(r.site, r.pid, r.started_at) for r in results], columns)
    for r, row in zip(results, written, strict=True):
        rec: dict[str, Any] = (
            dict(zip(keys, row.values(), strict=True))
            if row
            else dict.fromkeys(keys, 0) | {"id": None, "site": r.site}
        )
        if row is None or rec["status"] == "running":
            reason = f"crawl process ended (exit code {r.returncode}) without finishing its run"
            kept = detached_copy_path(db_path, r.pid)
            if os.path.exists(kept):  # it found the file replaced or deleted and stopped writing
                reason = f"{DETACHED} ({db_path}); what the crawl had committed is kept in {kept}"
            rec.update(status="crashed", reason=reason)
            _mark_crashed(db_path, rec["id"], reason)
        rows.append(rec)
    return rows


def _mark_crashed(db_path: str, run_id: int | None, reason: str) -> None:
    """Best effort: the database may be the reason the crawl died (full, read-only)."""
    if run_id is None or not os.path.exists(db_path):
        return
    try:
        store = Store(db_path, migrate_schema=False)
    except StorageError:
        return
    try:
        store.mark_run(run_id, "crashed", reason)
    except StorageError as exc:
        click.echo(f"warning: could not mark run {run_id} crashed: {exc}", err=True)
    finally:
        store.close()


def print_run_table(rows: list[dict]) -> None:
    """Print one line per run."""
    click.echo(
        f"{'site':<24} {'status':<8} {'pages':>6} {'new':>5} {'dup':>5} {'upd':>5} {'fail':>5}  reason"
    )
    for r in rows:
        click.echo(
            f"{r['site']:<24} {r['status']:<8} {r['pages'] or 0:>6} {r['new'] or 0:>5} {r['duplicate'] or 0:>5} "
            f"{r['updated'] or 0:>5} {r['failures'] or 0:>5}  {r['reason'] or ''}"
        )


class CrawlProgress:
    """Live progress for interactive crawls: sites finished, articles stored so far (read from the database)."""

    def __init__(self, db_path: str, sites: list[str], live: bool) -> None:
        self.db_path = db_path
        self.sites = sites
        self.live = live
        self.last_poll = 0.0
        self._progress: Any = None

    def __enter__(self) -> CrawlProgress:
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]crawling"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} sites"),
                TextColumn("{task.fields[articles]} articles stored"),
                TimeElapsedColumn(),
                transient=True,
            )
            self._progress.start()
            self.task = self._progress.add_task("crawl", total=len(self.sites), articles=self._stored())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _stored(self) -> int:
        return stored_articles(self.db_path)

    def tick(self) -> None:
        """Refresh the article count at most twice a second."""
        if self._progress is None or time.monotonic() - self.last_poll < 0.5:
            return
        self.last_poll = time.monotonic()
        self._progress.update(self.task, articles=self._stored())

    def done(self, result: CrawlResult) -> None:
        """One site's crawl process ended."""
        line = f"  {result.site}: exit {result.returncode} in {result.seconds:.1f}s"
        if self._progress is not None:
            self._progress.update(self.task, advance=1, articles=self._stored())
            self._progress.console.print(line)
        else:
            click.echo(line, err=True)


@click.command()
@click.argument("targets", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Crawl every enabled configured site.")
@click.option(
    "--refresh", is_flag=True, help="Fetch known articles again; changed ones keep their old version."
)
@click.option(
    "--parallel", type=click.IntRange(1, 64), default=None, help="Crawls at once (default: CPU cores)."
)
@settings_option
@db_option
@sites_option
@friendly_errors
def crawl(
    targets: tuple[str, ...],
    all_sites: bool,
    refresh: bool,
    parallel: int | None,
    settings: dict[str, str],
    db_path: str,
    sites_path: str,
) -> None:
    """Crawl configured sites (by name or --all) or ad-hoc list/feed/sitemap URLs.

    Each site runs in its own `scrapy crawl` process; only articles not stored yet are fetched. One crawl
    per site and database at a time: a site already being crawled (another `crawl`, or the scheduler) is
    recorded as skipped and not started; exit code 1 when a run failed, 3 when one was skipped so.

    Example: newsmon crawl --sites sites.toml changchun-gov --db news.db

    Example: newsmon crawl https://www.changchun.gov.cn/zw/jcxx/index.html
    """
    chosen, config_path = resolve_targets(targets, all_sites, sites_path)
    extra: dict[str, str | int | float] = dict(settings)
    open_db(db_path, writable=True).conn.close()  # schema once, before any crawl process starts
    with Store(db_path) as store:
        reap_dead_runs(store)  # runs left `running` by killed crawls are marked crashed
    jobs = [CrawlJob(site, db_path, config_path, extra, refresh) for site in chosen]
    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    try:
        with CrawlProgress(
            db_path, [j.site.name for j in jobs], live=sys.stderr.isatty() and not verbose
        ) as progress:
            results = run_crawls(
                jobs,
                parallel=parallel or os.cpu_count() or 2,
                quiet=not verbose,
                on_done=progress.done,
                on_tick=progress.tick,
            )
    except (KeyboardInterrupt, CrawlsTerminated):
        click.echo("stopped: running crawls were asked to finish their current batch and exit", err=True)
        raise SystemExit(130) from None
    rows = summarize_runs(db_path, results)
    print_run_table(rows)
    if any(r["status"] in BAD_STATUSES for r in rows):
        raise SystemExit(1)
    if any(r["status"] == "skipped" for r in rows):
        raise SystemExit(3)  # asked to crawl, but another crawl of the site was running: nothing done


COMMANDS = [crawl]
