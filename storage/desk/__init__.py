"""Datasette plugin: the news desk (home page of today's stories, story, article and site pages, search
with snippets, Atom feeds). Registered through the ``datasette`` entry point and by ``newsmon serve``;
its templates live in storage/desk/templates and extend datasette's base.html."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from storage.desk.pages import ROUTES


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    """The desk's pages; "/" is the desk, the database's table list stays at /<db>."""
    return ROUTES


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    """Desk pages in datasette's menu."""
    return [
        {"href": "/", "label": "今日 · Desk"},
        {"href": "/-/search", "label": "检索 · Search"},
        {"href": f"/{datasette.get_database().name}", "label": "全部表 · All tables"},
    ]


# Column descriptions stay in the metadata but must not push the rows off the first screen: the list
# datasette prints above a table is folded into a closed <details>, and each header gets its description
# as a tooltip (datasette already writes it into data-column-description).
_FOLD_DESCRIPTIONS = """
var style = document.createElement('style');  // a title is read as a line, not one character per line
style.textContent = 'td.col-title, td.col-story_title { min-width: 18em; } td.col-reason { min-width: 16em; } ' +
  // long text and JSON cells stay one line (the row page and the JSON show them whole)
  '.rows-and-columns td.col-body_text, .rows-and-columns td.col-body_html, .rows-and-columns td.col-description, ' +
  '.rows-and-columns td.col-provenance, .rows-and-columns td.col-images, .rows-and-columns td.col-attachments, ' +
  '.rows-and-columns td.col-stats, .rows-and-columns td.col-config, .rows-and-columns td.col-keywords, ' +
  '.rows-and-columns td.col-signature, .rows-and-columns td.col-detail ' +
  '{ max-width: 22em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }';
document.head.appendChild(style);
document.querySelectorAll('th[data-column-description]').forEach(function (th) {
  th.title = th.getAttribute('data-column-description');
});
var dl = document.querySelector('dl.column-descriptions');
if (dl) {
  var box = document.createElement('details');
  box.className = 'column-descriptions-box';
  var label = document.createElement('summary');
  label.textContent = '列说明 · column descriptions (' + dl.querySelectorAll('dt').length + ')';
  dl.parentNode.insertBefore(box, dl);
  box.appendChild(label);
  box.appendChild(dl);
}
"""


@hookimpl
def extra_body_script(template: str, database: str | None, table: str | None, view_name: str) -> str:
    """Fold the column-description list on table and row pages; headers carry them as tooltips."""
    return _FOLD_DESCRIPTIONS if view_name in ("table", "row") else ""


DESK_LINKS = {
    "story_list": "/-/story/",
    "stories": "/-/story/",
    "article_list": "/-/article/",
    "articles": "/-/article/",
}


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """A title in the story and article tables links to its desk page."""
    prefix = DESK_LINKS.get(table or "")
    if column != "title" or prefix is None or not isinstance(value, str):
        return None
    try:
        ident = int(row["id"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    return Markup(f'<a href="{prefix}{ident}">{escape(value)}</a>')
