"""`newsmon changes`: articles edited, removed or restored after they were first stored (revisits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click

from crawler.commands.common import check_sites, db_option, friendly_errors, pad, require_db
from crawler.sites import parse_duration
from storage import changes as change_log
from storage.db import open_db

BEIJING = ZoneInfo("Asia/Shanghai")


def parse_since(value: str | None) -> str | None:
    """'24h', '7d' (that long ago) or an ISO date/time (naive: Asia/Shanghai) → ISO UTC; ValueError else."""
    if not value:
        return None
    try:
        moment = datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is neither a duration like '24h' / '7d' nor a date like 2023-11-28"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@click.command(name="changes")
@click.option(
    "--since", help="Only changes after this: a duration ago (24h, 7d) or a date/time (Beijing time)."
)
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option(
    "--kind", "kinds", multiple=True, type=click.Choice(change_log.KINDS), help="Only this kind (repeatable)."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print each edit's character-level diff under it.")
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many changes (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@db_option
@friendly_errors
def changes_cmd(
    since: str | None,
    sites: tuple[str, ...],
    kinds: tuple[str, ...],
    show_diff: bool,
    limit: int,
    as_json: bool,
    db_path: str,
) -> None:
    """List edits, removals and restorations that revisits found, newest first.

    An edit is a change of the extracted title, body, publish time, 来源 or document fields (its previous
    state is kept in article_versions with a diff); a removal names its evidence (http-404, http-410,
    redirect-home, redirect-list, soft-404, dropped-from-list). "first" marks the first publisher's copy.

    Example: newsmon changes --db news.db --since 7d --kind removed --site changchun-gov
    """
    try:
        since_utc = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    require_db(db_path)
    db = open_db(db_path)
    try:
        check_sites(db.conn, sites)
        rows = change_log.list_changes(db.conn, since_utc, sites, kinds, limit)
        diffs = {r["ref"]: change_log.version_diff(db.conn, r["ref"]) for r in rows if r["kind"] == "edited"}
    finally:
        db.conn.close()
    if as_json:
        for r in rows:
            out = {**r, "first_of_story": bool(r["first_of_story"])}
            if r["kind"] == "edited" and show_diff:
                out["diff"] = diffs.get(r["ref"])
            click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(
        f"{pad('when (UTC)', 25)}  {pad('kind', 8)}  {pad('site', 16)}  {'article':>7}  {'story':>6}  what / title"
    )
    for r in rows:
        first = " first" if r["first_of_story"] else ""
        click.echo(
            f"{pad(r['at'] or '-', 25)}  {pad(r['kind'], 8)}  {pad(r['site'] or '-', 16)}  {r['article_id']:>7}  "
            f"{r['story_id'] or '-':>6}  {r['what'] or ''}{first}  {r['title'] or ''}"
        )
        if show_diff and r["kind"] == "edited":
            for line in (diffs.get(r["ref"]) or "").splitlines():
                click.echo(f"    {line}")
    if not rows:
        click.echo("(no changes match)")


COMMANDS = [changes_cmd]
