"""`newsmon crawl`: crawl configured sites or ad-hoc URLs, one subprocess per site."""

from __future__ import annotations

import os

import click

from crawler.commands.common import db_option, friendly_errors, sites_option
from crawler.runner import CrawlJob, CrawlResult, run_crawls
from crawler.sites import Site, adhoc_site, check_url, load_sites, select_sites
from storage.db import open_db


def resolve_targets(
    targets: tuple[str, ...], all_sites: bool, sites_path: str
) -> tuple[list[Site], str | None]:
    """Sites to crawl from names, --all, or URLs (ad-hoc); returns (sites, config path or None)."""
    urls = [t for t in targets if t.startswith(("http://", "https://"))]
    names = [t for t in targets if t not in urls]
    if urls and (names or all_sites):
        raise click.UsageError("give either site names (or --all) or URLs, not both")
    if urls:
        for u in urls:
            check_url(u)
        return [adhoc_site(urls)], None
    sites = load_sites(sites_path)
    if all_sites:
        chosen = [s for s in sites if s.enabled]
    elif names:
        chosen = select_sites(sites, names, sites_path)
    else:
        raise click.UsageError("name at least one site, or --all, or give URLs")
    return chosen, sites_path


def summarize_runs(db_path: str, results: list[CrawlResult]) -> list[dict]:
    """The run rows written by the given crawl processes (by pid)."""
    db = open_db(db_path)
    try:
        rows = []
        for r in results:
            row = db.conn.execute(
                "SELECT site, status, reason, pages, new_items, duplicate_items, updated_items, failures "
                "FROM runs WHERE pid = ? AND site = ? ORDER BY id DESC LIMIT 1",
                (r.pid, r.site),
            ).fetchone()
            if row is None:
                rows.append(
                    {
                        "site": r.site,
                        "status": "crashed",
                        "reason": f"exit code {r.returncode}, no run row",
                        "pages": 0,
                        "new": 0,
                        "duplicate": 0,
                        "updated": 0,
                        "failures": 0,
                    }
                )
                continue
            keys = ("site", "status", "reason", "pages", "new", "duplicate", "updated", "failures")
            rows.append(dict(zip(keys, row, strict=True)))
        return rows
    finally:
        db.conn.close()


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


@click.command()
@click.argument("targets", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Crawl every enabled configured site.")
@click.option(
    "--refresh", is_flag=True, help="Fetch known articles again; changed ones keep their old version."
)
@click.option(
    "--parallel", type=click.IntRange(1, 64), default=None, help="Crawls at once (default: CPU cores)."
)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Extra Scrapy setting.")
@db_option
@sites_option
@friendly_errors
def crawl(
    targets: tuple[str, ...],
    all_sites: bool,
    refresh: bool,
    parallel: int | None,
    settings: tuple[str, ...],
    db_path: str,
    sites_path: str,
) -> None:
    """Crawl configured sites (by name or --all) or ad-hoc list/feed/sitemap URLs.

    Each site runs in its own `scrapy crawl` process; only articles not stored yet are fetched.

    Example: newsmon crawl --sites sites.toml changchun-gov --db news.db

    Example: newsmon crawl https://www.changchun.gov.cn/zw/jcxx/index.html
    """
    chosen, config_path = resolve_targets(targets, all_sites, sites_path)
    extra = {}
    for pair in settings:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.UsageError(f"--set expects NAME=VALUE, got {pair!r}")
        extra[key] = value
    open_db(db_path).conn.close()  # schema once, before any crawl process starts
    jobs = [CrawlJob(site, db_path, config_path, extra, refresh) for site in chosen]
    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    results = run_crawls(
        jobs,
        parallel=parallel or os.cpu_count() or 2,
        quiet=not verbose,
        on_done=lambda r: click.echo(f"  {r.site}: exit {r.returncode} in {r.seconds:.1f}s", err=True),
    )
    rows = summarize_runs(db_path, results)
    print_run_table(rows)
    if any(r["status"] in ("failed", "crashed", "timeout", "blocked") for r in rows):
        raise SystemExit(1)


COMMANDS = [crawl]
