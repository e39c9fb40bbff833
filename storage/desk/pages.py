"""The news desk's pages as datasette routes: desk (home), story, article, site health, search, Atom feed."""

from __future__ import annotations

from typing import Any

from datasette.utils.asgi import Response

from storage.desk import feeds, queries, render

DESK_FILTERS = ("region", "level", "site", "column", "day")


def _db(datasette: Any) -> Any:
    """The newsmon database (the first one served)."""
    return datasette.get_database()


def _args(request: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {n: request.args.get(n, "").strip() for n in names if request.args.get(n, "").strip()}


async def _page(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    db = _db(datasette)
    context = {"db_name": db.name, "desk_title": "newsmon · 政务新闻监测", **context}
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


async def _not_found(datasette: Any, request: Any, what: str) -> Response:
    return await _page(datasette, request, "desk_missing.html", {"what": what}, status=404)


async def desk(datasette: Any, request: Any) -> Response:
    """Today's desk: the latest stories, filterable by region, level, site and column."""
    filters = _args(request, DESK_FILTERS)
    try:
        limit = min(max(int(request.args.get("limit", 50)), 1), 500)
    except ValueError:
        limit = 50

    def read(conn: Any) -> dict[str, Any]:
        return {
            "stories": queries.latest_stories(conn, limit=limit, **filters),
            "choices": queries.filter_choices(conn),
        }

    data = await _db(datasette).execute_fn(read)
    feed = "/-/feed.atom" + (request.query_string and "?" + request.query_string or "")
    return await _page(datasette, request, "desk_home.html", {**data, "filters": filters, "feed_url": feed})


async def story_page(datasette: Any, request: Any) -> Response:
    """One story: its copies as a timeline across sites, and what each copy changed against the first."""
    story_id = int(request.url_vars["story_id"])

    def read(conn: Any) -> tuple[Any, list[dict[str, Any]]]:
        return queries.story(conn, story_id), queries.story_copies(conn, story_id)

    story, copies = await _db(datasette).execute_fn(read)
    if story is None:
        return await _not_found(datasette, request, f"story {story_id}")
    first = next((c for c in copies if c["is_first"]), copies[0] if copies else {})
    for c in copies:
        c["changes"] = None if c is first else render.changes_against(first, c)
        c["after"] = render.hours(c["hours_after_first"])
    return await _page(datasette, request, "desk_story.html", {"story": story, "copies": copies})


async def article_page(datasette: Any, request: Any) -> Response:
    """One article: headline, metadata (document fields when present), sanitized body, attachments, versions."""
    article_id = int(request.url_vars["article_id"])
    art = await _db(datasette).execute_fn(lambda conn: queries.article(conn, article_id))
    if art is None:
        return await _not_found(datasette, request, f"article {article_id}")
    art["body"] = render.clean_body(art["body_html"]) if art["body_html"] else None
    return await _page(datasette, request, "desk_article.html", {"a": art})


async def site_page(datasette: Any, request: Any) -> Response:
    """A site's health: runs, failures by kind, last success, articles per day."""
    name = request.url_vars["name"]
    health = await _db(datasette).execute_fn(lambda conn: queries.site_health(conn, name))
    if health is None:
        return await _not_found(datasette, request, f"site {name}")
    chart = render.bar_chart(health["per_day"])
    return await _page(datasette, request, "desk_site.html", {"h": health, "chart": chart})


async def search_page(datasette: Any, request: Any) -> Response:
    """Full-text search, results grouped by story, each article with a snippet marking the words found."""
    q = request.args.get("q", "").strip()
    groups: list[dict[str, Any]] = []
    if q:
        groups = await _db(datasette).execute_fn(lambda conn: queries.search_by_story(conn, q))
        for g in groups:
            for a in g["articles"]:
                a["snippet"] = render.snippet(a.pop("body_text") or a["title"], q)
                a["title_marked"] = render.snippet(a["title"], q, width=200)
    n = sum(len(g["articles"]) for g in groups)
    return await _page(datasette, request, "desk_search.html", {"q": q, "groups": groups, "n": n})


async def feed(datasette: Any, request: Any) -> Response:
    """Atom feed of the stories matching site=, column=, region=, level=, watch=, q= (newest first)."""
    filters = _args(request, feeds.FEED_FILTERS)
    stories = await _db(datasette).execute_fn(lambda conn: queries.feed_stories(conn, limit=50, **filters))
    base = f"{request.scheme}://{request.host}"
    self_url = base + request.path + (f"?{request.query_string}" if request.query_string else "")
    body = feeds.build_atom(stories, base, self_url, filters)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


ROUTES = [
    (r"^/$", desk),
    (r"^/-/desk$", desk),
    (r"^/-/story/(?P<story_id>\d+)$", story_page),
    (r"^/-/article/(?P<article_id>\d+)$", article_page),
    (r"^/-/site/(?P<name>[A-Za-z0-9_.-]+)$", site_page),
    (r"^/-/search$", search_page),
    (r"^/-/feed\.atom$", feed),
]
