"""`newsmon runs`: recent crawl runs, newest first, as a table or JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from crawler.cadence import local_time
from crawler.commands.common import check_sites, db_option, friendly_errors
from storage.store import RUN_STATUSES, Store


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def open_existing(db_path: str) -> Store:
    """A read-only Store on a database that must exist already (reading never creates one)."""
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
            f"{r.get('id') or '':>6} {r['site']:<20} {r['status']:<8} {local_time(r.get('started_at')):<19} "
            f"{'' if secs is None else f'{secs:.0f}':>6} {r.get('pages') or 0:>5} {r.get('new_items') or 0:>4} "
            f"{r.get('duplicate_items') or 0:>4} {r.get('updated_items') or 0:>4} {r.get('failures') or 0:>4}  "
            f"{r.get('reason') or ''}"
        )


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
    with open_existing(db_path) as store:
        check_sites(store.db.conn, sites)
        rows = store.recent_runs(sites, statuses, last)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    print_runs(rows)


COMMANDS = [runs]
