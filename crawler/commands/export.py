"""`newsmon export`: write stored articles as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
import sys

import click

from crawler.commands.common import db_option, friendly_errors
from storage.db import open_db

FIELDS = (
    "id",
    "url",
    "site",
    "title",
    "published_at",
    "source",
    "author",
    "column_name",
    "story_id",
    "body_text",
)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Output file.")
@db_option
@friendly_errors
def export(fmt: str, output, db_path: str) -> None:
    """Export stored articles (every copy, body text resolved for exact copies).

    Example: newsmon export --db news.db --format csv -o articles.csv
    """
    db = open_db(db_path)
    sql = (
        "SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.author, a.column_name, a.story_id, "
        "coalesce(a.body_text, b.body_text) AS body_text FROM articles a "
        "LEFT JOIN articles b ON b.id = a.duplicate_of ORDER BY a.published_at DESC, a.id"
    )
    out = output or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(FIELDS)
        for row in db.conn.execute(sql):
            writer.writerow(row)
    else:
        for row in db.conn.execute(sql):
            out.write(json.dumps(dict(zip(FIELDS, row, strict=True)), ensure_ascii=False) + "\n")
    db.conn.close()


COMMANDS = [export]
