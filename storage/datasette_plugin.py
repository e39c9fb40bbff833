"""Datasette plugin for newsmon: Chinese full-text search from the search box and in canned queries.

Datasette's own search box quotes each word (escape_fts), which cannot match the bigram index of
storage/search.py, and it does not detect a contentless FTS table. This plugin registers the query SQL
functions on every connection and turns ``?_search=`` on the articles, stories and browsing views into a
bigram MATCH. Registered through the ``datasette`` entry point in pyproject.toml (and by ``newsmon serve``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments

from storage import search
from storage.datasette_meta import PRIVATE

_MATCHING_IDS = f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH :newsmon_match"
# How each searchable table or view finds its rows: only originals carry text, so exact copies match
# through duplicate_of, and a story matches when any of its articles does.
SEARCHABLE = {
    "articles": f"(id IN ({_MATCHING_IDS}) OR duplicate_of IN ({_MATCHING_IDS}))",
    "article_list": f"(id IN ({_MATCHING_IDS}) OR duplicate_of IN ({_MATCHING_IDS}))",
    "stories": f"id IN (SELECT story_id FROM articles WHERE id IN ({_MATCHING_IDS}))",
    "story_list": f"id IN (SELECT story_id FROM articles WHERE id IN ({_MATCHING_IDS}))",
}


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    """Make newsmon_fts_query() (and the tokenizer) available to canned and custom SQL; keep secrets out."""
    search.register_functions(conn)
    if database != "_internal":
        conn.set_authorizer(_no_private_reads)


def _no_private_reads(
    action: int, table: str | None, column: str | None, _db: str | None, _view: str | None
) -> int:
    """SQLite authorizer: no statement served by datasette, custom SQL included, reads a private column.

    Watch definitions and delivery rows hold notification URLs, which may carry tokens. Hiding the tables
    in the metadata keeps them off the pages, but read-only custom SQL could still select them.
    """
    if action == sqlite3.SQLITE_READ and table in PRIVATE and column:  # count(*) reads no column
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> FilterArguments | None:
    """``?_search=长春`` on a searchable table: a bigram MATCH; also shows the search box there."""
    where = SEARCHABLE.get(table)
    if where is None:
        return None
    q = request.args.get("_search", "").strip()
    if not q:
        return FilterArguments([], extra_context={"supports_search": True})
    return FilterArguments(
        [where],
        params={"newsmon_match": search.match_expression(q)},
        human_descriptions=[f'search matches "{q}"'],
        extra_context={"supports_search": True, "search": q},
    )
