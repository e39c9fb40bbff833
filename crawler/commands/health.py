"""`newsmon health`: each site's verdict (crawler/health.py holds the rules); exit 1 if any is unhealthy."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import click

from crawler.cadence import local_time
from crawler.commands.common import db_option, friendly_errors, sites_option
from crawler.commands.runs import open_existing
from crawler.health import judge_sites, sites_to_judge
from storage.runs import recorded_site_configs


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
    now = datetime.now(UTC)
    with open_existing(db_path) as store:
        sites = sites_to_judge(sites_path, recorded_site_configs(store.db.conn))
        verdicts = judge_sites(store, sites, now, max_failures)
    bad = [v for v in verdicts if not v.healthy]
    if as_json:
        click.echo(json.dumps([asdict(v) for v in verdicts], ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"{'site':<20} {'health':<9} {'last success (+08:00)':<21} {'fails':>5} {'24h':>5}  problem"
        )
        for v in verdicts:
            click.echo(
                f"{v.site:<20} {'ok' if v.healthy else 'UNHEALTHY':<9} {local_time(v.last_success):<21} "
                f"{v.consecutive_failures:>5} {v.articles_24h:>5}  {v.problem}"
            )
        click.echo(f"{len(bad)} of {len(verdicts)} site(s) unhealthy", err=True)
    if not verdicts:
        click.echo("no sites to check", err=True)
    raise SystemExit(1 if bad else 0)


COMMANDS = [health]
