"""Rendering and routing of the simulated sites: every HTTP answer is computed here from the World."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

from demo.changes import chrome_box, removed_page
from demo.world import Item, SiteSpec, World, fmt_ts, iso

ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}


def _png() -> bytes:
    """A valid 2x2 PNG built by hand."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\xc0\x30\x30" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _jpeg() -> bytes:
    """A valid 8x8 mid-grey baseline JPEG built by hand (one block, DC category 0, then EOB)."""
    soi, eoi = b"\xff\xd8", b"\xff\xd9"
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    sof = b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
    counts = b"\x01" + b"\x00" * 15
    dht = b"\xff\xc4\x00\x14\x00" + counts + b"\x00" + b"\xff\xc4\x00\x14\x10" + counts + b"\x00"
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return soi + app0 + dqt + sof + dht + sos + b"\x3f" + eoi


PNG, JPEG = _png(), _jpeg()
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
ZIP_EMPTY = b"PK\x05\x06" + b"\x00" * 18


@dataclass
class Reply:
    """An HTTP answer: status, headers, body; delay seconds to wait before sending."""

    status: int
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    mtime: int | None = None
    etag: bool = False


# ---------------------------------------------------------------- chrome
def _head(sp: SiteSpec, title: str, metas: list[tuple[str, str]] | None = None, extra: str = "") -> str:
    charset = "gbk" if sp.declared == "gbk" else "utf-8"
    m = "".join(f'<meta name="{k}" content="{escape(v)}">\n' for k, v in metas or [])
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{charset}">\n'
        f'<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n{m}'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="/static/css/common.css">\n{extra}</head>\n<body>\n'
    )


def _header(sp: SiteSpec) -> str:
    nav = "".join(f'<li><a href="{p}">{escape(t)}</a></li>' for t, p in sp.nav)
    tools = (
        '<div class="top-bar"><span class="date-now" id="today"></span><a href="#">无障碍</a> <a href="#">长者模式</a> '
        '<a href="#">English</a> <a href="#">繁體</a> <a href="/wzdt/">网站地图</a></div>'
    )
    search = (
        '<form class="search" action="/search/" method="get"><input type="text" name="q" placeholder="请输入关键字">'
        '<button type="submit">搜索</button></form>'
    )
    return (
        f'<div class="header">{tools}<div class="logo"><a href="/"><img src="/static/images/logo.png" '
        f'alt="{escape(sp.title)}"><span>{escape(sp.title)}</span></a></div>{search}</div>\n'
        f'<div class="nav"><ul>{nav}</ul></div>\n'
    )


def _footer(sp: SiteSpec) -> str:
    code = f"网站标识码{sp.site_code}　" if sp.site_code else ""
    return (
        f'<div class="footer"><div class="links"><a href="#">关于我们</a> | <a href="#">联系我们</a> | '
        f'<a href="/wzdt/">网站地图</a> | <a href="#">在线咨询</a> | 免费热线：12345 | <a href="#">微信咨询</a></div>'
        f"<p>主办单位：{escape(sp.org)}　承办单位：{escape(sp.title)}信息中心</p>"
        f'<p>{code}<a href="#">{escape(sp.icp)}</a>　<img src="/static/images/ga.png" alt="">{escape(sp.police)}</p>'
        f"<p>© 2005-2023 {escape(sp.title)} 版权所有　建议使用1920×1080分辨率浏览</p></div>\n"
        '<script src="/static/js/common.js"></script>\n</body>\n</html>\n'
    )


def _crumb(sp: SiteSpec, col: int, link_col: str | None) -> str:
    c = sp.columns[col]
    last = f'<a href="{link_col}">{escape(c.name)}</a>' if link_col else f"<span>{escape(c.name)}</span>"
    return (
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="{sp.nav[1][1]}">{escape(c.parent)}</a>'
        f" &gt; {last}</div>\n"
    )


SHARE = (
    '<div class="share">分享到：<a href="javascript:void(0)" class="wx">微信</a> <a href="javascript:void(0)" '
    'class="wb">微博</a> <a href="javascript:void(0)" class="qq">QQ空间</a></div>\n'
)
TOOLS = (
    '<div class="print"><a href="javascript:window.print()">【打印本页】</a> '
    '<a href="javascript:window.close()">【关闭窗口】</a></div>\n'
)


# ---------------------------------------------------------------- lists
def _list_href(w: World, it: Item, base: str, list_path: str) -> str:
    sp = w.spec(it.site)
    path = w.item_path(it)
    if sp.cms in ("trs", "ucap"):
        folder = list_path.rsplit("/", 1)[0] + "/"
        if path.startswith(folder):
            return "./" + path[len(folder) :]
    if sp.cms == "govcn":
        return base + path
    return path


def _li(w: World, it: Item, base: str, list_path: str) -> str:
    title = escape(w.content(it).title)
    href = _list_href(w, it, base, list_path)
    day = fmt_ts(it.ts, "%Y-%m-%d")
    cms = w.spec(it.site).cms
    if cms == "govcn":
        return (
            f'<li><h4><a href="{href}" target="_blank">{title}</a><span class="date">{day}</span></h4></li>\n'
        )
    if cms == "ucap":
        return f'<li><span class="date">[{day}]</span><a href="{href}" target="_blank" title="{title}">{title}</a></li>\n'
    if cms == "plain":
        summary = escape(w.content(it).paragraphs[0][:60])
        return (
            f'<div class="item"><h3><a href="{href}">{title}</a></h3><p class="summary">{summary}…</p>'
            f'<span class="time">{fmt_ts(it.ts, "%Y年%m月%d日 %H:%M")}</span></div>\n'
        )
    return f'<li><a href="{href}" target="_blank" title="{title}">{title}</a><span>{day}</span></li>\n'


def _pager(w: World, site: str, col: int, page: int, total: int) -> str:
    sp = w.spec(site)

    def href(p: int) -> str:
        return w.column_path(site, col, p).rsplit("/", 1)[1] or "./"

    parts = [f'<a href="{href(0)}">首页</a>']
    if page > 0:
        parts.append(f'<a href="{href(page - 1)}">上一页</a>')
    if sp.cms == "dahan":
        parts += [
            f"<span>{p + 1}</span>" if p == page else f'<a href="{href(p)}">{p + 1}</a>'
            for p in range(max(0, page - 3), min(total, page + 4))
        ]
    if page + 1 < total:
        rel = ' rel="next" class="next"' if sp.cms == "plain" else ""
        parts.append(f'<a href="{href(page + 1)}"{rel}>下一页</a>')
    parts.append(f'<a href="{href(total - 1)}">尾页</a>')
    info = f"<span>共{total}页</span> <span>当前第{page + 1}页</span>"
    script = ""
    if sp.cms == "trs":
        script = f'<script language="JavaScript">createPageHTML({total}, {page}, "index", "html");</script>'
    return f'<div class="page">{info} {" ".join(parts)}{script}</div>\n'


BROKEN = (
    '<div class="news-list-v2" id="app-list" data-api="/api/v2/content/list" data-column="{col}">'
    '<p class="loading">加载中……</p></div>\n<script src="/static/js/vendor.chunk.js"></script>'
    '<script src="/static/js/list.bundle.js"></script>\n'
)


def list_page(w: World, site: str, col: int, page: int, base: str) -> str | None:
    """A column list page (None when the page does not exist)."""
    st = w.sites[site]
    sp = st.spec
    total = w.n_pages(site, col)
    if page >= total:
        return None
    c = sp.columns[col]
    path = w.column_path(site, col, page)
    metas = (
        [
            ("SiteName", sp.title),
            ("SiteDomain", sp.domain),
            ("SiteIDCode", sp.site_code),
            ("ColumnName", c.name),
            ("ColumnType", c.parent),
        ]
        if sp.cms in ("trs", "hanweb", "ucap")
        else []
    )
    out = [
        _head(sp, f"{c.name}_{sp.title}", metas),
        _header(sp),
        '<div class="main container">\n',
        _crumb(sp, col, None),
    ]
    out.append(
        f'<div class="side"><h3>{escape(c.parent)}</h3><ul>'
        + "".join(
            f'<li class="{"on" if i == col else ""}"><a href="{w.column_path(site, i)}">{escape(x.name)}</a>'
            "</li>"
            for i, x in enumerate(sp.columns)
        )
        + "</ul></div>\n"
    )
    out.append(f'<div class="list-box"><div class="list-title"><h2>{escape(c.name)}</h2></div>\n')
    items = w.listed(site, col)
    if st.broken:
        out.append(BROKEN.format(col=c.code))
    elif sp.cms == "hanweb":
        out.append(_hanweb_datastore(w, site, col, items[: 3 * sp.per_page], len(items), base))
    else:
        chunk = items[page * sp.per_page : (page + 1) * sp.per_page]
        tag = "div" if sp.cms == "plain" else "ul"
        out.append(
            f'<{tag} class="list">\n' + "".join(_li(w, it, base, path) for it in chunk) + f"</{tag}>\n"
        )
        out.append(_pager(w, site, col, page, total))
    out.append("</div>\n</div>\n")
    out.append(_footer(sp))
    return "".join(out)


def _hanweb_record(w: World, it: Item) -> str:
    title = escape(w.content(it).title)
    return (
        f'<record><![CDATA[<li><a href="{w.item_path(it)}" target="_blank" title="{title}">{title}</a>'
        f'<span class="bt-data-time">{fmt_ts(it.ts, "%Y-%m-%d")}</span></li>]]></record>\n'
    )


def _hanweb_datastore(w: World, site: str, col: int, items: list[Item], total: int, base: str) -> str:
    sp = w.spec(site)
    cid = sp.columns[col].cid
    recs = "".join(_hanweb_record(w, it) for it in items)
    nextgroup = (
        f'<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;webid=1&amp;path=/&amp;columnid={cid}'
        f'&amp;unitid=21{cid}&amp;webname={escape(sp.title)}&amp;permissiontype=0"></a>'
    )
    return (
        f'<div id="{cid}"><script type="text/xml">\n<datastore>\n<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n'
        f"<recordset>\n{recs}</recordset>\n</datastore>\n</script>\n"
        '<script language="javascript" src="/module/web/jpage/jpage.js" charset="utf-8"></script>\n'
        f"<script>var totalRecord = {total}; var perPage = {sp.per_page}; new Jpage({{target: '{cid}', "
        f"proxyUrl: '/module/web/jpage/dataproxy.jsp', columnid: {cid}, webid: 1}});</script></div>\n"
    )


def dataproxy(w: World, site: str, query: dict[str, list[str]]) -> bytes | None:
    """Hanweb's jpage dataproxy: records startrecord..endrecord (1-based) of a column."""
    sp = w.spec(site)

    def num(key: str, default: int) -> int:
        try:
            return int(query.get(key, [default])[0])
        except ValueError:
            return default

    cid = num("columnid", sp.columns[0].cid)
    cols = [i for i, c in enumerate(sp.columns) if c.cid == cid]
    if not cols:
        return None
    per = max(1, num("perpage", sp.per_page))
    start = max(1, num("startrecord", 1))
    end = max(start, num("endrecord", start + 3 * per - 1))
    items = [] if w.sites[site].broken else w.listed(site, cols[0])
    recs = "".join(_hanweb_record(w, it) for it in items[start - 1 : end])
    total = len(items)
    nxt = (
        f'<![CDATA[<a href="/module/web/jpage/dataproxy.jsp?startrecord={end + 1}&amp;endrecord='
        f'{end + 3 * per}&amp;perpage={per}&amp;columnid={cid}"></a>]]>'
        if end < total
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<nextgroup>{nxt}</nextgroup>\n<recordset>\n{recs}'
        f"</recordset>\n<totalrecord>{total}</totalrecord>\n<totalpage>{max(1, -(-total // per))}</totalpage>\n"
        "</datastore>\n"
    ).encode()


# ---------------------------------------------------------------- articles
def _rel_list(w: World, it: Item, title: str = "相关文章") -> str:
    lis = "".join(
        f'<li><a href="{w.item_path(x)}" target="_blank">{escape(w.content(x).title)}</a>'
        f'<span class="date">{fmt_ts(x.ts, "%Y-%m-%d")}</span></li>'
        for x in w.related(it)
    )
    return f'<div class="related"><h3>{title}</h3><ul>{lis}</ul></div>\n'


def _prevnext(w: World, it: Item) -> str:
    prev, nxt = w.neighbours(it)
    a = f'<a href="{w.item_path(prev)}">{escape(w.content(prev).title)}</a>' if prev else "没有了"
    b = f'<a href="{w.item_path(nxt)}">{escape(w.content(nxt).title)}</a>' if nxt else "没有了"
    return f'<div class="prevnext"><p>上一篇：{a}</p><p>下一篇：{b}</p></div>\n'


def _body(w: World, it: Item, editor_inside: bool = True) -> str:
    sp = w.spec(it.site)
    c = w.content(it)
    imgs, atts = w.media(it, c)
    folder = w.item_path(it).rsplit("/", 1)[0] + "/"
    rel = sp.cms in ("trs", "sitemap", "ucap")

    def href(p: str) -> str:
        return "./" + p[len(folder) :] if rel and p.startswith(folder) else p

    style = {
        "trs": ' style="text-indent: 2em;"',
        "govcn": ' style="text-indent: 2em; font-family: 宋体;"',
        "sitemap": ' class="MsoNormal"',
        "dahan": ' align="justify"',
    }.get(sp.cms, "")
    indent = "　　" if sp.cms == "ucap" else ""
    out = []
    for i, p in enumerate(c.paragraphs):
        out.append(f"<p{style}>{indent}{escape(p)}</p>\n")
        if i in (0, 2) and imgs:
            src, alt = imgs.pop(0)
            out.append(
                f'<p style="text-align: center;"><img src="{href(src)}" alt="{escape(alt)}" '
                f'border="0" oldsrc="{src.rsplit("/", 1)[1]}"></p>\n'
            )
    for src, alt in imgs:
        out.append(f'<p style="text-align: center;"><img src="{href(src)}" alt="{escape(alt)}"></p>\n')
    if c.editor and editor_inside:
        out.append(f'<p style="text-align: right;">（责任编辑：{escape(c.editor)}）</p>\n')
    if atts:
        out.append(
            '<div class="fj"><p>附件：</p>'
            + "".join(
                f'<p><a href="{href(p)}" target="_blank">附件{i + 1}：{escape(name)}</a></p>'
                for i, (p, name) in enumerate(atts)
            )
            + "</div>\n"
        )
    return "".join(out)


def _gov_metas(w: World, it: Item, full: bool) -> list[tuple[str, str]]:
    sp = w.spec(it.site)
    c = w.content(it)
    metas = [("ArticleTitle", c.title), ("PubDate", fmt_ts(it.ts, "%Y-%m-%d %H:%M"))]
    if full:
        metas += [
            ("SiteName", sp.title),
            ("SiteDomain", sp.domain),
            ("SiteIDCode", sp.site_code),
            ("ColumnName", sp.columns[it.col].name),
            ("ColumnType", sp.columns[it.col].parent),
        ]
        if c.source:
            metas.append(("ContentSource", c.source))
        metas += [("Keywords", ",".join(c.keywords)), ("Description", c.paragraphs[0][:80])]
        if c.author:
            metas.append(("Author", c.author))
    return metas


def article_page(w: World, it: Item, base: str) -> str:
    """Full article page of one item in its site's template."""
    sp = w.spec(it.site)
    c = w.content(it)
    col = sp.columns[it.col]
    t = escape(c.title)
    minute = fmt_ts(it.ts, "%Y-%m-%d %H:%M")
    src = escape(c.source or "")
    author = escape(c.author or "")
    crumb = _crumb(sp, it.col, w.column_path(it.site, it.col) if sp.cms != "sitemap" else None)
    cms = sp.cms
    if cms == "trs":
        head = _head(sp, f"{c.title}_{col.name}_{sp.title}", _gov_metas(w, it, True))
        info = f"发布时间：{minute}&nbsp;&nbsp;来源：{src}" + (
            f"&nbsp;&nbsp;作者：{author}" if author else ""
        )
        main = (
            f'<div class="article"><h1 class="title">{t}</h1>\n<div class="info">{info}</div>\n{SHARE}'
            f'<div class="TRS_Editor">\n{_body(w, it)}</div>\n{_prevnext(w, it)}{TOOLS}</div>\n{_rel_list(w, it)}'
        )
    elif cms == "hanweb":
        head = _head(sp, f"{c.title} - {sp.title}", _gov_metas(w, it, True))
        side = (
            '<div class="side-box"><h3>最新发布</h3><ul>'
            + "".join(
                f'<li><a href="{w.item_path(x)}">{escape(w.content(x).title)}</a><span>{fmt_ts(x.ts, "%Y-%m-%d")}</span></li>'
                for x in w.feed_items(it.site)[:5]
                if x is not it
            )
            + "</ul></div>\n"
        )
        main = (
            f'{side}<div class="main-txt"><h1>{t}</h1>\n<div class="xxgk_info"><span>信息来源：{src}</span> '
            f"<span>发布日期：{minute}</span> <span>字号：[ <a>大</a> <a>中</a> <a>小</a> ]</span></div>\n{SHARE}"
            f'<div id="zoom">\n{_body(w, it)}</div>\n{_prevnext(w, it)}{TOOLS}</div>\n'
            + _rel_list(w, it, "相关链接")
        )
    elif cms == "ucap":
        head = _head(sp, f"{c.title}-{sp.title}", _gov_metas(w, it, False))
        info = f'发布时间：{fmt_ts(it.ts, "%Y年%m月%d日 %H:%M")}　来源：{src}　浏览次数：<span id="clicks"></span>'
        main = (
            f'<div class="xl-main"><div class="xl-title"><h1>{t}</h1></div>\n<div class="xxgk-info">{info}</div>\n'
            f'<div id="UCAP-CONTENT" class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">\n'
            f"{_body(w, it)}</div>\n{SHARE}{_prevnext(w, it)}{TOOLS}</div>\n{_rel_list(w, it)}"
        )
    elif cms == "dahan":
        metas = [("ArticleTitle", c.title), ("PubDate", fmt_ts(it.ts, "%Y-%m-%d %H:%M:%S"))]
        metas += [("ContentSource", c.source)] if c.source else []
        head = _head(sp, f"{c.title}_{sp.title}", metas)
        info = f"日期：{fmt_ts(it.ts, '%Y-%m-%d')}　来源：{src}　作者：{author}　【字体：<a>大</a> <a>中</a> <a>小</a>】"
        main = (
            f'<div class="detail"><h2 class="tit">{t}</h2>\n<div class="msg">{info}</div>\n'
            f'<div id="zoom" class="zoom">\n{_body(w, it)}</div>\n{SHARE}{_prevnext(w, it)}{TOOLS}</div>\n'
            + _rel_list(w, it)
        )
    elif cms == "govcn":
        metas = [
            ("firstpublishedtime", fmt_ts(it.ts, "%Y-%m-%d-%H:%M:%S")),
            ("lastmodifiedtime", fmt_ts(it.ts + 754, "%Y-%m-%d-%H:%M:%S")),
            ("manuscriptId", str(it.num)),
            ("keywords", ",".join(c.keywords)),
            ("description", c.paragraphs[0][:80]),
            ("author", c.author or ""),
            ("source", c.source or ""),
            ("catalogs", "01"),
        ]
        head = _head(sp, f"{c.title}_{col.name}_{sp.title}", metas)
        editor = f'<div class="editor">【我要纠错】 责任编辑：{escape(c.editor)}</div>\n' if c.editor else ""
        main = (
            f'<div class="article oneColumn pub_border"><h1>{t}</h1>\n<div class="pages-date">{minute} '
            f'<span class="font">来源： {src}</span> <span class="font index_switchsize">字号：<span>默认</span>'
            f"<span>大</span><span>超大</span></span></div>\n"
            f'<div class="pages_content" id="UCAP-CONTENT">\n{_body(w, it, editor_inside=False)}</div>\n'
            f"{editor}{SHARE}{_prevnext(w, it)}</div>\n{_rel_list(w, it, '相关稿件')}"
        )
    elif cms == "sitemap":
        head = _head(
            sp,
            f"{c.title}_{sp.title}",
            [("ArticleTitle", c.title), ("PubDate", minute), ("ColumnName", col.name)],
        )
        main = (
            f'<div class="article-wrap"><h1 class="article-title">{t}</h1>\n<div class="article-info">'
            f"<span>时间：{minute}</span> <span>来源：{src}</span></div>\n"
            f'<div class="article-content"><div class="TRS_Editor"><div class="Custom_UnionStyle">\n'
            f"{_body(w, it)}</div></div></div>\n{SHARE}{_prevnext(w, it)}</div>\n{_rel_list(w, it)}"
        )
    else:
        url = base + w.item_path(it)
        imgs, _ = w.media(it, c)
        image = base + imgs[0][0] if imgs else base + "/static/images/share-logo.png"
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": c.title,
            "datePublished": iso(it.ts),
            "dateModified": iso(it.ts + 1200),
            "image": [image],
            "author": (
                {"@type": "Person", "name": c.author}
                if c.author
                else {"@type": "Organization", "name": sp.title}
            ),
            "publisher": {
                "@type": "Organization",
                "name": sp.title,
                "logo": {"@type": "ImageObject", "url": base + "/static/images/logo.png"},
            },
            "mainEntityOfPage": url,
        }
        og = "".join(
            f'<meta property="{k}" content="{escape(v)}">\n'
            for k, v in (
                ("og:type", "article"),
                ("og:title", c.title),
                ("og:url", url),
                ("og:site_name", sp.title),
                ("og:description", c.paragraphs[0][:80]),
                ("og:image", image),
            )
        )
        ld_tag = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>\n'
        head = _head(sp, f"{c.title} - {sp.title}", [("description", c.paragraphs[0][:80])], og + ld_tag)
        by = f'<span class="author">作者：{author}</span>' if author else ""
        main = (
            f'<article class="post"><h1>{t}</h1>\n<div class="meta"><span class="time">'
            f'{fmt_ts(it.ts, "%Y年%m月%d日 %H:%M")}</span> <span class="source">来源：{src}</span> {by}</div>\n'
            f'<div class="content">\n{_body(w, it)}</div>\n{SHARE}{_prevnext(w, it)}</article>\n'
            + _rel_list(w, it, "相关新闻")
        )
    return "".join(
        [
            head,
            _header(sp),
            '<div class="main container">\n',
            crumb,
            main,
            "</div>\n",
            chrome_box(it),
            _footer(sp),
        ]
    )


# ---------------------------------------------------------------- other pages
def home_page(w: World, site: str, base: str) -> str:
    """Site home page (navigation; headlines except on the sitemap-only site)."""
    sp = w.spec(site)
    out = [_head(sp, sp.title, [("SiteName", sp.title), ("SiteDomain", sp.domain)]), _header(sp)]
    if sp.cms != "sitemap":
        for i, c in enumerate(sp.columns):
            lis = "".join(
                f'<li><a href="{w.item_path(x)}">{escape(w.content(x).title)}</a>'
                f"<span>{fmt_ts(x.ts, '%m-%d')}</span></li>"
                for x in w.listed(site, i)[:6]
                if x.fault is None
            )
            out.append(
                f'<div class="box"><h2>{escape(c.name)}<a class="more" href="{w.column_path(site, i)}">更多&gt;&gt;'
                f"</a></h2><ul>{lis}</ul></div>\n"
            )
    else:
        out.append('<div class="banner"><img src="/static/images/banner.jpg" alt="江城吉林"></div>\n')
    out.append(_footer(sp))
    return "".join(out)


def section_page(w: World, site: str, label: str) -> str:
    """A navigation section page: static introduction text, no date, never an article."""
    sp = w.spec(site)
    intro = (
        f"{sp.title}门户网站是{sp.region.split('/')[-1]}政务信息公开的第一平台和政民互动的重要渠道。"
        f"本栏目集中展示{label}相关内容，方便社会公众查询有关信息、办理有关事项。"
        "如需了解更多信息，请通过网站首页的在线咨询功能或拨打政务服务便民热线12345联系我们。"
    )
    links = "".join(f'<li><a href="{p}">{escape(t)}</a></li>' for t, p in sp.nav)
    return "".join(
        [
            _head(sp, f"{label}_{sp.title}"),
            _header(sp),
            f'<div class="main container"><div class="position">当前位置：<a href="/">首页</a> &gt; '
            f"<span>{escape(label)}</span></div><h2>{escape(label)}</h2><p>{intro}</p><ul>{links}</ul></div>\n",
            _footer(sp),
        ]
    )


def not_found_page(sp: SiteSpec) -> str:
    """The site's 404 page."""
    return (
        f'{_head(sp, "404 页面不存在")}<div class="err"><h2>很抱歉，您要访问的页面不存在或已被删除！</h2>'
        '<p><a href="/">返回首页</a></p></div>\n</body>\n</html>\n'
    )


def error_page() -> str:
    """A Tomcat-like 500 page."""
    return (
        '<!doctype html><html lang="en"><head><title>HTTP Status 500 – Internal Server Error</title></head><body>'
        "<h1>HTTP Status 500 – Internal Server Error</h1><hr><p><b>Type</b> Exception Report</p>"
        "<p><b>Message</b> java.lang.NullPointerException</p><hr><h3>Apache Tomcat/8.5.41</h3></body></html>\n"
    )


def challenge_page(seed: str) -> tuple[str, str]:
    """An anti-bot (瑞数-like) HTTP 412 challenge page and the cookie it sets; never an article."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    cookie = f"FSSBBIl1UgzbN7N80S={h[:40]}"
    js = (
        f"var _$Wx='{h}';(function(){{var _$a=_$Wx.split('').reverse().join('');"
        "var c='FSSBBIl1UgzbN7N80T='+_$a.substring(0,32)+'; path=/; expires='+new Date(Date.now()+864e5)"
        ".toUTCString();document.cookie=c;setTimeout(function(){location.reload();},50);})();"
    )
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta http-equiv="Pragma" content="no-cache">'
        f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{h[:64]}" r="m">'
        f'<script type="text/javascript" r="m">{js}</script></head><body></body></html>\n'
    )
    return page, cookie


def robots(w: World, site: str, base: str) -> str:
    """robots.txt of a site."""
    sp = w.spec(site)
    lines = ["User-agent: *"]
    lines += [f"Disallow: {p}" for p in sp.disallow] or ["Disallow:"]
    if "sitemap" in sp.kinds:
        lines += ["", f"Sitemap: {base}/sitemap.xml"]
    return "\n".join(lines) + "\n"


def _rfc822(ts: int) -> str:
    return fmt_ts(ts, "%a, %d %b %Y %H:%M:%S +0800")


def rss(w: World, site: str, base: str) -> bytes:
    """RSS 2.0 feed of the newest articles."""
    sp = w.spec(site)
    items = w.feed_items(site)
    body = "".join(
        f"<item>\n<title>{escape(w.content(it).title)}</title>\n<link>{base}{w.item_path(it)}</link>\n"
        f'<guid isPermaLink="true">{base}{w.item_path(it)}</guid>\n'
        f"<description><![CDATA[{w.content(it).paragraphs[0]}]]></description>\n"
        f"<category>{escape(sp.columns[it.col].name)}</category>\n<pubDate>{_rfc822(it.ts)}</pubDate>\n</item>\n"
        for it in items
    )
    last = _rfc822(w.sites[site].mtime)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel>\n<title>{escape(sp.title)} - 要闻</title>\n<link>{base}/</link>\n"
        f'<atom:link href="{base}/rss.xml" rel="self" type="application/rss+xml"/>\n'
        f"<description>{escape(sp.title)}最新要闻</description>\n<language>zh-cn</language>\n"
        f"<lastBuildDate>{last}</lastBuildDate>\n<ttl>30</ttl>\n{body}</channel>\n</rss>\n"
    ).encode()


def atom(w: World, site: str, base: str) -> bytes:
    """Atom 1.0 feed of the newest articles."""
    sp = w.spec(site)
    body = "".join(
        f'<entry>\n<title>{escape(w.content(it).title)}</title>\n<link rel="alternate" href="{base}{w.item_path(it)}"/>\n'
        f"<id>{base}{w.item_path(it)}</id>\n<published>{iso(it.ts)}</published>\n<updated>{iso(it.ts)}</updated>\n"
        f"<summary>{escape(w.content(it).paragraphs[0])}</summary>\n</entry>\n"
        for it in w.feed_items(site)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
        f'<title>{escape(sp.title)}</title>\n<id>{base}/</id>\n<link rel="self" href="{base}/atom.xml"/>\n'
        f'<link rel="alternate" href="{base}/"/>\n<updated>{iso(w.sites[site].mtime)}</updated>\n'
        f"<author><name>{escape(sp.org)}</name></author>\n{body}</feed>\n"
    ).encode()


def sitemap(w: World, site: str, base: str, part: int) -> bytes:
    """Sitemap index (part 0) or urlset part 1/2; part 1 also lists the home and section pages."""
    st = w.sites[site]
    items = w.sitemap_items(site)
    half = (len(items) + 1) // 2
    if part == 0:
        lm = iso(st.mtime)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"<sitemap><loc>{base}/sitemap-1.xml</loc><lastmod>{lm}</lastmod></sitemap>\n"
            f"<sitemap><loc>{base}/sitemap-2.xml.gz</loc><lastmod>{lm}</lastmod></sitemap>\n"
            "</sitemapindex>\n"
        ).encode()
    chunk = items[:half] if part == 1 else items[half:]
    urls = []
    if part == 1:
        urls += [
            f"<url><loc>{base}{p}</loc><changefreq>daily</changefreq><priority>0.8</priority></url>\n"
            for _, p in st.spec.nav
        ]
    urls += [
        f"<url><loc>{base}{w.item_path(it)}</loc><lastmod>{iso(it.ts)}</lastmod>"
        "<changefreq>never</changefreq><priority>0.5</priority></url>\n"
        for it in chunk
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(urls)
        + "</urlset>\n"
    ).encode()


# ---------------------------------------------------------------- routing
LIST_RE = {
    "trs": re.compile(r"^/col/(\w+)/index(?:_(\d+))?\.html$"),
    "hanweb": re.compile(r"^/col/col(\d+)/index\.html$"),
    "ucap": re.compile(r"^/(\w+)/index(?:_(\d+))?\.htm$"),
    "dahan": re.compile(r"^/(\w+)/index(?:_(\d+))?\.shtml$"),
    "govcn": re.compile(r"^/(\w+)/home(?:_(\d+))?\.htm$"),
    "plain": re.compile(r"^/(\w+)/$"),
}
ARTICLE_RE = re.compile(r"(\d+)\.s?html?$")


def _encode(sp: SiteSpec, text: str) -> tuple[bytes, str]:
    data = text.encode("gbk", errors="xmlcharrefreplace") if sp.encoding == "gbk" else text.encode("utf-8")
    return data, f"text/html; charset={'GBK' if sp.declared == 'gbk' else 'utf-8'}"


def _html(sp: SiteSpec, status: int, text: str, mtime: int | None = None, etag: bool = True) -> Reply:
    data, ctype = _encode(sp, text)
    return Reply(status, data, ctype, mtime=mtime, etag=etag and status == 200)


def _find_list(w: World, site: str, path: str, query: dict[str, list[str]]) -> tuple[int, int] | None:
    sp = w.spec(site)
    rx = LIST_RE.get(sp.cms)
    m = rx.match(path) if rx else None
    if not m:
        return None
    key = m.group(1)
    num = m.group(2) if rx.groups >= 2 else None
    for i, c in enumerate(sp.columns):
        if key in (c.code, str(c.cid)):
            if sp.cms == "plain":
                try:
                    page = int(query.get("page", ["1"])[0]) - 1
                except ValueError:
                    return None
            elif sp.cms == "dahan":
                page = int(num) - 1 if num else 0
                if num == "1":
                    return None
            else:
                page = int(num or 0)
            return (i, page) if page >= 0 else None
    return None


def respond(w: World, site: str, method: str, target: str, base: str) -> Reply:
    """Compute the answer of one site to one request (conditional headers are applied by the caller)."""
    with w.lock:
        return _respond(w, site, method, target, base)


def _respond(w: World, site: str, method: str, target: str, base: str) -> Reply:
    st = w.sites[site]
    sp = st.spec
    parts = urlsplit(target)
    path = parts.path or "/"
    query = parse_qs(parts.query)
    if path == "/robots.txt":
        return Reply(
            200, robots(w, site, base).encode(), "text/plain; charset=utf-8", mtime=st.mtime, etag=True
        )
    if path in ("/", "/index.html", "/index.htm"):
        return _html(sp, 200, home_page(w, site, base), st.mtime)
    for label, p in sp.nav:
        if path == p and p != "/" and not (sp.cms == "plain" and p == f"/{sp.columns[0].code}/"):
            return _html(sp, 200, section_page(w, site, label), st.mtime)
    if path == "/wzdt/" or path == "/search/":
        return _html(sp, 200, section_page(w, site, "网站地图" if path == "/wzdt/" else "站内搜索"), st.mtime)
    if "feed" in sp.kinds and path == "/rss.xml":
        return Reply(200, rss(w, site, base), "application/rss+xml; charset=utf-8", mtime=st.mtime, etag=True)
    if "feed" in sp.kinds and path == "/atom.xml":
        return Reply(
            200, atom(w, site, base), "application/atom+xml; charset=utf-8", mtime=st.mtime, etag=True
        )
    if "sitemap" in sp.kinds:
        if path == "/sitemap.xml":
            return Reply(200, sitemap(w, site, base, 0), "application/xml", mtime=st.mtime, etag=True)
        if path == "/sitemap-1.xml":
            return Reply(200, sitemap(w, site, base, 1), "application/xml", mtime=st.mtime, etag=True)
        if path == "/sitemap-2.xml.gz":
            data = gzip.compress(sitemap(w, site, base, 2), mtime=0)
            return Reply(200, data, "application/x-gzip", mtime=st.mtime, etag=True)
    if sp.cms == "hanweb" and path == "/module/web/jpage/dataproxy.jsp":
        data = dataproxy(w, site, query)
        if data is not None:
            return Reply(200, data, "text/xml;charset=UTF-8", mtime=st.mtime, etag=True)
    if sp.cms != "sitemap":
        found = _find_list(w, site, path, query)
        if found is not None:
            page = list_page(w, site, found[0], found[1], base)
            if page is not None:
                return _html(sp, 200, page, st.mtime)
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    if ext in IMAGE_TYPES and (
        path.startswith("/uploadfiles/") or "/W0" in path or path.startswith("/static/")
    ):
        return Reply(200, PNG if ext == "png" else JPEG, IMAGE_TYPES[ext], mtime=w.now, etag=True)
    if ext in ATTACHMENT_TYPES and (path.startswith("/uploadfiles/") or "/P0" in path):
        return Reply(200, PDF if ext == "pdf" else ZIP_EMPTY, ATTACHMENT_TYPES[ext], mtime=w.now, etag=True)
    if ext in ("css", "js") and path.startswith(("/static/", "/module/")):
        ctype = "text/css" if ext == "css" else "application/javascript"
        return Reply(200, b"/* demo */\n", ctype, mtime=w.now, etag=True)
    m = ARTICLE_RE.search(path)
    it = st.by_num.get(int(m.group(1))) if m else None
    if it is None or w.item_path(it) != path:
        return _html(sp, 404, not_found_page(sp))
    if it.fault == "404":
        return _html(sp, 404, not_found_page(sp))
    if it.fault == "500":
        return Reply(500, error_page().encode(), "text/html;charset=utf-8")
    if it.fault == "blocked":
        page, cookie = challenge_page(f"{w.seed}:{site}:{it.num}")
        return Reply(
            412,
            page.encode(),
            "text/html; charset=utf-8",
            headers=[("Set-Cookie", f"{cookie}; Path=/; HttpOnly"), ("Cache-Control", "no-cache")],
        )
    if it.fault == "redirect" and it.target is not None:
        return Reply(
            301, b"", "text/html; charset=utf-8", headers=[("Location", base + w.item_path(it.target))]
        )
    gone = removed_page(w, it, base)
    if gone is not None:
        status, text, headers = gone
        reply = _html(sp, status, text)
        reply.headers = headers
        return reply
    reply = _html(sp, 200, article_page(w, it, base), it.ts)
    if it.fault == "slow":
        reply.delay = w.slow_seconds
    return reply


def http_date(ts: int) -> str:
    """RFC 7231 date."""
    return formatdate(ts, usegmt=True)


def not_modified(reply: Reply, inm: str | None, ims: str | None) -> tuple[str | None, bool]:
    """(etag, whether a conditional request may be answered 304)."""
    etag = '"' + hashlib.md5(reply.body).hexdigest()[:20] + '"' if reply.etag else None
    if etag is None:
        return None, False
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return etag, etag in tags or "*" in tags
    if ims is not None and reply.mtime is not None:
        try:
            return etag, reply.mtime <= int(parsedate_to_datetime(ims).timestamp())
        except (TypeError, ValueError):
            return etag, False
    return etag, False
