"""`newsmon sites`: list and validate the site configuration; `sites check` verifies sites live."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from crawler.commands.common import friendly_errors, sites_option
from crawler.runner import CrawlJob, run_crawls
from crawler.sites import Site, load_sites, select_sites
from crawler.watchconfig import load_config
from storage.db import open_db
from storage.reads import site_check


@click.group(invoke_without_command=True)
@sites_option
@click.option("--json", "as_json", is_flag=True, help="Print the sites as JSON.")
@click.pass_context
@friendly_errors
def sites(ctx: click.Context, sites_path: str, as_json: bool) -> None:
    """List and validate the configured sites (exit code 2 when the file is invalid).

    Example: newsmon sites --sites sites.toml
    """
    ctx.ensure_object(dict)
    ctx.obj["sites_path"] = sites_path
    if ctx.invoked_subcommand is not None:
        return
    configured, _watches = load_config(sites_path)  # a broken [[watch]] stops here too
    if as_json:
        click.echo(json.dumps([_site_dict(s) for s in configured], ensure_ascii=False, indent=2))
        return
    for s in configured:
        when = f"cron {s.cron}" if s.cron else f"every {s.every}"
        mark = "verified" if s.verified else "unverified"
        click.echo(f"{s.name:<24} {s.level:<10} {when:<18} {len(s.sources)} source(s)  {mark}  {s.title}")
    click.echo(f"{len(configured)} site(s) in {sites_path}: configuration is valid")


def _site_dict(s: Site) -> dict:
    return {
        "name": s.name,
        "title": s.title,
        "region": s.region,
        "level": s.level,
        "every": s.every,
        "cron": s.cron,
        "verified": s.verified,
        "enabled": s.enabled,
        "sources": [{"kind": x.kind, "url": x.url, "max_pages": x.max_pages} for x in s.sources],
    }


@sites.command()
@click.argument("names", nargs=-1)
@click.option(
    "--max-articles",
    type=click.IntRange(1, 500),
    default=10,
    show_default=True,
    help="Articles to fetch per site for the check.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--sites",
    "check_sites_path",
    type=click.Path(dir_okay=False),
    help="Site configuration (TOML); the same as `newsmon sites --sites FILE check`.",
)
@click.pass_context
@friendly_errors
def check(
    ctx: click.Context, names: tuple[str, ...], max_articles: int, as_json: bool, check_sites_path: str | None
) -> None:
    """Fetch each site's sources live and report links found, articles extracted and field fill rates.

    Uses a throw-away database; run it where the sites are reachable to verify or fix a site entry.

    Example: newsmon sites check changchun-gov jilin-gov --sites sites.toml
    """
    path = check_sites_path or ctx.obj["sites_path"]
    configured = load_sites(path)
    chosen = select_sites(configured, list(names), path) if names else configured
    report = []
    with tempfile.TemporaryDirectory(prefix="newsmon-check-") as tmp:
        db_path = str(Path(tmp) / "check.db")
        open_db(db_path).conn.close()
        jobs = [
            CrawlJob(
                s,
                db_path,
                path,
                {"CLOSESPIDER_ITEMCOUNT": max_articles, "NEWSMON_MAX_ARTICLES_PER_SOURCE": max_articles},
            )
            for s in chosen
        ]
        run_crawls(jobs, quiet=True)
        db = open_db(db_path)
        for s in chosen:
            report.append(site_check(db, s.name))
        db.conn.close()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for r in report:
            fills = " ".join(f"{k}={v:.0%}" for k, v in r["fill_rates"].items())
            click.echo(
                f"{r['site']:<24} {r['status']:<8} links={r['links_found']:<4} "
                f"articles={r['articles']:<4} failures={r['failures']:<3} {fills}"
            )
            if r["reason"] and r["status"] != "ok":
                click.echo(f"    reason: {r['reason']}")
    if any(r["status"] != "ok" or r["articles"] == 0 for r in report):
        raise SystemExit(1)


COMMANDS = [sites]
