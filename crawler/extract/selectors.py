"""Every selector, tag set, label and pattern the extractor uses, in one place."""

from __future__ import annotations

import re

# --- parsing limits ---------------------------------------------------------------------------------
MAX_INPUT_BYTES = 12 * 1024 * 1024  # larger documents are cut (the crawler caps downloads near 10 MB)
MAX_ELEMENTS = 300_000  # element count above which the document is refused as "too-complex"

# --- tree cleaning ----------------------------------------------------------------------------------
# Removed with their content before anything else looks at the tree.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "canvas",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "audio",
        "video",
        "map",
        "head",
        "link",
        "meta",
        "base",
    }
)
# Page chrome by element name; dropped unless they hold most of the page's text.
CHROME_TAGS = frozenset({"nav", "footer", "aside", "menu"})
# Page chrome by class or id (matched as separate word-ish tokens, case-insensitive).
CHROME_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:share|sharebar|bdshare|jiathis|social|comment|comments|reply|related|relate|xgxw|xgwz|"
    r"recommend|tuijian|hot|hotnews|rank|ranking|footer|foot|copyright|banquan|breadcrumb|crumbs?|"
    r"position|location|nav|navbar|menu|sidebar|side|aside|advert|ads?|guanggao|toolbar|tools?|print|"
    r"prev|next|pager|pagination|fenye|login|search|qrcode|erweima|ewm|weixin-?code|subscribe|"
    r"statement|disclaimer|mianze)(?:$|[\s_-]|\d)",
    re.I,
)
# Government "information disclosure" header tables (索引号 / 发文机关 / 成文日期 …) are metadata, not body.
GOV_INFO_TABLE_RE = re.compile(r"索\s*引\s*号")
GOV_INFO_TABLE_MAX_CHARS = 1500
GOV_INFO_TABLE_TAGS = frozenset({"table", "div", "ul", "dl", "section"})
# Inline style that hides an element.
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# --- block structure --------------------------------------------------------------------------------
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "td",
        "th",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "main",
        "aside",
        "header",
        "footer",
        "nav",
        "blockquote",
        "pre",
        "form",
        "body",
        "center",
        "address",
        "figure",
        "figcaption",
        "fieldset",
        "details",
        "summary",
        "hr",
        "caption",
        "html",
        "text",
    }
)
LINE_BREAK_TAGS = frozenset({"br"})

# --- main content -----------------------------------------------------------------------------------
# Content containers of common Chinese CMSs (TRS WCM, Hanweb/大汉, UCAP, Founder, WeChat, big portals),
# tried before text density; a match must hold a fair share of the page's prose to be used.
CONTENT_SELECTORS = (
    ".TRS_Editor",
    ".trs_editor",
    "#zoom",
    "#Zoom",
    "#UCAP-CONTENT",
    ".Custom_UnionStyle",
    "#BodyLabel",
    "[itemprop=articleBody]",
    "#js_content",
    ".rich_media_content",
    "#artibody",
    "#article_content",
    ".article-content",
    ".article_content",
    ".articleContent",
    "#articleContent",
    ".pages_content",
    "#content_body",
    ".content_body",
    "#ArticleContent",
    ".TRS_UEDITOR",
    "#mainText",
    ".wp_articlecontent",
    "#vsb_content",
    ".v_news_content",
    "#detailContent",
    ".detail-content",
    "#fontzoom",
    ".bt-content",
)
# Share of the density winner's prose a known container needs to be preferred.
CONTENT_SELECTOR_MIN_SHARE = 0.6
CHROME_PENALTY = 1.0  # weight of non-prose text (links, short label lines) against prose in a container
# A block is prose when it carries sentence punctuation or is long; below this it is "short".
PROSE_MIN_CHARS = 20
LIST_MIN_WORDS, LIST_WORD_CHARS = 6, 6  # so many space-separated words this short on average: not prose
LINK_DENSITY_MAX = 0.5  # link share above which a block counts as navigation
# Marks of prose. Colons and brackets are not: they mark labels and counters (昵称：…, 2023年1月（4篇）).
SENTENCE_PUNCT = frozenset("，。！？；、,.!?;”“")
SENTENCE_END = frozenset("。！？…”」』.!?")
# A block after the headline replaces a winner apart from it with this much prose (chars, share of its score).
ANCHOR_MIN_PROSE = 30
ANCHOR_MIN_SHARE = 1 / 3
# Without a headline in the markup, the first line with a publish-date/来源 label and a date anchors the body.
INFO_ANCHOR_LABEL_RE = re.compile(r"(?:发布|发表|发稿|刊发)(?:时间|日期)|(?:^|\s)(?:时间|日期|来源)\s*[:：]")
INFO_ANCHOR_MAX_CHARS, INFO_ANCHOR_SCAN_BLOCKS = 120, 400  # its length; short blocks read, from the top
ANCHOR_FEW_PARAGRAPHS = 2  # a winner with at most this many sentence-bearing blocks needs no share
# The density winner grows into its parent while the parent keeps this share of its score and adds prose.
EXPAND_KEEP = 0.97

# Lines inside a body that are page furniture, not content.
BOILERPLATE_LINE_RE = re.compile(
    r"^(?:[【\[]?\s*(?:上一篇|下一篇|上一条|下一条|上篇|下篇|返回顶部|打印本页|打印|关闭窗口|关闭|收藏|"
    r"分享到?|字号|字体|扫一扫|[大中小]|加入收藏|推荐给朋友|我要纠错|Print|Close)\s*[】\]]?[:：\s]*)+"
    r"(?:.{0,60})?$|^(?:分享到|扫一扫|扫描二维码|相关阅读|相关新闻|相关链接|相关文章|延伸阅读|"
    r"热点推荐|推荐阅读|网友评论|我要评论|版权所有|Copyright|©)",
    re.I,
)
# A short line that starts the after-article part of a page: related lists, comments, the site footer.
TAIL_MARKER_RE = re.compile(
    r"^[【\[]?(?:其他人也在看|相关阅读|相关新闻|相关文章|相关链接|相关报道|相关稿件|相关信息|推荐阅读|热门推荐|猜你喜欢|"
    r"延伸阅读|更多(?:新闻|阅读|精彩|内容)|热点新闻|热门文章|为你推荐|大家都在看|精彩推荐|网友评论|发表评论|我要评论|"
    r"评论区|全部评论|热门评论|最新评论|评论\s*[(（]?\d+[)）]?|(?:共|全部)?\d+\s*条评论|"
    r"Related (?:articles|stories|news)|Read more)[】\]]?\s*[:：>》]*$",
    re.I,
)
FOOTER_LINE_RE = re.compile(
    r"版权所有|^.{0,12}?(?:版权与)?免责声明[:：]?$|copyright|©|all rights reserved|ICP备|ICP证|网站标识码|"
    r"网站识别码|违法和不良信息举报|公网安备|(?:指导|主办|承办)单位[:：].{0,60}?技术支持[:：]|"
    # a content platform's closing disclaimer (搜狐号, 网易号, 快传号 …: "…仅提供信息存储空间服务。")
    r"仅提供信息存储(?:空间)?服务[。.]?$",
    re.I,
)
MAX_FOOTER_LINE_CHARS = 200
# A line that opens the site's copyright/disclaimer statement ends the body at any length.
STATEMENT_START_RE = re.compile(
    r"^[【\[]?(?:本站|本网|网站)?(?:版权|著作权|免责|法律)(?:声明|说明)[】\]]?\s*[:：]"
)
TAIL_HEADING_CHARS = 20  # a tail marker is a short line
# Body text that must come before a tail marker for the cut to apply.
MIN_CHARS_BEFORE_TAIL = 80
# Province-level names (a poster's IP place; "（吉林）" closing a story names a place, not a writer).
PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 "  # noqa: SIM905
    "贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门".split()
)
# A web address, or a bare domain ("news.163.com"): never a name, and no text of an info line.
WEB_ADDRESS_RE = re.compile(
    r"(?:https?://|www\.)[\w.\-/:%?=&]*|[\w\-]+\.(?:com|cn|net|org|gov)\b[\w.\-/]*", re.I
)
# A lone "[大 中 小]"-type font switcher or a pure punctuation line.
NOISE_LINE_RE = re.compile(
    r"^[\s\[\]【】()（）|｜/·:：>»«<-]*(?:[大中小默认]\s*){1,4}[\s\]】)）]*$|^[\W_]{1,3}$|"
    # The label of a control, alone on its line: 【纠错】, 点赞 +1, 图集, 链接已复制, Play Video; a poster's IP place.
    r"^[【\[]?\s*(?:纠错|我要纠错|点赞|赞|关注|播报|编辑|[+＋]\s*关注|图集|举报|复制链接|链接已复制|返回列表|播报文章|语音播报文章，?释放双眼|"
    rf"(?:来自|IP属地[:：]?\s*)(?:{'|'.join(PROVINCES)}|海外|未知)(?:省|市|自治区)?|"
    r"Play Video|[+＋]\d{0,4})\s*[】\]]?$"
)

META_DATE = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "article:published_time",
    "og:article:published_time",
    "og:release_date",
    "datepublished",
    "publish_date",
    "publishtime",
    "pub_date",
    "pubtime",
    "dc.date.issued",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "weibo:article:create_at",
    "bytedance:published_time",
    "mediaid:publish_time",
)
META_SOURCE = ("contentsource", "source", "og:article:source", "article:source", "mediaid", "og:source")
META_AUTHOR = ("author", "article:author", "og:article:author", "dc.creator", "byl", "sailthru.author")
META_COLUMN = ("columnname", "article:section", "og:article:section", "column", "category")
META_SITE = ("sitename", "og:site_name", "application-name", "site_name")
META_KEYWORDS = ("keywords", "news_keywords", "article:tag")
META_DESCRIPTION = ("description", "og:description", "twitter:description")
JSONLD_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "blogposting",
        "webpage",
        "report",
        "analysisnewsarticle",
    }
)

# --- titles -----------------------------------------------------------------------------------------
# Separators between a headline and the site name in <title>.
TITLE_SEPARATOR_RE = re.compile(r"\s*(?:_+|\s-{1,2}\s|\s–\s|\s—\s|\|+|｜|--|—{1,2})\s*")
TITLE_SITE_HINT_RE = re.compile(
    r"(?:网|政府|人民政府|门户|频道|官网|新闻|网站|在线|日报|报|中心|平台|\.com|\.cn)$"
)
# Lines above the body searched for a headline when the markup names none.
FALLBACK_TITLE_LINES = 8
TITLE_BLOCK_CLASS_RE = re.compile(r"title|biaoti|headline|bt\b|tit\b|heading", re.I)

# --- visible label lines ----------------------------------------------------------------------------
_SEP = r"\s*[:：]\s*"
DATE_LABEL_RE = re.compile(
    r"(?:发布时间|发布日期|发表时间|发表日期|发文日期|发稿时间|刊发时间|信息时间|更新时间|时间|日期|发布于|来源时间|"
    r"Published|Date)" + r"\s*[:：]?\s*",
    re.I,
)
UPDATE_LABEL_RE = re.compile(r"(?:更新时间|更新日期|修改时间|修改日期|修订日期|最后更新|updated)", re.I)
# Dates of a document that are not its publication: written, signed, in force, expiring, generated.
WRITTEN_LABEL_RE = re.compile(
    r"成文日期|印发日期|发文日期|签发日期|实施日期|施行日期|生效日期|有效日期|失效日期|截止日期|有效期|废止|生成日期"
)
# The labels that open the items of a 政府信息公开 record.
INFO_ITEM_RE = re.compile(
    r"(?:索\s*引\s*号|主题分类|发文机关|发布机构|成文日期|发布日期|发文字号|文\s*号|来\s*源|信息来源)\s*[:：]"
)
SOURCE_LABEL_RE = re.compile(
    r"(?:信息来源|文章来源|新闻来源|稿件来源|内容来源|来源|出处|Source)" + _SEP, re.I
)
AUTHOR_LABEL_RE = re.compile(
    r"(?:作者|撰稿|撰文|文字|执笔人?|记者|通讯员|发布人|发布者|文|Author|By)" + _SEP, re.I
)
# The issuing body of an official document (政府信息公开 pages): its author when no person is named.
ISSUER_LABEL_RE = re.compile(r"(?:发文机关|发布机构|发文单位|发布单位)" + _SEP)
EDITOR_LABEL_RE = re.compile(r"(?:责任编辑|责编|编辑|审核|审校|校对|签发)" + _SEP)
# Label words that end a value ("来源：新华社 作者：张三 时间：…").
FIELD_STOP_RE = re.compile(
    r"\s*(?:[|｜]|(?:发布时间|发布日期|发表时间|时间|日期|来源|信息来源|文章来源|作者|记者|通讯员|责任编辑|编辑|"
    r"浏览次数|浏览量|阅读量|阅读|点击数|点击|访问量|字号|字体|打印|分享|审核|校对|摄影|供稿)\s*[:：]|"
    # any other short label after a space ("来源：上海奉贤 选稿：许文杰", "文：张三 图：李四"), a counter, a date
    r"\s[\u4e00-\u9fff]{1,4}\s*[:：]|【|\[|浏览次数|点击数|阅读数|发表于|(?:阅读|评论|点击|浏览)\s*[(（]|"
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月])"
)
COPYRIGHT_RE = re.compile(r"copyright|版权所有|©|\(c\)|&copy;|ICP|备案|主办单位|承办单位|技术支持", re.I)
FOOTER_SCAN_CHARS = 3000  # how much of a block is read for COPYRIGHT_RE when deciding it is a footer
# Lines that list other stories (a date at line end after a title-like text) in related/list blocks.
MAX_META_LINE_CHARS = 160
# How many text lines before the body start count as the article header.
HEADER_LINES = 25

# --- dates ------------------------------------------------------------------------------------------
DATE_TEXT_RE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:T|\s)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
# "7/5/2005 9:23:57 PM" (month first with AM/PM, as US-locale servers print it; day first otherwise).
DATE_SLASH_RE = re.compile(
    r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?![\d/])"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?)?"
)
DATE_COMPACT_RE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?:[T\s]?(\d{2}):?(\d{2})(?::?(\d{2}))?)?(?!\d)"
)
# Dates in article URLs: TRS t20231128_, /2023-11/17/, /20240509/, /2024/0510/, /2005-03-21/, doc-…
URL_DATE_RES = (
    re.compile(r"[/_]t((?:19|20)\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})/"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})/?(\d{2})/?(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})/t?(\d{2})[_/]"),
    re.compile(r"[/_-]((?:19|20)\d{2})(\d{2})(\d{2})[/_.-]"),
)
EARLIEST_YEAR = 1990
EVIDENCE_LINES = 300  # lines read for the year-first dates that decide how A/B/YYYY reads
TIMEZONE = "Asia/Shanghai"

# --- media ------------------------------------------------------------------------------------------
ATTACHMENT_EXTS = (
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "wps",
    "zip",
    "rar",
    "7z",
    "ofd",
    "ppt",
    "pptx",
    "et",
    "txt",
)
IMAGE_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-url", "src")
ICON_IMAGE_RE = re.compile(
    r"(?:^|/)(?:spacer|blank|pixel|dot|icon|logo|share|print|close|arrow)[\w-]*\.(?:gif|png)", re.I
)

# --- body html --------------------------------------------------------------------------------------
SAFE_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "img",
        "a",
        "blockquote",
        "pre",
        "sub",
        "sup",
        "figure",
        "figcaption",
    }
)
# Tags rendered as a paragraph in the cleaned html.
AS_PARAGRAPH_TAGS = frozenset(
    {"div", "section", "article", "main", "center", "header", "dd", "dt", "h1", "address"}
)
SAFE_ATTRS = {
    "a": ("href", "title"),
    "img": ("src", "alt"),
    "td": ("colspan", "rowspan"),
    "th": ("colspan", "rowspan"),
}

# --- not-an-article pages ---------------------------------------------------------------------------
CHALLENGE_RE = re.compile(
    r"enable javascript|请开启JavaScript|请启用JavaScript|浏览器安全检查|正在验证您的浏览器|checking your browser|"
    r"访问验证|安全验证|__jsl_clearance|_guard/|cf-browser-verification|acw_sc__v2",
    re.I,
)
MIN_BODY_CHARS = 10
