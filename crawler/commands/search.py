"""`newsmon search`: full-text search over titles and bodies from the command line."""

from __future__ import annotations

import json

import click

from crawler.commands.common import db_option, friendly_errors, pad, require_db
from storage import search as fts
from storage.db import open_db


@click.command()
@click.argument("query", required=False)
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1), help="Most results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--rebuild", is_flag=True, help="Rebuild the full-text index from the articles first.")
@friendly_errors
def search(query: str | None, db_path: str, limit: int, as_json: bool, rebuild: bool) -> None:
    """Full-text search over titles and bodies, newest first; two-character words work (长春, 振兴).

    Words separated by spaces must all occur; a longer word matches as an exact phrase.

    Example: newsmon search "乡村振兴 长春" --db news.db --limit 10
    """
    require_db(db_path)
    db = open_db(db_path)
    try:
        if rebuild:
            n = fts.rebuild(db)
            click.echo(f"indexed {n} article(s)", err=True)
        if query is None:
            if not rebuild:
                raise click.UsageError("give a QUERY (or --rebuild)")
            return
        rows = fts.search(db, query, limit=limit)
    finally:
        db.conn.close()
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{(r['published_at'] or '')[:16]:<16}  {pad(r['site'] or '', 16)} {r['copies']:>3}x  "
            f"#{r['id']:<7} {r['title']}"
        )
    click.echo(f"{len(rows)} result(s)" + (" (limit reached)" if len(rows) == limit else ""), err=True)


COMMANDS = [search]
