"""Link discovery, pagination, feeds and sitemaps on hand-made pages."""

from __future__ import annotations

import gzip

import pytest

from crawler import discovery as d

BASE = "http://127.0.0.1:8001/col/xwdt/index.html"
HOSTS = {"127.0.0.1:8001"}

LIST_PAGE = """<html><body>
<div class="nav"><a href="/">首页</a><a href="/col/zwgk/index.html">政务公开</a><a href="/col/hdjl/index.html">互动交流</a></div>
<ul class="list">
 <li><a href="./202311/t20231128_3241234.html">长春市召开优化营商环境工作推进会议</a><span>2023-11-28</span></li>
 <li><a href="./202311/t20231127_3241200.html" title="x">全市重点项目建设现场推进会召开</a></li>
 <li><a href="/art/2023/11/28/art_123_4567.html">吉林省推进数字政府建设</a></li>
 <li><a href="http://127.0.0.1:9999/202311/t20231128_1.html">别的网站的文章不算</a></li>
 <li><a href="./P020231128_1.pdf">附件：实施方案.pdf</a></li>
 <li><a href="javascript:void(0)">打印</a></li>
</ul>
<div class="page"><script>createPageHTML(4, 0, "index", "html");</script>
<a href="index_1.html">下一页</a></div>
</body></html>"""


def test_article_links_skip_navigation_offsite_and_files() -> None:
    links = d.article_links(LIST_PAGE, BASE, HOSTS)
    urls = [link.url for link in links]
    assert urls == [
        "http://127.0.0.1:8001/col/xwdt/202311/t20231128_3241234.html",
        "http://127.0.0.1:8001/col/xwdt/202311/t20231127_3241200.html",
        "http://127.0.0.1:8001/art/2023/11/28/art_123_4567.html",
    ]
    assert links[0].text == "长春市召开优化营商环境工作推进会议"


def test_trs_pagination_from_script_and_next_link() -> None:
    assert d.next_pages(LIST_PAGE, BASE, HOSTS) == ["http://127.0.0.1:8001/col/xwdt/index_1.html"]
    last = LIST_PAGE.replace("createPageHTML(4, 0", "createPageHTML(4, 3").replace("下一页", "尾页")
    assert d.next_pages(last, "http://127.0.0.1:8001/col/xwdt/index_3.html", HOSTS) == []


def test_plain_next_link_with_page_param() -> None:
    html = '<a href="?page=2">下一页</a><a href="list.html?page=9">尾页</a>'
    assert d.next_pages(html, "http://127.0.0.1:8001/news/list.html?page=1", HOSTS) == [
        "http://127.0.0.1:8001/news/list.html?page=2"
    ]


def test_hanweb_datastore_records() -> None:
    html = """<div id="385"><script type="text/xml"><datastore><recordset>
    <record><![CDATA[<li><a href="/art/2023/11/28/art_123_4567.html" target="_blank">省政府召开常务会议</a></li>]]></record>
    <record><![CDATA[<li><a href="/art/2023/11/27/art_123_4566.html">全省安全生产工作会议召开</a></li>]]></record>
    </recordset></datastore></script></div>"""
    urls = [link.url for link in d.article_links(html, "http://127.0.0.1:8001/col/col123/index.html", HOSTS)]
    assert urls == [
        "http://127.0.0.1:8001/art/2023/11/28/art_123_4567.html",
        "http://127.0.0.1:8001/art/2023/11/27/art_123_4566.html",
    ]


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("http://x.gov.cn/xwdt/202311/t20231128_3241234.html", True),
        ("http://x.gov.cn/art/2023/11/28/art_123_4567.html", True),
        ("http://x.gov.cn/zwgk/2023-11/28/content_6917.htm", True),
        ("http://x.gov.cn/news/detail.jsp?id=12345", True),
        ("http://x.gov.cn/col/col123/index.html", False),
        ("http://x.gov.cn/xwdt/index_2.html", False),
        ("http://x.gov.cn/files/P020231128.pdf", False),
        ("http://x.gov.cn/", False),
    ],
)
def test_article_url_shapes(url: str, article: bool) -> None:
    assert d.is_article_url(url) is article


def test_same_site_subdomains() -> None:
    assert d.same_site("http://zwgk.changchun.gov.cn/a.html", {"www.changchun.gov.cn"})
    assert not d.same_site("http://www.jl.gov.cn/a.html", {"www.changchun.gov.cn"})
    assert not d.same_site("http://127.0.0.1:8002/a.html", {"127.0.0.1:8001"})


RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>A</title><link>http://127.0.0.1:8001/a/t20231128_1.html</link><pubDate>Tue, 28 Nov 2023 09:30:00 +0800</pubDate></item>
<item><title>B</title><link>/b/t20231127_2.html</link></item></channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
<link rel="alternate" href="http://127.0.0.1:8001/a.html"/><published>2023-11-28T09:30:00+08:00</published></entry></feed>"""
RDF = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<item rdf:about="http://127.0.0.1:8001/r.html"><title>R</title><link>http://127.0.0.1:8001/r.html</link></item></rdf:RDF>"""


def test_feeds() -> None:
    rss = d.parse_feed(RSS, "http://127.0.0.1:8001/rss.xml")
    assert [e.url for e in rss] == [
        "http://127.0.0.1:8001/a/t20231128_1.html",
        "http://127.0.0.1:8001/b/t20231127_2.html",
    ]
    assert rss[0].published == "Tue, 28 Nov 2023 09:30:00 +0800"
    assert [e.url for e in d.parse_feed(ATOM, "http://127.0.0.1:8001/")] == ["http://127.0.0.1:8001/a.html"]
    assert [e.url for e in d.parse_feed(RDF, "http://127.0.0.1:8001/")] == ["http://127.0.0.1:8001/r.html"]
    for body in (RSS, ATOM, RDF):
        assert d.detect_kind(body) == "feed"


def test_sitemaps_index_urlset_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>http://127.0.0.1:8001/sitemap-1.xml</loc></sitemap></sitemapindex>"""
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>http://127.0.0.1:8001/a.html</loc><lastmod>2023-11-28</lastmod></url></urlset>"""
    assert d.parse_sitemap(index, "http://127.0.0.1:8001/")[0] == "index"
    kind, entries = d.parse_sitemap(gzip.compress(urlset), "http://127.0.0.1:8001/")
    assert (
        kind == "urlset"
        and entries[0].url == "http://127.0.0.1:8001/a.html"
        and entries[0].published == "2023-11-28"
    )
    assert d.detect_kind(gzip.compress(urlset)) == "sitemap"
    assert d.detect_kind(b"<html><body>hi</body></html>", "text/html") == "listing"


def test_xml_entities_are_not_expanded_or_read() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <rss><channel><item><title>&x;</title><link>http://127.0.0.1:8001/a.html</link></item></channel></rss>"""
    entries = d.parse_feed(xxe, "http://127.0.0.1:8001/")
    assert entries and "root:" not in entries[0].title
    bomb = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
    <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
    <rss><channel><item><title>&d;</title><link>http://127.0.0.1:8001/a.html</link></item></channel></rss>"""
    entries = d.parse_feed(bomb, "http://127.0.0.1:8001/")
    assert all(len(e.title) < 1000 for e in entries)


def test_gzip_bomb_is_capped() -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    with pytest.raises(ValueError, match="larger than"):
        d.maybe_gunzip(bomb, limit=1024 * 1024)
    assert d.parse_xml(bomb) is None


def test_hanweb_dataproxy_groups() -> None:
    records = "".join(
        f'<record><![CDATA[<li><a href="/art/2023/11/{d}/art_4596_{d}.html">第{d}条新闻标题示例</a></li>]]></record>'
        for d in range(1, 16)
    )
    page = (
        f'<div id="4596"><script type="text/xml"><datastore><recordset>{records}</recordset></datastore>'
        "</script><script>var totalRecord = 40; var perPage = 5; new Jpage({target: '4596', "
        "proxyUrl: '/module/web/jpage/dataproxy.jsp', columnid: 4596, webid: 1});</script></div>"
    )
    col = "http://127.0.0.1:8001/col/col4596/index.html"
    nxt = d.next_pages(page, col, HOSTS)
    assert nxt == [
        "http://127.0.0.1:8001/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=5"
        "&columnid=4596&col=1&webid=1"
    ]
    answer = f"<datastore><recordset>{records}</recordset><totalrecord>40</totalrecord></datastore>"
    assert d.hanweb_next(answer, nxt[0]).startswith(
        "http://127.0.0.1:8001/module/web/jpage/dataproxy.jsp?startrecord=31&endrecord=45"
    )
    last = answer.replace("<totalrecord>40", "<totalrecord>30")
    assert d.hanweb_next(last, nxt[0]) is None
