"""`newsmon stories` (one row per story: copies, first publisher) and `newsmon dedup` (status, rebuild)."""

from __future__ import annotations

import json
import logging

import click

from crawler import signatures
from crawler.commands.common import check_sites, db_option, friendly_errors, pad, require_db
from storage import reads
from storage import stories as story_index
from storage.db import open_db
from storage.story_rebuild import rebuild_stories

logger = logging.getLogger(__name__)


@click.command(name="stories")
@click.option("--site", help="Only stories with a copy on this site.")
@click.option(
    "--min-copies", type=int, default=1, show_default=True, help="Only stories with at least N copies."
)
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many stories (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@db_option
@friendly_errors
def stories_cmd(site: str | None, min_copies: int, limit: int, as_json: bool, db_path: str) -> None:
    """List stories (clusters of reposted articles), largest and newest first.

    Columns: story id, copies, first publisher (site of the earliest published copy), its publish time,
    the source (来源) most copies name, and the title.

    Example: newsmon stories --db news.db --min-copies 3 --site changchun-gov
    """
    require_db(db_path)
    db = open_db(db_path)
    try:
        if site:
            check_sites(db.conn, [site])
        rows = reads.list_stories(db.conn, min_copies, site, limit)
    finally:
        db.conn.close()
    if as_json:
        keys = ("story", "copies", "first_site", "first_published_at", "claimed_origin", "title", "first_url",
                "first_removed_at")  # fmt: skip
        for row in rows:
            click.echo(json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False))
        return
    head = f"{'story':>7}  {'copies':>6}  {pad('first publisher', 18)}  {pad('first time', 25)}  "
    head += f"{pad('claimed origin', 16)}  title"
    click.echo(head)
    for sid, size, first_site, first_time, origin, title, _url, removed in rows:
        gone = f"  [first copy removed {removed[:16]}]" if removed else ""
        click.echo(
            f"{sid:>7}  {size:>6}  {pad(first_site or '-', 18)}  {pad(first_time or '-', 25)}  "
            f"{pad(origin or '-', 16)}  {title or ''}{gone}"
        )
    if not rows:
        click.echo("(no stories match)")


def _status(db_path: str) -> None:
    require_db(db_path)
    db = open_db(db_path)
    conn = db.conn
    n = reads.dedup_counts(conn)
    click.echo(
        f"articles: {n['articles']} ({n['signatures']} with a signature, {n['exact_copies']} exact copies)"
    )
    click.echo(f"stories: {n['stories']} ({n['stories_with_copies']} with more than one copy)")
    click.echo(f"candidate index: {n['band_keys']} band keys")
    state = story_index.rebuild_state(conn)
    if state:
        click.echo(f"rebuild unfinished: {state['done']} articles done (up to id {state['last_id']}); "
                   "run `newsmon dedup --rebuild` to resume")  # fmt: skip
    params = story_index.stored_params(conn)
    if params is not None and params != story_index.PARAMS:
        click.echo("thresholds changed since the last rebuild: run `newsmon dedup --rebuild`")
    db.conn.close()


def _echo_progress(event: str, state: dict) -> None:
    if event == "resume":
        click.echo(f"resuming after article {state['last_id']} ({state['done']} done)", err=True)
    else:
        click.echo(f"reclustered {state['done']} articles (up to id {state['last_id']})", err=True)


def rebuild(db_path: str, chunk: int = 2000, restart: bool = False, echo: bool = True) -> int:
    """Recluster the whole archive in id order, a chunk per transaction; resumes an unfinished rebuild."""
    require_db(db_path)
    db = open_db(db_path)
    try:
        return rebuild_stories(
            db, signatures.signature_batch, chunk, restart, _echo_progress if echo else None
        )
    finally:
        db.conn.close()


@click.command(name="dedup")
@click.option(
    "--rebuild", "do_rebuild", is_flag=True, help="Recluster the whole archive (resumes if interrupted)."
)
@click.option("--restart", is_flag=True, help="With --rebuild: discard an unfinished rebuild and start over.")
@click.option(
    "--chunk", type=click.IntRange(1), default=2000, show_default=True, help="Articles per transaction."
)
@db_option
@friendly_errors
def dedup_cmd(do_rebuild: bool, restart: bool, chunk: int, db_path: str) -> None:
    """Show the deduplication index, or rebuild every story after a threshold change.

    A rebuild streams articles in id order (the order they were ingested), so it reaches the same
    clustering as incremental ingestion; it records its progress and resumes after being killed. Articles
    crawled while it runs wait for it and are clustered when it reaches them.

    Example: newsmon dedup --rebuild --db news.db
    """
    if not do_rebuild:
        _status(db_path)
        return
    n = rebuild(db_path, chunk=chunk, restart=restart)
    click.echo(f"rebuild finished: {n} stories")


COMMANDS = [stories_cmd, dedup_cmd]
