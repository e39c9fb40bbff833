"""Tests for the bundled offline demo sites (demo/): determinism, site types, HTTP behaviour, ground truth."""

from __future__ import annotations

import gzip
import html
import json
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from demo.pages import respond
from demo.server import DemoServer
from demo.world import build_world

ROOT = Path(__file__).resolve().parents[1]
SLOW = 0.6


@pytest.fixture(scope="module")
def srv() -> Iterator[DemoServer]:
    """A read-only demo server (tests that mutate the world start their own)."""
    with DemoServer(build_world(seed=7, scale=1), slow_seconds=SLOW) as s:
        yield s


@pytest.fixture()
def fresh() -> Iterator[DemoServer]:
    """A demo server private to one test."""
    with DemoServer(build_world(seed=11, scale=1), slow_seconds=SLOW) as s:
        yield s


@pytest.fixture(scope="module")
def truth(srv: DemoServer) -> dict:
    return srv.truth()


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    """Fetch without following redirects; return (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def text(truth: dict, site: str, body: bytes) -> str:
    return html.unescape(body.decode(truth["sites"][site]["encoding"]))


def site_articles(truth: dict, site: str) -> list[dict]:
    return [a for a in truth["articles"] if a["site"] == site]


def hrefs(page: str, base: str) -> set[str]:
    return {urljoin(base, h) for h in re.findall(r'href="([^"]+)"', page)}


# ---------------------------------------------------------------- determinism and scale
def test_same_seed_same_bytes() -> None:
    w1, w2, w3 = build_world(seed=3), build_world(seed=3), build_world(seed=4)
    base = "http://127.0.0.1:9"
    t1 = w1.truth({s: base for s in w1.sites})
    assert t1 == w2.truth({s: base for s in w2.sites})
    assert t1["articles"] != w3.truth({s: base for s in w3.sites})["articles"]
    paths = ["/", "/col/xwdt/index.html", "/col/xwdt/index_1.html"] + [
        urlsplit(a["url"]).path for a in site_articles(t1, "changchun-gov")
    ]
    for p in paths:
        assert (
            respond(w1, "changchun-gov", "GET", p, base).body
            == respond(w2, "changchun-gov", "GET", p, base).body
        )
    assert (
        respond(w1, "gov-cn", "GET", "/rss.xml", base).body
        == respond(w2, "gov-cn", "GET", "/rss.xml", base).body
    )


def test_scale_1000_is_lazy_and_fast() -> None:
    t0 = time.perf_counter()
    w = build_world(seed=7, scale=1000)
    assert time.perf_counter() - t0 < 5
    assert sum(len(s.items) for s in w.sites.values()) > 50_000
    base = "http://127.0.0.1:9"
    last = w.n_pages("changchun-gov", 0) - 1
    t0 = time.perf_counter()
    r = respond(w, "changchun-gov", "GET", w.column_path("changchun-gov", 0, last), base)
    assert r.status == 200
    it = w.sites["changchun-gov"].items[12345]
    for _ in range(20):
        assert respond(w, "changchun-gov", "GET", w.item_path(it), base).status == 200
    assert time.perf_counter() - t0 < 2


def test_truth_counts_and_stories(truth: dict) -> None:
    assert len(truth["sites"]) >= 7
    for name in truth["sites"]:
        assert 6 <= len(site_articles(truth, name)) <= 20, name
    urls = [a["url"] for a in truth["articles"]]
    assert len(urls) == len(set(urls))
    multi = [s for s in truth["stories"].values() if len(s["urls"]) > 1]
    assert 4 <= len(multi) <= 6
    by_url = {a["url"]: a for a in truth["articles"]}
    for s in multi:
        assert 3 <= len(s["urls"]) <= 6
        first = by_url[s["first_url"]]
        assert first["repost_of"] is None
        for u in s["urls"]:
            assert by_url[u]["published_at"] >= first["published_at"]
            assert by_url[u]["site"] == first["site"] or by_url[u]["repost_of"] == s["first_url"]
    for a in truth["articles"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", a["published_at"])
        assert a["published_at"] < truth["now"]
    whys = {h["why"] for h in truth["hard_negatives"]}
    assert {"follow-up quotes one paragraph", "same notice boilerplate"} <= whys
    for h in truth["hard_negatives"]:
        assert by_url[h["a"]]["story"] != by_url[h["b"]]["story"]


# ---------------------------------------------------------------- site types
def test_trs_pagination_and_create_page_html(srv: DemoServer, truth: dict) -> None:
    base = srv.site_urls["changchun-gov"]
    status, _, body = get(base + "/col/xwdt/index.html")
    assert status == 200
    m = re.search(r'createPageHTML\((\d+), (\d+), "index", "html"\)', body.decode())
    assert m and m.group(2) == "0"
    total = int(m.group(1))
    assert total >= 2
    found: set[str] = set()
    for p in range(total):
        url = base + "/col/xwdt/" + ("index.html" if p == 0 else f"index_{p}.html")
        page = get(url)[2].decode()
        assert f"createPageHTML({total}, {p}," in page
        assert "./20" in page  # TRS-style relative article links
        found |= hrefs(page, url)
    assert get(base + f"/col/xwdt/index_{total}.html")[0] == 404
    expected = {a["url"] for a in site_articles(truth, "changchun-gov") if a["column"] == "长春要闻"}
    redirected = {f["location"] for f in truth["faults"] if f["kind"] == "redirect"}
    assert expected - redirected <= found
    assert all(re.search(r"/t\d{8}_\d+\.html$", u) for u in expected)


def test_hanweb_datastore_and_dataproxy(srv: DemoServer, truth: dict) -> None:
    base = srv.site_urls["jilin-gov"]
    page = get(base + "/col/col4596/index.html")[2].decode()
    store = re.search(r'<script type="text/xml">(.*?)</script>', page, re.S)
    assert store
    records = ET.fromstring(store.group(1)).find("recordset")
    assert records is not None
    links = {urljoin(base, re.search(r'href="([^"]+)"', r.text or "").group(1)) for r in records}
    assert {a["url"] for a in site_articles(truth, "jilin-gov")} <= links
    assert all(re.search(r"/art/\d{4}/\d+/\d+/art_4596_\d+\.html$", u) for u in links)
    status, headers, body = get(
        base + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=5&perpage=15"
        "&col=1&webid=1&columnid=4596"
    )
    assert status == 200 and "xml" in headers["Content-Type"]
    root = ET.fromstring(body)
    assert len(root.find("recordset")) == 5  # type: ignore[arg-type]
    assert int(root.findtext("totalrecord") or 0) == len(records)
    assert root.findtext("totalpage") == "1"
    art = site_articles(truth, "jilin-gov")[0]
    page = get(art["url"])[2].decode()
    assert '<div id="zoom">' in page and "信息来源：" in page and "发布日期：" in page


def test_gbk_site_really_gbk(srv: DemoServer, truth: dict) -> None:
    a = site_articles(truth, "jiutai-gov")[0]
    status, headers, body = get(a["url"])
    assert status == 200 and headers["Content-Type"] == "text/html; charset=GBK"
    assert b'<meta charset="gbk">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = html.unescape(body.decode("gbk"))
    assert a["title"] in page and 'id="UCAP-CONTENT"' in page


def test_mislabelled_site(srv: DemoServer, truth: dict) -> None:
    a = site_articles(truth, "cc-edu")[0]
    assert truth["sites"]["cc-edu"]["declared_charset"] == "utf-8"
    assert truth["sites"]["cc-edu"]["encoding"] == "gbk"
    status, headers, body = get(a["url"])
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert any(ch in page for ch in "喆堃镕")
    assert a["author"] and any(ch in a["author"] for ch in "喆堃镕赟玥珺")
    assert a["author"] not in body.decode("gb2312", errors="replace")  # GBK-only characters
    assert page == body.decode("gb18030")


def test_feeds(srv: DemoServer, truth: dict) -> None:
    base = srv.site_urls["gov-cn"]
    status, headers, body = get(base + "/rss.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(body).findall("./channel/item")
    arts = {a["url"]: a for a in site_articles(truth, "gov-cn")}
    assert {i.findtext("link") for i in items} == {u for u, a in arts.items() if "feed" in a["listed_in"]}
    for i in items:
        assert (i.findtext("pubDate") or "").endswith("+0800")
        assert arts[i.findtext("link") or ""]["title"] == i.findtext("title")
    dates = [i.findtext("link") for i in items]
    assert dates == sorted(dates, key=lambda u: arts[u or ""]["published_at"], reverse=True)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(get(base + "/atom.xml")[2]).findall("a:entry", ns)
    assert {e.find("a:link", ns).get("href") for e in entries} == {i.findtext("link") for i in items}  # type: ignore[union-attr]
    page = get(next(iter(arts)))[2].decode()
    assert 'class="pages_content" id="UCAP-CONTENT"' in page and 'name="firstpublishedtime"' in page


def test_sitemap_only_site(srv: DemoServer, truth: dict) -> None:
    base = srv.site_urls["jilinshi-gov"]
    robots = get(base + "/robots.txt")[2].decode()
    assert f"Sitemap: {base}/sitemap.xml" in robots
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.fromstring(get(base + "/sitemap.xml")[2])
    assert index.tag.endswith("sitemapindex")
    locs = [e.text for e in index.findall("s:sitemap/s:loc", ns)]
    assert locs == [base + "/sitemap-1.xml", base + "/sitemap-2.xml.gz"]
    urls: set[str] = set()
    for loc in locs:
        status, headers, body = get(loc or "")
        if (loc or "").endswith(".gz"):
            assert headers["Content-Type"] == "application/x-gzip" and body[:2] == b"\x1f\x8b"
            body = gzip.decompress(body)
        urlset = ET.fromstring(body)
        urls |= {e.findtext("s:loc", namespaces=ns) or "" for e in urlset.findall("s:url", ns)}
    arts = site_articles(truth, "jilinshi-gov")
    assert {a["url"] for a in arts} <= urls
    home = get(base + "/")[2].decode()
    assert not {a["url"] for a in arts} & hrefs(home, base + "/")
    page = get(arts[0]["url"])[2].decode()
    assert 'class="article-content"' in page and "Custom_UnionStyle" in page


def test_plain_site(srv: DemoServer, truth: dict) -> None:
    base = srv.site_urls["changchun-news"]
    page1 = get(base + "/news/")[2].decode()
    m = re.search(r'<a href="([^"]+)" rel="next" class="next">下一页</a>', page1)
    assert m and m.group(1) == "?page=2"
    found = hrefs(page1, base + "/news/") | hrefs(
        get(base + "/news/?page=2")[2].decode(), base + "/news/?page=2"
    )
    arts = [a for a in site_articles(truth, "changchun-news") if not a["delay"]]
    assert {a["url"] for a in arts} <= found
    page = get(arts[0]["url"])[2].decode()
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    assert ld["@type"] == "NewsArticle" and ld["datePublished"] == arts[0]["published_at"]
    assert 'property="og:title"' in page and "ArticleTitle" not in page and "PubDate" not in page
    d = arts[0]["published_at"]
    assert f"{d[:4]}年{d[5:7]}月{d[8:10]}日 {d[11:16]}" in page


# ---------------------------------------------------------------- truth consistency
def test_every_truth_article_served(srv: DemoServer, truth: dict) -> None:
    for a in truth["articles"]:
        if a["delay"]:
            continue
        status, headers, body = get(a["url"])
        assert status == 200, a["url"]
        assert "ETag" in headers
        page = text(truth, a["site"], body)
        assert a["title"] in page
        for para in a["body_text"].split("\n"):
            assert para in page
        for u in a["images"]:
            s, h, b = get(u)
            assert s == 200 and h["Content-Type"].startswith("image/") and len(b) > 50
        for u in a["attachments"]:
            s, h, _ = get(u)
            assert s == 200 and h["Content-Type"].startswith("application/")
    assert any(a["images"] for a in truth["articles"]) and any(a["attachments"] for a in truth["articles"])
    assert any(
        a["editor"] and f"（责任编辑：{a['editor']}）" in text(truth, a["site"], get(a["url"])[2])
        for a in truth["articles"]
    )
    for u in truth["non_articles"][:40]:
        assert get(u)[0] == 200, u


def test_every_fault_behaves(srv: DemoServer, truth: dict) -> None:
    kinds = {f["kind"] for f in truth["faults"]}
    assert kinds == {"http", "timeout", "redirect", "robots", "blocked"}
    listed: dict[str, str] = {}
    for f in truth["faults"]:
        listed.setdefault(f["listed_on"], "")
    for url in listed:
        listed[url] = get(url)[2].decode(
            truth["sites"][next(f["site"] for f in truth["faults"] if f["listed_on"] == url)]["encoding"]
        )
    for f in truth["faults"]:
        if f["kind"] != "robots":
            assert urlsplit(f["url"]).path in listed[f["listed_on"]] or "./" in listed[f["listed_on"]]
        if f["kind"] == "http":
            assert get(f["url"])[0] == f["status"]
        elif f["kind"] == "redirect":
            status, headers, _ = get(f["url"])
            assert status == 301 and headers["Location"] == f["location"]
            assert f["location"] in {a["url"] for a in truth["articles"]}
            assert f["url"] not in {a["url"] for a in truth["articles"]}
        elif f["kind"] == "blocked":
            status, headers, body = get(f["url"])
            assert status == 412 and b"document.cookie" in body and b"location.reload" in body
            assert "Set-Cookie" in headers
        elif f["kind"] == "robots":
            robots = get(truth["sites"][f["site"]]["base_url"] + "/robots.txt")[2].decode()
            assert any(
                f"Disallow: {p}" in robots and urlsplit(f["url"]).path.startswith(p) for p in f["disallow"]
            )
            assert urlsplit(f["url"]).path in listed[f["listed_on"]]
        elif f["kind"] == "timeout":
            t0 = time.perf_counter()
            assert get(f["url"])[0] == 200
            assert time.perf_counter() - t0 >= f["delay"] * 0.9
            assert f["delay"] == SLOW and f["url"] in {a["url"] for a in truth["articles"]}


def test_related_dates_are_not_the_article_date(srv: DemoServer, truth: dict) -> None:
    a = site_articles(truth, "changchun-gov")[3]
    page = get(a["url"])[2].decode()
    related = re.search(r'<div class="related">(.*?)</div>', page, re.S)
    assert related and len(re.findall(r"\d{4}-\d\d-\d\d", related.group(1))) >= 3
    for marker in ("当前位置：", "分享到：", "上一篇：", "下一篇：", "主办单位：", "网站标识码", "ICP备"):
        assert marker in page


# ---------------------------------------------------------------- HTTP behaviour and mutation
def test_etag_and_304(fresh: DemoServer) -> None:
    base = fresh.site_urls["changchun-gov"]
    url = base + "/col/xwdt/index.html"
    status, headers, _ = get(url)
    etag, lm = headers["ETag"], headers["Last-Modified"]
    assert get(url, {"If-None-Match": etag})[0] == 304
    assert get(url, {"If-Modified-Since": lm})[0] == 304
    feed = fresh.site_urls["gov-cn"] + "/rss.xml"
    fe = get(feed)[1]["ETag"]
    assert get(feed, {"If-None-Match": fe})[0] == 304
    fresh.publish("changchun-gov", 1)
    status, headers, _ = get(url, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert get(url, {"If-Modified-Since": lm})[0] == 200
    assert get(feed, {"If-None-Match": fe})[0] == 304  # other sites unchanged
    log = fresh.request_log("changchun-gov", detail=True)
    assert any(e["if_none_match"] for e in log)
    assert ("GET", "/col/xwdt/index.html", 304) in fresh.request_log("changchun-gov")


def test_publish_moves_lists_feeds_sitemaps(fresh: DemoServer) -> None:
    before = fresh.truth()
    new = fresh.publish("changchun-gov", n=2)
    assert (
        len(new) == 2
        and new[1]["published_at"] > new[0]["published_at"] > before["articles"][-1]["published_at"]
    )
    page = get(fresh.site_urls["changchun-gov"] + "/col/xwdt/index.html")[2].decode()
    top = re.findall(r'<li><a href="\./([^"]+)"', page)[:2]
    for r in new:
        if r["column"] == "长春要闻":
            assert r["url"].split("/col/xwdt/", 1)[1] in top
    g = fresh.publish("gov-cn", 1)[0]
    items = ET.fromstring(get(fresh.site_urls["gov-cn"] + "/rss.xml")[2]).findall("./channel/item")
    assert items[0].findtext("link") == g["url"] and "feed" in g["listed_in"]
    s = fresh.publish("jilinshi-gov", 1)[0]
    assert s["url"] in get(fresh.site_urls["jilinshi-gov"] + "/sitemap-1.xml")[2].decode()
    everyone = fresh.publish(None, 1)
    assert {r["site"] for r in everyone} == set(fresh.site_urls)
    after = fresh.truth()
    assert len(after["articles"]) == len(before["articles"]) + 4 + len(fresh.site_urls)
    assert after["now"] > before["now"]


def test_broken_layout(fresh: DemoServer) -> None:
    t = fresh.truth()
    for site in ("changchun-gov", "jilin-gov"):
        url = t["sites"][site]["sources"][0]["url"]
        fresh.set_broken(site, True)
        status, _, body = get(url)
        assert status == 200
        found = hrefs(body.decode(), url)
        assert not found & {a["url"] for a in site_articles(t, site)}
        assert "/zwgk/" in body.decode()  # navigation is still there
        fresh.set_broken(site, False)
        assert {a["url"] for a in site_articles(t, site)} & (
            hrefs(get(url)[2].decode(), url)
            | {urljoin(url, h) for h in re.findall(r'href="([^"]+)"', get(url)[2].decode())}
        )


def test_control_endpoints(fresh: DemoServer) -> None:
    c = fresh.control_url
    truth = json.loads(get(c + "/truth")[2])
    assert set(truth) >= {"sites", "articles", "stories", "faults", "non_articles"}
    site = "cc-edu"
    status, _, body = get(c + f"/publish?site={site}&n=2", method="POST")
    assert status == 200 and len(json.loads(body)) == 2
    assert json.loads(get(c + "/broken?site=cc-edu&on=1", method="POST")[2])["broken"] is True
    assert get(c + "/broken?site=nope&on=1", method="POST")[0] == 404
    get(fresh.site_urls[site] + "/jyxw/index.shtml")
    log = json.loads(get(c + f"/log?site={site}")[2])
    assert log[-1]["path"] == "/jyxw/index.shtml" and log[-1]["status"] == 200
    assert get(c + "/reset-log", method="POST")[0] == 200
    assert fresh.request_log() == []
    cfg = tomllib.loads(get(c + "/sites.toml")[2].decode())
    assert len(cfg["site"]) == len(fresh.site_urls)


def test_sites_toml(srv: DemoServer, tmp_path: Path) -> None:
    p = srv.write_sites_toml(tmp_path / "sites.toml")
    cfg = tomllib.loads(p.read_text(encoding="utf-8"))
    names = {s["name"] for s in cfg["site"]}
    assert names == set(srv.site_urls)
    kinds = {src["kind"] for s in cfg["site"] for src in s["sources"]}
    assert kinds == {"listing", "feed", "sitemap"}
    for s in cfg["site"]:
        assert s["level"] in {"national", "province", "city", "county", "department"}
        assert s["every"] == "30m" and s["title"] and s["region"]
        for src in s["sources"]:
            assert src["url"].startswith(srv.site_urls[s["name"]])
            assert get(src["url"])[0] == 200
            if src["kind"] == "listing":
                assert src["max_pages"] >= srv.world.n_pages(s["name"], 0)


def test_robots_and_ports(srv: DemoServer) -> None:
    ports = {urlsplit(u).port for u in srv.site_urls.values()} | {urlsplit(srv.control_url).port}
    assert len(ports) == len(srv.site_urls) + 1
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in srv.site_urls.values())
    r = get(srv.site_urls["changchun-gov"] + "/robots.txt")
    assert r[0] == 200 and r[1]["Content-Type"].startswith("text/plain") and b"Disallow:" in r[2]
    assert "truth" not in get(srv.site_urls["changchun-gov"] + "/")[2].decode()


def test_cli_runs_and_stops(tmp_path: Path) -> None:
    cfg = tmp_path / "demo.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.server", "--seed", "7", "--write-config", str(cfg)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert set(first) == {"control", "sites"} and len(first["sites"]) >= 7
        assert json.loads(get(first["control"] + "/")[2])["sites"] == first["sites"]
        assert tomllib.loads(cfg.read_text(encoding="utf-8"))["site"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
