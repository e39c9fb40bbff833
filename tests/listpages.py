"""List pages of several template shapes, built for tests/test_listlinks.py and bench/govpages.py.

Each builder returns (html, the article URLs of its list in order); every page shares a header menu,
column (栏目) links with long names, a 更多 link, a pager and a footer.
"""

from __future__ import annotations

HOST = "127.0.0.1:8001"
BASE = f"http://{HOST}/xwdt/index.shtml"
TITLES = [
    "青石市召开优化营商环境工作推进会议",
    "全市重点项目建设现场推进会召开",
    "青石省推进数字政府建设取得新进展",
    "市政府常务会议研究部署安全生产工作",
    "关于做好今冬明春供暖保障工作的通知",
    "青石河流域综合治理工程全面开工",
]
# Chrome every template shares: a header menu, column (栏目) links with long names, 更多 links, a footer.
HEADER = (
    "<div class='top'><a href='/'>首页</a><a href='/zwgk.shtml'>政务公开</a><a href='/hdjl.shtml'>互动交流</a>"
    "<a href='/bsfw/index.shtml'>办事服务</a><a href='/zjqs.shtml'>走进青石</a></div>"
)
COLUMNS = (
    "<div class='side'><h3>政务公开</h3><ul>"
    "<li><a href='/zwgk/zcwj.shtml'>政策文件及解读专栏</a></li>"
    "<li><a href='/zwgk/rsxx.shtml'>人事信息公开专栏</a></li>"
    "<li><a href='/zwgk/czzj.shtml'>财政资金信息公开</a></li>"
    "<li><a href='/zwgk/zdxm/'>重大建设项目批准和实施</a></li>"
    "</ul><a href='/zwgk/'>更多&gt;&gt;</a></div>"
)
FOOTER = (
    "<div class='foot'><a href='/wzdt.shtml'>网站地图</a><a href='/lxwm.shtml'>联系我们</a>"
    "<a href='/sybz.shtml'>使用帮助</a><p>主办：青石市人民政府办公室</p></div>"
)
PAGER = "<div class='page'><a href='index_1.shtml'>下一页&gt;</a><a href='index_9.shtml'>尾页</a></div>"


def _page(body: str) -> str:
    return f"<html><body>{HEADER}<div class='main'>{COLUMNS}{body}{PAGER}</div>{FOOTER}</body></html>"


def _urls(n: int, shape: str) -> list[str]:
    return [f"http://{HOST}" + shape.format(i=i, n=3365580 + i) for i in range(n)]


def ul_dated() -> tuple[str, list[str]]:
    urls = _urls(6, "/xwdt/202311/t2023112{i}_{n}.shtml")
    items = "".join(f"<li><a href='{u}'>{t}</a><span>2023-11-2{i}</span></li>" for i, (u, t) in
                    enumerate(zip(urls, TITLES, strict=True)))  # fmt: skip
    return _page(f"<ul class='list'>{items}</ul>"), urls


def table_rows_no_extension() -> tuple[str, list[str]]:
    urls = _urls(6, "/viewAjxxGz/{n}-JD0-")
    rows = "".join(f"<tr><td><a href='{u}'>{t}</a></td><td>[11-2{i}]</td></tr>" for i, (u, t) in
                   enumerate(zip(urls, TITLES, strict=True)))  # fmt: skip
    return _page(f"<table class='tb'>{rows}</table>"), urls


def div_items_in_split_lists() -> tuple[str, list[str]]:
    urls = _urls(6, "/news/show-{n}.aspx")
    items = [f"<li><div class='item'><h4><a href='{u}'>{t}</a></h4><p>摘要：{t}。</p><em>2023年11月2{i}日</em></div></li>"
             for i, (u, t) in enumerate(zip(urls, TITLES, strict=True))]  # fmt: skip
    return _page(
        "<ul class='l'>" + "".join(items[:3]) + "</ul><ul class='l'>" + "".join(items[3:]) + "</ul>"
    ), urls


def undated_headlines() -> tuple[str, list[str]]:
    urls = _urls(6, "/zxdt/{n}/")
    items = "".join(f"<p class='row'><a href='{u}'>{t}</a></p>" for u, t in zip(urls, TITLES, strict=True))
    return _page(f"<div class='lists'>{items}</div>"), urls


def commented_out_list() -> tuple[str, list[str]]:
    """The static list left in a comment (a script draws the visible one): only menus are visible."""
    urls = _urls(6, "/art/2023/11/2{i}/art_12_{n}.html")
    items = "".join(f"<li><a href=\"{u}\">{t}</a><span>2023-11-2{i}</span></li>" for i, (u, t) in
                    enumerate(zip(urls, TITLES, strict=True)))  # fmt: skip
    return _page(f"<div id='list'></div><!-- <ul>{items}</ul> -->"), urls


def script_written_list() -> tuple[str, list[str]]:
    urls = _urls(6, "/content/{n}.html")
    writes = "".join(f'document.write("<li><a href=\\"{u}\\">{t}</a><span>2023-11-2{i}</span></li>");'
                     for i, (u, t) in enumerate(zip(urls, TITLES, strict=True)))  # fmt: skip
    return _page(f"<ul id='list'><script>{writes}</script></ul>"), urls


def script_template_list() -> tuple[str, list[str]]:
    """The list comes from an API at run time: the template's placeholders are no articles, nor the menus."""
    js = "for (var i in data) { html += '<li><a href=\"' + data[i].url + '\">' + data[i].title + '</a></li>'; }"
    return _page(f"<ul id='list'></ul><script>{js}</script>"), []


def section_boxes() -> tuple[str, list[str]]:
    """Three section boxes, each a heading with a 更多 link over its own dated list."""
    urls = _urls(6, "/xwdt/202311/t2023112{i}_{n}.shtml")
    boxes = ""
    for b in range(3):
        items = "".join(f"<li><a href='{urls[j]}'>{TITLES[j]}</a><span>2023-11-2{j}</span></li>"
                        for j in (2 * b, 2 * b + 1))  # fmt: skip
        boxes += f"<div class='box'><h3>栏目{b}<a href='/lm{b}/index.shtml'>更多&gt;&gt;</a></h3><ul>{items}</ul></div>"
    return _page(boxes), urls


TEMPLATES = {f.__name__: f for f in (ul_dated, table_rows_no_extension, div_items_in_split_lists,
                                     undated_headlines, commented_out_list, script_written_list,
                                     script_template_list, section_boxes)}  # fmt: skip
