"""`newsmon stats`: counts of articles, stories and sites, articles per publish day, top sources."""

from __future__ import annotations

import json

import click

from crawler.commands.common import db_option, friendly_errors, pad, ready_db, rpad
from storage.reads import archive_stats


@click.command()
@db_option
@click.option("--days", default=14, show_default=True, type=click.IntRange(1), help="Publish days to list.")
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(1), help="Sources and sites to list."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def stats(db_path: str, days: int, top: int, as_json: bool) -> None:
    """Articles, stories, sites, articles per publish day and top sources.

    Example: newsmon stats --db news.db --days 7 --json
    """
    ready_db(db_path)
    s = archive_stats(db_path, days=days, top=top)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    w = 22
    for key in ("articles", "originals", "exact_copies", "stories", "stories_with_copies", "sites",
                "sites_with_articles", "runs", "failures", "first_published", "last_published"):  # fmt: skip
        click.echo(f"{key.replace('_', ' '):<{w}} {s[key] if s[key] is not None else '-'}")
    click.echo(f"\n{'day':<12} {'articles':>9} {'stories':>8}")
    for r in s["per_day"]:
        click.echo(f"{r['day']:<12} {r['articles']:>9} {r['stories']:>8}")
    click.echo(f"\n{pad('top sources', 30)} {rpad('articles', 9)}")
    for r in s["top_sources"]:
        click.echo(f"{pad(r['source'], 30)} {rpad(str(r['articles']), 9)}")
    click.echo(f"\n{pad('top sites', 30)} {rpad('articles', 9)}")
    for r in s["top_sites"]:
        click.echo(f"{pad(r['site'], 30)} {rpad(str(r['articles']), 9)}")


COMMANDS = [stats]
