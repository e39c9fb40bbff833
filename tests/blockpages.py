"""Pages built for the block-choice tests and bench/blockpages.py: a short story among the blocks that beat
it on unseen pages (copyright/disclaimer, ICP/指导单位 footers, notices, comment threads, blog and related
lists, profile boxes, tag clouds), under several kinds of header and in several layouts."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime

NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
URL = "http://www.qingshi.gov.cn/xw/1.html"
NAV = "<div class='top'>" + "".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(40)) + "</div>"
FIRST = "3月1日，青石市春季招聘会在市会展中心举行，200余家企业提供就业岗位5000余个，吸引求职者近万人。"
LAST = "招聘会现场设立政策咨询区，工作人员为求职者解答社保、创业扶持等问题。"
ARTICLE = f"<p>{FIRST}</p><p>{LAST}</p>"
HEAD = "<h1>青石市举办春季招聘会</h1><div class='info'>发布时间：2024-03-01 10:00　来源：青石日报</div>"
DISCLAIMER = (
    "<div class='sm'><p>著作权声明：本网站所刊登的各种新闻、信息和各种专题专栏资料，均为本网站版权所有，未经协议授权，"
    "禁止下载使用。凡本网注明“来源：某某”的作品，均转载自其它媒体，转载目的在于传递更多信息，并不代表本网赞同其观点。"
    "如有侵权，请与我们联系，我们将在第一时间删除。本网站所载内容仅供参考，不构成任何建议，使用者据此操作，风险自担。</p></div>"
)
# one paragraph, four times the story: a share rule alone would keep it
LONG_DISCLAIMER = DISCLAIMER.replace(
    "<p>", "<p>" + DISCLAIMER[len("<div class='sm'><p>") : -len("</p></div>")] * 3
)
ICP = (
    "<div class='bt'><p>主办单位：青石市人民政府办公室　承办单位：青石市大数据中心　地址：青石市人民大街1号，邮编：130000，"
    "联系电话：0431-12345678，网站标识码：2201000001，吉ICP备05001234号，吉公网安备22010202000123号。"
    "建议以IE8.0以上版本浏览器浏览，分辨率1280*1024以上，为了您的浏览体验，请使用最新版浏览器。</p></div>"
)
GUIDE = (
    "<div class='dw'><p>指导单位：中共青石市委网信办，青石市互联网信息办公室；主办单位：青石日报社，青石市广播电视台；"
    "技术支持：青石网络科技有限公司，青石数据服务中心；本站所有内容未经许可，不得转载，违者必究。</p></div>"
)
NOTICE = (
    "<div class='gg'><p>温馨提示：因系统升级维护，本网站将于本周六晚上22:00至次日凌晨6:00暂停服务，届时网站的检索、"
    "留言、申请等功能将无法使用，给您带来的不便，敬请谅解。如有紧急事项，请拨打值班电话联系我们，感谢您的理解和支持。</p></div>"
)
COMMENTS = (
    "<div class='ly'><h3>网友留言</h3><ul>"
    + "".join(
        f"<li><span>网友{i}</span><span>2024-03-0{i} 1{i}:00</span>"
        "<p>这个招聘会办得很好，希望以后多举办这样的活动，给我们年轻人更多的机会，点赞！</p></li>"
        for i in range(1, 7)
    )
    + "</ul></div>"
)
BLOGS = (
    "<div class='bk'>"
    + "".join(
        f"<div class='b'><a href='/b{i}'>博文标题{i}号关于城市发展的一些思考</a>"
        "<p>城市发展需要统筹规划，兼顾经济与民生，本文从几个方面谈谈个人看法，欢迎交流讨论。</p></div>"
        for i in range(12)
    )
    + "</div>"
)


def page(body: str, title: str = "青石市举办春季招聘会_青石网") -> str:
    return f"<html><head><title>{title}</title></head><body>{NAV}{body}</body></html>"


# No heading in the markup names the story (<title> is the site's name): the publish-date/来源 line anchors.
BARE_HEAD = (
    "<div class='t'>青石市举办春季招聘会</div><div class='i'>发布时间：2024-03-01 10:00　来源：青石日报</div>"
)


MIDDLE = (
    "招聘会分为制造业、服务业、信息技术三个专区，其中信息技术专区岗位同比增长三成，平均月薪超过八千元。",
    "市人社局负责人介绍，今年将继续举办各类招聘活动五十场以上，帮助高校毕业生和农民工实现就业。",
    "不少求职者表示，现场岗位丰富，待遇透明，还能当面与企业负责人交流，求职效率明显提高。",
)
STORY = [FIRST, *MIDDLE, LAST]


REPLIES = (
    "<h3>网友评论</h3><ul>"
    + "".join(
        f"<li>网友{i}（2024-03-0{i} 1{i}:00）：这个招聘会办得很好，希望以后多举办这样的活动，给我们年轻人更多的机会，点赞！</li>"
        for i in range(1, 8)
    )
    + "</ul>"
)


# --- the crossed set of bench/blockpages.py -------------------------------------------------------------
MORE = (
    "记者在现场看到，前来咨询的求职者络绎不绝，各展位前排起了长队。",
    "据了解，本次招聘会还开设了网络直播，线上观看人数超过十万人次。",
    "下一步，青石市将继续优化就业服务，推动更多岗位向高校毕业生开放。",
)
PARAGRAPHS = [*STORY, *MORE, *MORE]
# header markup -> (header html, <title>)
HEADS = {
    "h1": (HEAD, "青石市举办春季招聘会_青石网"),
    "bare-label": (BARE_HEAD, "青石网"),
    "bare-date": ("<div class='t'>青石市举办春季招聘会</div><div>2024-03-01 10:00</div>", "青石网"),
    "td-title": (
        "<table><tr><td class='title'>青石市举办春季招聘会</td></tr>"
        "<tr><td>2024年03月01日 来源：青石日报</td></tr></table>",
        "青石市举办春季招聘会",
    ),
}
CHROME_KINDS = {
    "disclaimer": DISCLAIMER,
    "icp": ICP,
    "guide": GUIDE,
    "notice": NOTICE,
    "comments": COMMENTS,
    "replies": REPLIES,
    "comments-dl": "<h3>网友评论</h3><dl>"
    + "".join(
        f"<dt>网友{i} 2024-03-0{i}</dt><dd>这个招聘会办得很好，希望以后多举办这样的活动，给我们年轻人更多的机会！</dd>"
        for i in range(1, 8)
    )
    + "</dl>",
    "blogs": BLOGS,
    "related": "<div class='xg'><h3>相关新闻</h3>"
    + "".join(
        f"<div class='it'><a href='/r{i}'>青石市召开第{i}次就业工作会议</a>"
        "<p>会议强调，要把稳就业摆在突出位置，切实做好重点群体就业工作。</p></div>"
        for i in range(8)
    )
    + "</div>",
    "profile": "<div class='box'>"
    + "".join(f"<div>{k}：{v}</div>" for k, v in [("昵称", "山水间"), ("等级", "五级"), ("积分", "12345")])
    + "".join(f"<div>2023年{m}月（{m + 3}篇）</div>" for m in range(1, 13))
    + "</div>",
    "tags": "<div class='k'>" + "".join(f"<span>标签{i}</span> " for i in range(30)) + "</div>",
}
LAYOUTS = {
    "after": "{head}<div class='con'>{story}</div>{chrome}",
    "before": "{chrome}{head}<div class='con'>{story}</div>",
    "same-box": "<div class='con'>{head}{story}{chrome}</div>",
    "side": "<div class='w'><div class='l'>{head}{story}</div><div class='r'>{chrome}</div></div>",
    "table": "<table><tr><td>{head}{story}</td><td>{chrome}</td></tr></table>",
}
LENGTHS = (2, 5, 12)  # paragraphs of the story


def built_pages(lengths: tuple[int, ...] = LENGTHS) -> Iterator[tuple[dict[str, str], str, str]]:
    """(labels, html, body truth) for every header x chrome kind x layout x story length."""
    for (hn, (head, title)), (cn, chrome), (ln, layout), n in itertools.product(
        HEADS.items(), CHROME_KINDS.items(), LAYOUTS.items(), lengths
    ):
        paras = PARAGRAPHS[:n]
        story = "".join(f"<p>{p}</p>" for p in paras)
        html = page(layout.format(head=head, story=story, chrome=chrome), title)
        yield {"header": hn, "chrome": cn, "layout": ln, "length": str(n)}, html, "\n".join(paras)
