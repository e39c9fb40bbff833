"""Pure, deterministic model of the simulated government sites: articles, stories, faults, ground truth."""

from __future__ import annotations

import json
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from demo.changes import apply_edit
from demo.text import GBK_ONLY_NAMES, REGIONS, Content, edit_repost, make_content

CST = timezone(timedelta(hours=8))
NOW = datetime(2023, 11, 28, 18, 0, 0, tzinfo=CST)
FEED_ITEMS = 20
FAULT_KINDS = {
    "404": "http",
    "500": "http",
    "slow": "timeout",
    "redirect": "redirect",
    "robots": "robots",
    "blocked": "blocked",
}


@dataclass(frozen=True)
class Column:
    """One news column (list) of a site."""

    code: str
    name: str
    parent: str
    base_count: int
    kind: str = "news"
    cid: int = 0


@dataclass(frozen=True)
class SiteSpec:
    """Static description of one simulated site."""

    name: str
    title: str
    region: str
    level: str
    cms: str
    text_region: str
    domain: str
    site_code: str
    icp: str
    police: str
    org: str
    nav: tuple[tuple[str, str], ...]
    columns: tuple[Column, ...]
    kinds: tuple[str, ...]
    per_page: int = 10
    encoding: str = "utf-8"
    declared: str = "utf-8"
    seconds: bool = False
    id_base: int = 1000
    faults: tuple[str, ...] = ()
    disallow: tuple[str, ...] = ()
    meetings: bool = False

    @property
    def shows_author(self) -> bool:
        """Whether the site's article template prints the author (the Hanweb, UCAP and sitemap-site ones do not)."""
        return self.cms not in ("hanweb", "ucap", "sitemap")


SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        "changchun-gov",
        "长春市人民政府",
        "吉林省/长春市",
        "city",
        "trs",
        "city",
        "www.changchun.gov.cn",
        "2201000001",
        "吉ICP备05002204号",
        "吉公网安备 22010202000565号",
        "长春市人民政府办公厅",
        (
            ("首页", "/"),
            ("政务公开", "/zwgk/"),
            ("政务服务", "/zwfw/"),
            ("互动交流", "/hdjl/"),
            ("走进长春", "/zjcc/"),
            ("专题专栏", "/ztzl/"),
        ),
        (Column("xwdt", "长春要闻", "新闻动态", 10), Column("tzgg", "通知公告", "政务公开", 3, "notice")),
        ("listing",),
        10,
        id_base=3239000,
        faults=("404", "redirect"),
        meetings=True,
    ),
    SiteSpec(
        "jilin-gov",
        "吉林省人民政府",
        "吉林省",
        "province",
        "hanweb",
        "province",
        "www.jl.gov.cn",
        "2200000001",
        "吉ICP备05002216号",
        "吉公网安备 22010202000721号",
        "吉林省人民政府办公厅",
        (
            ("首页", "/"),
            ("省情", "/sq/"),
            ("政务公开", "/zwgk/"),
            ("政务服务", "/zwfw/"),
            ("互动交流", "/hdjl/"),
            ("数据开放", "/sjkf/"),
        ),
        (Column("jlyw", "吉林要闻", "政务动态", 9, cid=4596),),
        ("listing",),
        15,
        id_base=2981000,
        faults=("500", "blocked"),
        meetings=True,
    ),
    SiteSpec(
        "jiutai-gov",
        "长春市九台区人民政府",
        "吉林省/长春市/九台区",
        "county",
        "ucap",
        "county",
        "www.jiutai.gov.cn",
        "2201130001",
        "吉ICP备06003588号",
        "吉公网安备 22011302000103号",
        "长春市九台区人民政府办公室",
        (
            ("首页", "/"),
            ("走进九台", "/zjjt/"),
            ("政务公开", "/zwgk/"),
            ("政务服务", "/zwfw/"),
            ("政民互动", "/zmhd/"),
        ),
        (Column("zwdt", "政务动态", "新闻中心", 9),),
        ("listing",),
        10,
        encoding="gbk",
        declared="gbk",
        id_base=118000,
        faults=("robots",),
        disallow=("/nbgl/",),
    ),
    SiteSpec(
        "cc-edu",
        "长春市教育局",
        "吉林省/长春市",
        "department",
        "dahan",
        "department",
        "jyj.changchun.gov.cn",
        "2201000019",
        "吉ICP备05002204号-3",
        "吉公网安备 22010202000588号",
        "长春市教育局",
        (
            ("首页", "/"),
            ("机构概况", "/jggk/"),
            ("政务公开", "/zwgk/"),
            ("办事服务", "/bsfw/"),
            ("教育资源", "/jyzy/"),
        ),
        (Column("jyxw", "教育新闻", "新闻中心", 9),),
        ("listing",),
        10,
        encoding="gbk",
        declared="utf-8",
        id_base=56000,
    ),
    SiteSpec(
        "gov-cn",
        "中国政府网",
        "全国",
        "national",
        "govcn",
        "national",
        "www.gov.cn",
        "bm01000001",
        "京ICP备05070218号",
        "京公网安备11010202000001号",
        "国务院办公厅",
        (
            ("首页", "/"),
            ("国务院", "/guowuyuan/"),
            ("总理", "/premier/"),
            ("新闻", "/xinwen/"),
            ("政策", "/zhengce/"),
            ("互动", "/hudong/"),
            ("服务", "/fuwu/"),
            ("数据", "/shuju/"),
            ("国情", "/guoqing/"),
        ),
        (Column("yaowen", "要闻", "新闻", 8),),
        ("listing", "feed"),
        15,
        seconds=True,
        id_base=6915000,
    ),
    SiteSpec(
        "jilinshi-gov",
        "吉林市人民政府",
        "吉林省/吉林市",
        "city",
        "sitemap",
        "jilinshi",
        "www.jlcity.gov.cn",
        "2202000001",
        "吉ICP备05001813号",
        "吉公网安备 22020202000112号",
        "吉林市人民政府办公室",
        (
            ("首页", "/"),
            ("走进江城", "/zjjc/"),
            ("政务公开", "/zwgk/"),
            ("政务服务", "/zwfw/"),
            ("政民互动", "/zmhd/"),
        ),
        (Column("jcyw", "江城要闻", "新闻中心", 8),),
        ("sitemap",),
        10,
        id_base=771000,
    ),
    SiteSpec(
        "changchun-news",
        "长春新闻网",
        "吉林省/长春市",
        "city",
        "plain",
        "city",
        "www.changchunnews.cn",
        "",
        "吉ICP备10002817号",
        "吉公网安备 22010202000999号",
        "长春新闻网",
        (
            ("首页", "/"),
            ("时政", "/news/"),
            ("社会", "/society/"),
            ("财经", "/finance/"),
            ("文旅", "/travel/"),
            ("视频", "/video/"),
        ),
        (Column("news", "时政要闻", "新闻", 9),),
        ("listing",),
        10,
        id_base=90000,
        faults=("slow",),
    ),
)


class Item:
    """One URL-addressable entry of a site: an article copy or a fault link."""

    __slots__ = (
        "site",
        "col",
        "num",
        "ts",
        "kind",
        "origin",
        "fault",
        "target",
        "hidden",
        "quote_of",
        "idx",
        "path",
        "edit",
        "removed",
        "views",
    )

    def __init__(self, site: str, col: int, ts: int, kind: str = "news") -> None:
        self.site = site
        self.col = col
        self.ts = ts
        self.kind = kind
        self.num = 0
        self.origin: Item | None = None
        self.fault: str | None = None
        self.target: Item | None = None
        self.hidden = False
        self.quote_of: Item | None = None
        self.idx = 0
        self.path = ""
        self.edit: str | None = None  # demo.changes: an edit shown on the page (or chrome only)
        self.removed: str | None = None  # demo.changes: how the article was taken down
        self.views = 17

    @property
    def story(self) -> str:
        """Story id: the originating copy's site and number."""
        o = self.origin or self
        return f"{o.site}-{o.num}"

    @property
    def is_article(self) -> bool:
        """Whether this entry is an article that should end up stored (slow articles included)."""
        return self.fault in (None, "slow")


@dataclass
class SiteState:
    """Mutable per-site state: items in time order, per-column lists, broken flag, modification time."""

    spec: SiteSpec
    items: list[Item] = field(default_factory=list)
    cols: list[list[Item]] = field(default_factory=list)
    by_num: dict[int, Item] = field(default_factory=dict)
    broken: bool = False
    mtime: int = 0
    next_num: int = 0


def fmt_ts(ts: int, pattern: str) -> str:
    """Format an epoch timestamp in Asia/Shanghai with strftime pattern."""
    return datetime.fromtimestamp(ts, CST).strftime(pattern)


def iso(ts: int) -> str:
    """ISO 8601 with +08:00 offset and seconds."""
    return datetime.fromtimestamp(ts, CST).isoformat()


class World:
    """All simulated sites, deterministic from (seed, scale); mutated only by publish() and set_broken()."""

    def __init__(self, seed: int, scale: int, slow_seconds: float) -> None:
        self.seed = seed
        self.scale = scale
        self.slow_seconds = slow_seconds
        self.now = int(NOW.timestamp())
        self.sites: dict[str, SiteState] = {}
        self.lock = threading.RLock()
        self.hard_negatives: list[tuple[Item, Item, str]] = []
        self.published = 0
        self.changes: list[dict] = []  # demo.changes records, in order

    # ---------- structure ----------
    def spec(self, site: str) -> SiteSpec:
        """Static spec of a site."""
        return self.sites[site].spec

    def column_path(self, site: str, col: int, page: int = 0) -> str:
        """Path of list page `page` (0-based) of a column."""
        sp = self.spec(site)
        c = sp.columns[col]
        if sp.cms == "trs":
            return f"/col/{c.code}/index.html" if page == 0 else f"/col/{c.code}/index_{page}.html"
        if sp.cms == "hanweb":
            return f"/col/col{c.cid}/index.html"
        if sp.cms == "ucap":
            return f"/{c.code}/index.htm" if page == 0 else f"/{c.code}/index_{page}.htm"
        if sp.cms == "dahan":
            return f"/{c.code}/index.shtml" if page == 0 else f"/{c.code}/index_{page + 1}.shtml"
        if sp.cms == "govcn":
            return f"/{c.code}/home.htm" if page == 0 else f"/{c.code}/home_{page}.htm"
        if sp.cms == "plain":
            return f"/{c.code}/" if page == 0 else f"/{c.code}/?page={page + 1}"
        return "/"

    def n_pages(self, site: str, col: int) -> int:
        """Number of list pages a column currently has."""
        st = self.sites[site]
        if st.spec.cms == "hanweb":
            return 1
        return max(1, math.ceil(len(st.cols[col]) / st.spec.per_page))

    def item_path(self, it: Item) -> str:
        """Absolute path of an item on its site (cached once the item is numbered)."""
        if not it.path and it.num:
            it.path = self._item_path(it)
        return it.path or self._item_path(it)

    def _item_path(self, it: Item) -> str:
        sp = self.spec(it.site)
        c = sp.columns[it.col]
        d = datetime.fromtimestamp(it.ts, CST)
        if sp.cms == "trs":
            return f"/col/{c.code}/{d:%Y%m}/t{d:%Y%m%d}_{it.num}.html"
        if sp.cms == "hanweb":
            return f"/art/{d.year}/{d.month}/{d.day}/art_{c.cid}_{it.num}.html"
        if sp.cms == "ucap":
            top = "nbgl" if it.fault == "robots" else c.code
            return f"/{top}/{d:%Y-%m}/{d:%d}/content_{it.num}.htm"
        if sp.cms == "dahan":
            return f"/{c.code}/{d:%Y%m%d}/{it.num}.shtml"
        if sp.cms == "govcn":
            return f"/{c.code}/{d:%Y%m}/content_{it.num}.htm"
        if sp.cms == "sitemap":
            return f"/{c.code}/{d:%Y}/{d:%m%d}/{it.num}.html"
        return f"/{c.code}/{d:%Y%m%d}/{it.num}.html"

    def listed(self, site: str, col: int) -> list[Item]:
        """Items of a column newest first (the list order)."""
        return [it for it in self.sites[site].cols[col][::-1] if it.removed != "unlist"]

    def feed_items(self, site: str) -> list[Item]:
        """Newest FEED_ITEMS articles of a site (feeds never carry fault links)."""
        out: list[Item] = []
        for it in reversed(self.sites[site].items):
            if it.fault is None and not it.hidden and it.removed != "unlist":
                out.append(it)
                if len(out) >= FEED_ITEMS:
                    break
        return out

    def sitemap_items(self, site: str) -> list[Item]:
        """All listed articles of a site, newest first."""
        return [
            it
            for it in reversed(self.sites[site].items)
            if it.fault is None and not it.hidden and it.removed != "unlist"
        ]

    # ---------- content ----------
    def content(self, it: Item, head_only: bool = False) -> Content:
        """Content of an item as shown on its own site (repost edits and later edits applied); head_only skips
        paragraphs."""
        return apply_edit(self._content(it, head_only), it.edit)

    def _content(self, it: Item, head_only: bool = False) -> Content:
        """Content as first published (an edit of the original does not reach its reposts)."""
        if it.fault == "redirect" and it.target is not None:
            return self.content(it.target, head_only)
        if it.origin is not None:
            base = self._content(it.origin, head_only)
            osp = self.spec(it.origin.site)
            c = edit_repost(
                base, f"{self.seed}:{it.site}:{it.num}:edit", osp.title, REGIONS[osp.text_region].short
            )
        else:
            d = datetime.fromtimestamp(it.ts, CST)
            quote = None
            if it.quote_of is not None and not head_only:
                qc = self._content(it.quote_of)
                quote = qc.paragraphs[min(2, len(qc.paragraphs) - 1)]
            c = make_content(
                f"{self.seed}:{it.site}:{it.num}",
                it.kind,
                self.spec(it.site).text_region,
                (d.year, d.month, d.day),
                None,
                quote,
                head_only,
            )
        if it.site == "cc-edu" and (c.author is None or not any(ch in c.author for ch in "喆堃镕赟玥珺")):
            rng = random.Random(f"{self.seed}:{it.site}:{it.num}:author")
            c = Content(
                c.title,
                c.paragraphs,
                c.source,
                rng.choice(GBK_ONLY_NAMES),
                c.editor,
                c.keywords,
                c.n_images,
                c.attachments,
            )
        return c

    def media(
        self, it: Item, c: Content | None = None
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(images, attachments) of an item as (path, label) pairs, paths absolute on the site."""
        c = c or self.content(it, head_only=True)
        sp = self.spec(it.site)
        path = self.item_path(it)
        d = fmt_ts(it.ts, "%Y%m%d")
        folder = path.rsplit("/", 1)[0]
        relative = sp.cms in ("trs", "sitemap", "ucap")
        imgs = []
        for k in range(c.n_images):
            name = f"W0{d}{it.num}{k + 1}.jpg" if relative else f"{it.num}_{k + 1}.jpg"
            imgs.append((f"{folder}/{name}" if relative else f"/uploadfiles/{d[:6]}/{name}", c.title))
        atts = []
        for k, label in enumerate(c.attachments):
            ext = "xlsx" if label.endswith("分解表") else ("docx" if k and sp.cms == "hanweb" else "pdf")
            name = f"P0{d}{it.num}_{k + 1}.{ext}" if relative else f"{it.num}_fj{k + 1}.{ext}"
            atts.append(
                (f"{folder}/{name}" if relative else f"/uploadfiles/{d[:6]}/{name}", f"{label}.{ext}")
            )
        return imgs, atts

    def neighbours(self, it: Item) -> tuple[Item | None, Item | None]:
        """(previous, next) article in the same column, skipping fault links."""
        col = self.sites[it.site].cols[it.col]
        try:
            i = col.index(it)
        except ValueError:
            return None, None
        prev = next((x for x in reversed(col[:i]) if x.fault is None), None)
        nxt = next((x for x in col[i + 1 :] if x.fault is None), None)
        return prev, nxt

    def related(self, it: Item, k: int = 5) -> list[Item]:
        """A few other articles of the same site (for 相关文章 boxes), deterministic per item."""
        items = self.sites[it.site].items
        rng = random.Random(f"{self.seed}:{it.site}:{it.num}:rel")
        out: list[Item] = []
        for _ in range(k * 3):
            x = items[rng.randrange(len(items))]
            if x is not it and x.fault is None and not x.hidden and x not in out:
                out.append(x)
            if len(out) >= k:
                break
        return out

    # ---------- mutation ----------
    def _number(self, st: SiteState, it: Item, rng: random.Random) -> None:
        st.next_num += rng.randint(1, 37)
        it.num = st.next_num
        st.by_num[it.num] = it

    def publish(self, site: str | None = None, n: int = 1, bases: dict[str, str] | None = None) -> list[dict]:
        """Advance the world clock and publish n new articles on `site` (or on every site); return truth records."""
        with self.lock:
            names = [site] if site else list(self.sites)
            new: list[Item] = []
            for name in names:
                st = self.sites[name]
                for _ in range(n):
                    self.published += 1
                    rng = random.Random(f"{self.seed}:publish:{self.published}")
                    self.now += 60 * rng.randint(3, 11)
                    ts = self.now if st.spec.seconds else self.now - self.now % 60
                    col = 0 if len(st.spec.columns) == 1 or rng.random() < 0.8 else 1
                    it = Item(name, col, ts, st.spec.columns[col].kind)
                    self._number(st, it, rng)
                    it.idx = len(st.items)
                    st.items.append(it)
                    st.cols[col].append(it)
                    st.mtime = ts
                    new.append(it)
            return [self.article_record(it, bases or {}) for it in new]

    def set_broken(self, site: str, on: bool = True) -> None:
        """Switch a site's list pages to a new layout in which no article links can be found."""
        with self.lock:
            st = self.sites[site]
            if st.broken != on:
                st.broken = on
                self.now += 60
                st.mtime = self.now

    # ---------- ground truth ----------
    def base(self, bases: dict[str, str] | None, site: str) -> str:
        """Base URL of a site (placeholder when not served)."""
        return (bases or {}).get(site) or f"http://{site}.invalid"

    def listed_in(self, it: Item) -> list[str]:
        """Discovery kinds through which an article can be reached."""
        sp = self.spec(it.site)
        out = []
        if "listing" in sp.kinds:
            out.append("listing")
        if "feed" in sp.kinds and it in self.feed_items(it.site):
            out.append("feed")
        if "sitemap" in sp.kinds:
            out.append("sitemap")
        return out

    def article_record(self, it: Item, bases: dict[str, str] | None = None, bodies: bool = True) -> dict:
        """Truth record of one article copy."""
        b = self.base(bases, it.site)
        c = self.content(it, head_only=not bodies)
        imgs, atts = self.media(it, c)
        return {
            "url": b + self.item_path(it),
            "site": it.site,
            "title": c.title,
            "published_at": iso(it.ts),
            "source": c.source,
            "author": c.author if self.spec(it.site).shows_author else None,
            "editor": c.editor,
            "column": self.spec(it.site).columns[it.col].name,
            "body_text": "\n".join(c.paragraphs) if bodies else None,
            "story": it.story,
            "kind": it.kind,
            "repost_of": (self.base(bases, it.origin.site) + self.item_path(it.origin))
            if it.origin
            else None,
            "images": [b + p for p, _ in imgs],
            "attachments": [b + p for p, _ in atts],
            "listed_in": self.listed_in(it),
            "delay": self.slow_seconds if it.fault == "slow" else 0.0,
        }

    def truth(self, bases: dict[str, str] | None = None, bodies: bool = True) -> dict:
        """Ground truth for everything currently published (see demo/README.md for the shape)."""
        bases = bases or {}
        with self.lock:
            sites: dict[str, dict] = {}
            articles: list[dict] = []
            faults: list[dict] = []
            non_articles: list[str] = []
            stories: dict[str, dict] = {}
            for name, st in self.sites.items():
                sp = st.spec
                b = self.base(bases, name)
                sites[name] = {
                    "title": sp.title,
                    "base_url": b,
                    "region": sp.region,
                    "level": sp.level,
                    "cms": sp.cms,
                    "kinds": list(sp.kinds),
                    "encoding": sp.encoding,
                    "declared_charset": sp.declared,
                    "sources": self.sources(name, bases),
                    "broken": st.broken,
                    "columns": [
                        {"name": c.name, "url": b + self.column_path(name, i)}
                        for i, c in enumerate(sp.columns)
                    ],
                    "robots_disallow": list(sp.disallow),
                    "feeds": [b + "/rss.xml", b + "/atom.xml"] if "feed" in sp.kinds else [],
                    "sitemaps": [b + "/sitemap.xml"] if "sitemap" in sp.kinds else [],
                }
                non_articles += [b + "/", b + "/index.html"] + [b + p for _, p in sp.nav if p != "/"]
                for i in range(len(sp.columns)):
                    if sp.cms != "sitemap":
                        non_articles += [
                            b + self.column_path(name, i, p) for p in range(self.n_pages(name, i))
                        ]
                for it in st.items:
                    url = b + self.item_path(it)
                    if it.is_article:
                        rec = self.article_record(it, bases, bodies)
                        articles.append(rec)
                        s = stories.setdefault(it.story, {"first_url": None, "urls": [], "_ts": []})
                        s["urls"].append(url)
                        s["_ts"].append((it.origin is not None, it.ts, url))
                    if it.fault is not None:
                        listed_on = b + self.column_path(name, it.col, self._page_of(it))
                        f = {"url": url, "site": name, "kind": FAULT_KINDS[it.fault], "listed_on": listed_on}
                        if it.fault in ("404", "500"):
                            f["status"] = int(it.fault)
                        elif it.fault == "slow":
                            f.update(status=200, delay=self.slow_seconds, also_article=True)
                        elif it.fault == "redirect":
                            assert it.target is not None
                            f.update(status=301, location=b + self.item_path(it.target))
                        elif it.fault == "robots":
                            f.update(status=200, disallow=list(sp.disallow), must_not_request=True)
                        elif it.fault == "blocked":
                            f["status"] = 412
                        faults.append(f)
            for s in stories.values():
                s["first_url"] = min(s.pop("_ts"))[2]
            hard = [
                {
                    "a": self.base(bases, a.site) + self.item_path(a),
                    "b": self.base(bases, b_.site) + self.item_path(b_),
                    "why": why,
                }
                for a, b_, why in self.hard_negatives
            ]
            return {
                "now": iso(self.now),
                "seed": self.seed,
                "scale": self.scale,
                "sites": sites,
                "articles": articles,
                "stories": stories,
                "faults": faults,
                "non_articles": non_articles,
                "hard_negatives": hard,
                "changes": [dict(c) for c in self.changes],
            }

    def _page_of(self, it: Item) -> int:
        """0-based list page on which an item currently appears."""
        st = self.sites[it.site]
        if st.spec.cms == "hanweb":
            return 0
        col = st.cols[it.col]
        pos = len(col) - 1 - col.index(it)
        return pos // st.spec.per_page

    # ---------- config ----------
    def sources(self, site: str, bases: dict[str, str] | None = None) -> list[dict]:
        """Crawl sources of a site as newsmon config dicts."""
        sp = self.spec(site)
        b = self.base(bases, site)
        out: list[dict] = []
        if "listing" in sp.kinds:
            for i in range(len(sp.columns)):
                pages = self.n_pages(site, i)
                if sp.cms == "hanweb":  # the column page embeds 3 pages of records; dataproxy.jsp the rest
                    pages = math.ceil(len(self.sites[site].cols[i]) / (3 * sp.per_page))
                out.append({"kind": "listing", "url": b + self.column_path(site, i), "max_pages": pages + 5})
        if "feed" in sp.kinds:
            out.append({"kind": "feed", "url": b + "/rss.xml"})
        if "sitemap" in sp.kinds:
            out.append({"kind": "sitemap", "url": b + "/sitemap.xml"})
        return out

    def sites_toml(self, bases: dict[str, str] | None = None) -> str:
        """newsmon site configuration (TOML) for these sites at the given base URLs."""
        bases = bases or {}
        with self.lock:
            lines = ["# Generated by demo.server for the local demo sites; do not edit.", ""]
            for name, st in self.sites.items():
                sp = st.spec
                lines += [
                    "[[site]]",
                    f"name = {_q(name)}",
                    f"title = {_q(sp.title)}",
                    f"region = {_q(sp.region)}",
                    f"level = {_q(sp.level)}",
                    'every = "30m"',
                    "sources = [",
                ]
                for src in self.sources(name, bases):
                    parts = ", ".join(f"{k} = {_q(v) if isinstance(v, str) else v}" for k, v in src.items())
                    lines.append(f"  {{ {parts} }},")
                lines += ["]", ""]
            return "\n".join(lines)


def _q(s: str) -> str:
    """TOML basic string."""
    return json.dumps(s, ensure_ascii=False)


def build_world(seed: int = 7, scale: int = 1, slow_seconds: float = 3.0) -> World:
    """Generate the demo world (metadata only; page content is generated lazily on request)."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    w = World(seed, scale, slow_seconds)
    rng = random.Random(f"{seed}:world")
    span = int(86400 * min(3650, 120 * math.sqrt(scale)))
    now = w.now
    raw: dict[str, list[Item]] = {}

    def when(site_seconds: bool, lo: int, hi: int) -> int:
        d = datetime.fromtimestamp(rng.randint(lo, hi), CST)
        d = d.replace(hour=rng.randint(8, 20), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        t = max(lo, min(hi, int(d.timestamp())))
        return t if site_seconds else t - t % 60

    for sp in SITES:
        items: list[Item] = []
        for ci, c in enumerate(sp.columns):
            for _ in range(c.base_count * scale):
                kind = c.kind
                if kind == "news" and sp.meetings and rng.random() < 0.15:
                    kind = "meeting"
                items.append(Item(sp.name, ci, when(sp.seconds, now - span, now - 3600), kind))
        raw[sp.name] = items
        w.sites[sp.name] = SiteState(sp, cols=[[] for _ in sp.columns])

    def pick(site: str, kinds: tuple[str, ...], before: int, used: set[int]) -> Item:
        cands = raw[site]
        for _ in range(200):
            it = cands[rng.randrange(len(cands))]
            if it.kind in kinds and it.ts < before and id(it) not in used and it.origin is None:
                used.add(id(it))
                return it
        raise RuntimeError("no candidate")

    used: set[int] = set()
    # Reposts: a story published by one site is copied by 2–5 others hours or days later.
    origin_sites = [
        "gov-cn",
        "gov-cn",
        "jilin-gov",
        "jilin-gov",
        "changchun-gov",
        "changchun-gov",
        "cc-edu",
        "jilinshi-gov",
        "jiutai-gov",
    ]
    for k in range(5 * scale):
        osite = origin_sites[k % len(origin_sites)] if k < len(origin_sites) else rng.choice(origin_sites)
        origin = pick(osite, ("news", "notice", "meeting"), now - 86400, used)
        others = [s.name for s in SITES if s.name != osite]
        for tsite in rng.sample(others, rng.randint(2, min(5, len(others)))):
            ts = origin.ts + rng.randint(3600, 5 * 86400)
            hour = datetime.fromtimestamp(ts, CST).hour
            ts = min(ts + 3600 * (8 - hour) if hour < 8 else ts, now - 600)
            ts = ts if w.spec(tsite).seconds else ts - ts % 60
            rp = Item(tsite, 0, max(ts, origin.ts + 60), origin.kind)
            rp.origin = origin
            raw[tsite].append(rp)
    # Hard negatives: follow-ups quoting one paragraph of an earlier story.
    for _ in range(scale):
        q = pick("changchun-gov", ("news",), now - 3 * 86400, used)
        fu = Item(
            "changchun-gov", 0, min(q.ts + rng.randint(86400, 10 * 86400), now - 1800) // 60 * 60, "followup"
        )
        fu.quote_of = q
        raw["changchun-gov"].append(fu)
        w.hard_negatives.append((q, fu, "follow-up quotes one paragraph"))
    # Faults, linked from the first column like ordinary articles.
    for sp in SITES:
        for f in sp.faults:
            it = Item(sp.name, 0, when(sp.seconds, now - min(span, 40 * 86400), now - 7200), "news")
            it.fault = f
            raw[sp.name].append(it)
            if f == "redirect":
                tgt = Item(sp.name, 0, it.ts, "news")
                tgt.hidden = True
                it.target = tgt
                raw[sp.name].append(tgt)
    # Number items in time order (ids grow with time, as CMS ids do) and build column lists.
    for name, items in raw.items():
        st = w.sites[name]
        st.next_num = st.spec.id_base
        items.sort(key=lambda x: (x.ts, x.hidden))
        nrng = random.Random(f"{seed}:{name}:ids")
        for i, it in enumerate(items):
            w._number(st, it, nrng)
            it.idx = i
            if not it.hidden:
                st.cols[it.col].append(it)
        st.items = items
        st.mtime = max(it.ts for it in items)
    # Hard negatives that exist by construction: notices sharing boilerplate, meetings sharing a template.
    for name in ("changchun-gov", "jilin-gov"):
        for kind, why in (("notice", "same notice boilerplate"), ("meeting", "same meeting template")):
            same = [
                it for it in w.sites[name].items if it.kind == kind and it.origin is None and it.fault is None
            ]
            for a, b in zip(same, same[1:], strict=False):
                w.hard_negatives.append((a, b, why))
    return w


def sample_articles(n: int, seed: int = 7) -> list[dict]:
    """n article records (originals and edited reposts, oldest first) taken from the model, no server needed."""
    world = build_world(seed=seed, scale=max(1, math.ceil(n / 80)))
    out = []
    for st in world.sites.values():
        for it in st.items:
            if it.is_article:
                c = world.content(it)
                out.append({"url": f"http://127.0.0.1/{it.site}/{it.num}.html", "site": it.site, "title": c.title,
                            "published_at": iso(it.ts), "source": c.source, "body_text": "\n".join(c.paragraphs)})  # fmt: skip
    out.sort(key=lambda r: r["published_at"])
    return out[:n]
