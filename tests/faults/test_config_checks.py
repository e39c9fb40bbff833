"""Configuration the scheduler could not live with is refused up front (sites, crawl and schedule alike);
a field that cannot be parsed fails that field only; a source answering 304 to everything is a failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import crawl_sites, newsmon
from tests.faults.hostile import article
from tests.helpers import RouteServer

pytestmark = pytest.mark.faults

GOOD = '[[site]]\nname = "b"\nsources = [{ url = "http://127.0.0.1:9/b/list.html" }]\n'
SRC = 'sources = [{ url = "http://127.0.0.1:9/a/list.html" }]\n'
UNLIVABLE = {
    "cron on 30 February": ('cron = "0 0 30 2 *"\n' + SRC, "site 'a'", "cron", "never fires"),
    "cron on 31 April": ('cron = "15 8 31 4 *"\n' + SRC, "site 'a'", "cron", "never fires"),
    "cron on 31 June, November": ('cron = "0 0 31 6,11 *"\n' + SRC, "site 'a'", "cron", "never fires"),
    "every overflowing": ('every = "3000000d"\n' + SRC, "site 'a'", "every", "longer than"),
    "every in hours overflowing": ('every = "99999999999h"\n' + SRC, "site 'a'", "every", "longer than"),
    "timeout overflowing": ('timeout = "3000000d"\n' + SRC, "site 'a'", "timeout", "longer than"),
    "alias = another site's host": ('aliases = ["127.0.0.1:9"]\n' + SRC.replace(":9/", ":8/"), "site 'a'", "aliases", "site 'b'"),
    "alias with a scheme": ('aliases = ["http://x.gov.cn"]\n' + SRC, "site 'a'", "aliases", "host"),
    "alias with a path": ('aliases = ["x.gov.cn/a"]\n' + SRC, "site 'a'", "aliases", "host"),
    "alias with a bad port": ('aliases = ["localhost:99999"]\n' + SRC, "site 'a'", "aliases", "host"),
    "alias with user info": ('aliases = ["u@127.0.0.1"]\n' + SRC, "site 'a'", "aliases", "host"),
    "watch with an unknown key": (SRC + '[[watch]]\nname = "w"\nall = ["振兴"]\ncolour = 1\n', "watch 'w'", "colour", "unknown"),
    "watch on an unknown site": (SRC + '[[watch]]\nname = "w"\nall = ["振兴"]\nsites = ["zz"]\n', "watch 'w'", "sites", "zz"),
    "watch with a bad digest": (SRC + '[[watch]]\nname = "w"\nall = ["振兴"]\ndigest = "3000000d"\n', "watch 'w'", "digest", "longer"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(UNLIVABLE))
def test_unlivable_config_is_refused_by_every_command(tmp_path: Path, case: str) -> None:
    body, where, key, says = UNLIVABLE[case]
    config = tmp_path / "sites.toml"
    text = GOOD + '\n[[site]]\nname = "a"\n' + body
    if "[[watch]]" in body:  # the watch tables after every site
        site_part, _, watch_part = body.partition("[[watch]]")
        text = GOOD + '\n[[site]]\nname = "a"\n' + site_part + "[[watch]]" + watch_part
    config.write_text(text, encoding="utf-8")
    db = ("--db", str(tmp_path / "n.db"))
    for args in (("sites",), ("schedule", "--once", *db)):  # `crawl` reads the file with the same checks
        proc = newsmon(*args, "--sites", str(config), timeout=60)
        assert proc.returncode == 2, (case, args, proc.stdout[-500:], proc.stderr[-1500:])
        err = proc.stderr
        assert str(config) in err and where in err and f"key '{key}'" in err and says in err, (args, err)
        assert "Traceback" not in err
    assert not (tmp_path / "n.db").exists()  # refused before the database is even opened


@pytest.mark.parametrize(
    "alias", ["localhost:{port}", "LOCALHOST:{port}", "localhost.:{port}", "localhost", "localhost:80"]
)
def test_port_aliases_canonicalize_to_the_site(alias: str) -> None:
    from crawler.canonical import canonicalize_url
    from crawler.sites import parse_sites

    site = parse_sites(
        {
            "site": [
                {
                    "name": "a",
                    "sources": [{"url": "http://127.0.0.1:8001/list.html"}],
                    "aliases": [alias.format(port=8001)],
                }
            ]
        }  # fmt: skip
    )[0]
    aliased = "http://localhost:8001/a/1.html" if "{port}" in alias else "http://localhost/a/1.html"
    assert canonicalize_url(aliased, site.host_aliases) == "http://127.0.0.1:8001/a/1.html"
    assert (
        canonicalize_url("http://localhost:8002/a/1.html", site.host_aliases)
        == "http://localhost:8002/a/1.html"
    )
    assert (
        canonicalize_url("http://127.0.0.1:8001/a/1.html", site.host_aliases)
        == "http://127.0.0.1:8001/a/1.html"
    )


BAD_DATES = ["+25:00", "-99:99", "+2500", "+08:60", "-24:00"]


@pytest.mark.parametrize("offset", BAD_DATES)
def test_an_impossible_date_fails_that_field_only(offset: str) -> None:
    from crawler.extract import extract_article

    for attr in ("PubDate", "article:published_time"):
        html = article("日期偏移错误的文章").replace(
            '<meta name="PubDate" content="2023-11-28 09:30">',
            f'<meta name="{attr}" property="{attr}" content="2023-11-28T09:30:00{offset}">'
            f'<script type="application/ld+json">{{"@type":"NewsArticle","datePublished":"99999999999999999999-01-01",'
            f'"dateModified":"2023-11-28T09:30:00{offset}"}}</script>',
        )
        art = extract_article(html.encode(), "http://127.0.0.1:8001/a/t20231128_1.html")
        assert art.is_article, art.reason
        assert art.title == "日期偏移错误的文章"
        assert art.published_at is None or art.published_at.year == 2023


@pytest.mark.slow
def test_a_304_to_an_unconditional_request_is_a_failure(tmp_path: Path) -> None:
    def not_modified(h: object) -> None:
        h.send_response(304)  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]

    with RouteServer(routes={"/list.html": not_modified, "/feed.xml": not_modified}) as site:
        config = tmp_path / "sites.toml"
        config.write_text(
            f'[[site]]\nname = "s"\nsources = [{{ url = "{site.base}/list.html" }}, '
            f'{{ kind = "feed", url = "{site.base}/feed.xml" }}]\n',
            encoding="utf-8",
        )
        db = tmp_path / "n.db"
        for _ in range(2):
            proc = crawl_sites(db, config)
            assert proc.returncode == 1, proc.stdout[-1500:]
    conn = sqlite3.connect(db)
    assert [s for (s,) in conn.execute("SELECT status FROM runs")] == ["failed", "failed"]
    details = [d for (d,) in conn.execute("SELECT detail FROM failures")]
    assert details and all("304" in d for d in details), details
