"""Who wrote it: labelled lines, meta tags, JSON-LD and the body's own bylines, never the 来源 publisher.

Order, strongest first: a labelled line (作者：/记者：…), a byline in the body that names a role
("本报记者 张三", "（记者 李四）"), a bracketed name right after the date ("2004年7月16日 [ 黄宇 ]"), a
meta or JSON-LD author that looks like a person, the issuing body of an official document (发文机关),
the editor (责任编辑), and last a bare name closing or opening the body ("（王五）", a line "赵六" under
the headline). Values that look like an organisation, a place, a web address or a CMS account code are
not authors, and a photo credit ("张三 摄") is not a byline.
"""

from __future__ import annotations

import re

from . import selectors as S
from .labels import clean_author, labelled_value
from .meta import PageMeta, first_tag, jsonld_text, meta_provenance
from .tree import Line

# Common Chinese family names (single and compound); a bare name without a role word must start with one.
_SURNAMES_1 = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯"
    "纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪"
    "简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎"
    "甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝"
    "区郜海阎隆茅晁索年练平"
)
_SURNAMES_2 = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 "  # noqa: SIM905
    "宇文 司徒 轩辕 端木 独孤 南宫 西门 呼延 申屠 闻人 澹台 赫连".split()
)
_CJK_RANGE = r"\u4e00-\u9fff"
_CJK = rf"[{_CJK_RANGE}]"
_NAME_RE = re.compile(rf"{_CJK}{{2,4}}(?:[·•]{_CJK}{{1,8}})?")
# Endings of an organisation's name: always (日报, 中心 …), and single characters (报, 局, 会 …) that end an
# organisation's name unless the word is a short name opening with a family name (王秀会 is a person).
_ORG_SUFFIX_RE = re.compile(
    r"(?:日报|晚报|时报|网络|中心|客户端|平台|频道|在线|传媒|媒体|编辑部|办公室|新闻|发布|供稿|政府|委员会|"
    r"融媒|集团|公司|大学|学院|医院|协会|学会)$"
)
_ORG_CHAR_RE = re.compile(r"[报社网台局委厅办院会站闻讯刊团司府部处所队校馆厂店村镇县市省区科股室组]$")
# Provinces and large cities: "（吉林）", "（常州）" closing a story name a place, not a writer.
_PLACES = frozenset(S.PROVINCES) | frozenset(
    "全国 中央 国际 "  # noqa: SIM905
    # provincial capitals and other large cities
    "石家庄 太原 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 济南 郑州 武汉 长沙 广州 海口 成都 贵阳 昆明 西安 "
    "兰州 西宁 呼和浩特 南宁 拉萨 银川 乌鲁木齐 大连 青岛 宁波 厦门 深圳 苏州 无锡 常州 南通 徐州 扬州 温州 "
    "金华 台州 绍兴 嘉兴 湖州 佛山 东莞 珠海 汕头 惠州 泉州 漳州 烟台 潍坊 临沂 淄博 洛阳 周口 南阳 开封 "
    "宜昌 襄阳 岳阳 常德 株洲 衡阳 绵阳 宜宾 遵义 曲靖 大理 桂林 柳州 包头 鄂尔多斯 吉林 四平 延边 白城 松原 "
    "通化 白山 辽源 大庆 齐齐哈尔 牡丹江 鞍山 抚顺 锦州 唐山 保定 邯郸 秦皇岛 廊坊 雄安 石狮 晋江 义乌 昆山".split()
)
# Page furniture that starts with a family name ("关注" is not Mr Guan), and words that follow 记者 in prose.
_NOT_NAMES = frozenset(
    "关注 关闭 全文 原文 文章 高清 方便 相关 时间 查看 更多 返回 顶部 打印 收藏 评论 播报 "  # noqa: SIM905
    "获悉 了解 近日 日前 昨日 昨天 今天 今日 表示 采访 发现 注意 看到 来到 报道 手记 观察 调查 探访 实地 走访 "
    "连线 体验 直击 笔记 札记 一线 现场 视点 关闭窗口 关闭本页 查看原文 打印本页 左右 周末 解读 简介 时政 "
    "全文完 完 待续 未完 未完待续 全文 高考 中考 党建 时评 高质量 高新区 经开区 新区 石油 黄金 钢铁 水利 "
    "安全 平安 文明 文化 文旅 华为 方案 程序".split()
)
# Role words of a byline: the people after them wrote the story.
_ROLE_RE = re.compile(
    r"(?:特约记者|实习记者|见习记者|首席记者|全媒体记者|融媒体记者|记者|特约通讯员|通讯员|实习生|撰稿|执笔人?)"
)
# Credits that are not writing ("视频 李四", "编辑 王五"): their names are not the story's authors.
_OTHER_CREDIT_RE = re.compile(
    r"(?:视频|摄影|摄像|制图|统筹|审核|校对|美编|编辑|责编|监制|策划|设计|海报|剪辑|配音|翻译)"
)
_ANY_CREDIT_RE = re.compile(f"{_ROLE_RE.pattern}|{_OTHER_CREDIT_RE.pattern}")
# "本报记者 张三 本报通讯员 李四": the paper's own prefix before a role word
_OWN_PAPER_RE = re.compile(r"(?:本报|本台|本刊|本网)(?=(?:特约|实习|见习|首席)?(?:记者|通讯员))")
_CREDIT_RE = re.compile(r"[文图]\s*[/／|｜:：]\s*(?:[文图]\s*)?")
_NAME_SEP_RE = re.compile(r"\s*[、，,；;和及/]\s*|\s+")
# What may follow the names of a byline: "（姚峰 上海报道）", "张三 整理", "李四/文".
_BYLINE_TAIL_RE = re.compile(
    rf"(?:(?:\s+{_CJK}{{2,3}}|\s*)(?:报道|整理|供稿)|\s*发自{_CJK}{{2,6}}|\s*[/／]\s*[文图]|\s+[文图])\s*$"
)
# "新华社记者 张三 摄": who took the picture, not who wrote the story.
_PHOTO_CREDIT_RE = re.compile(r"(?:摄影?|拍摄)\s*[)）]?\s*$")
_PAREN_END_RE = re.compile(r"[（(]([^（）()]{2,40})[)）]\s*[。.]?\s*$")
_BRACKETED_RE = re.compile(r"\s*[\[【]\s*([^\[\]【】]{2,20}?)\s*[\]】]")
_PAREN_ANY_RE = re.compile(r"[（(]([^（）()]{2,40})[)）]")
_ADMIN_RE = re.compile(r"(?:admin(?:istrator)?|webmaster|editor|root|系统管理员|管理员|小编|网站编辑)", re.I)
_SENTENCE_RE = re.compile(r"[。？！?!；;…“”]")
_ORG_WORD_RE = re.compile(r"\b(?:team|inc|ltd|llc|corp|group|studio|media|news|network|press)\b", re.I)
_ACCOUNT_RE = re.compile(r"[A-Za-z_\-]*\d{3,}[\w\-]*")
MAX_BYLINE_CHARS = 48


def person_names(text: str, *, need_surname: bool) -> list[str] | None:
    """The names in "张三 李四" / "张三、李四", or None when any part is not a plausible name.

    need_surname: each name must open with a common family name and be 2-3 characters long (4 with a
    compound family name) — the test for names that no role word (记者, 作者) introduces.
    """
    parts = [p for p in _NAME_SEP_RE.split(text.strip()) if p]
    if not parts or len(parts) > 6:
        return None
    for p in parts:
        if not _NAME_RE.fullmatch(p) or p in _NOT_NAMES or p in _PLACES or _is_org(p):
            return None
        # Without a role word, also a 3-character word ending like an office (史志室, 文旅股) is not a name.
        if need_surname and (not _family_name_first(p) or _ORG_CHAR_RE.search(p)):
            return None
    return parts


def _family_name_first(word: str) -> bool:
    if word[:2] in _SURNAMES_2:
        return len(word) <= 4
    return word[0] in _SURNAMES_1 and len(word) <= 3


def _is_org(word: str) -> bool:
    if _ORG_SUFFIX_RE.search(word):
        return True
    return bool(_ORG_CHAR_RE.search(word)) and (len(word) >= 4 or not _family_name_first(word))


def _role_names(text: str) -> list[str] | None:
    """Names after writer roles: "记者 张三 通讯员 李四" → [张三, 李四]; None unless every part is a name.

    Names after other credits ("视频 李四", "编辑 王五", "摄影 赵六") are checked but not kept: they did
    not write the story. A name written right after its role word ("本报记者葛灵丹") must open with a
    family name, so that "记者手记" or "记者调查" is not read as a byline; one set apart by a space may be
    any name ("记者 格桑边觉").
    """
    text = _OWN_PAPER_RE.sub("", _BYLINE_TAIL_RE.sub("", text.strip()))
    roles = list(_ANY_CREDIT_RE.finditer(text))
    if not roles or not any(_ROLE_RE.fullmatch(r.group()) for r in roles):
        return None
    names: list[str] = []
    for i, role in enumerate(roles):
        seg = text[role.end() : roles[i + 1].start() if i + 1 < len(roles) else len(text)]
        glued = not seg[:1].isspace() and seg[:1] not in ":："
        seg = _BYLINE_TAIL_RE.sub("", seg.strip(" \t:：|｜/"))
        if not seg:
            continue
        found = person_names(seg, need_surname=glued)
        if found is None:
            return None
        if _ROLE_RE.fullmatch(role.group()):
            names.extend(found)
    return names or None


def _byline_line(text: str) -> list[str] | None:
    """A whole line that is a byline: "光明日报记者 王建宏 张文攀", "□ 本报记者 葛灵丹"."""
    text = text.strip(" \t□■◆●▲—-|｜")
    if len(text) > MAX_BYLINE_CHARS or _PHOTO_CREDIT_RE.search(text):
        return None
    credit = _CREDIT_RE.match(text)  # "文/记者 张三", "图｜李四"
    if credit:
        rest = text[credit.end() :]
        return _role_names(rest) if _ROLE_RE.search(rest) else person_names(rest, need_surname=True)
    m = _ROLE_RE.search(text)
    # At most a publisher's name before the role word ("新华网黑龙江频道 记者").
    if not m or m.start() > 12 or not re.fullmatch(rf"[{_CJK_RANGE}\s]*", text[: m.start()]):
        return None
    return _role_names(text)


def is_byline_line(text: str) -> bool:
    """True for a line that only names who wrote the story ("本报记者 张三 李四")."""
    return _byline_line(text) is not None


def body_byline(first: list[str], last: list[str]) -> tuple[list[str], str] | None:
    """Authors named by the body's own opening or closing lines, with how they were found."""
    for text in first:
        names = _byline_line(text)
        if names:
            return names, "body-byline"
        for found in _PAREN_ANY_RE.finditer(text[:80]):  # "据新华社拉萨电（记者 格桑边觉）记者近日…"
            inner = found.group(1).strip()
            names = _role_names(inner) if _ROLE_RE.match(inner) else None
            if names:
                return names, "body-byline"
    for text in reversed(last):
        names = _byline_line(text)
        if names:
            return names, "body-byline"
        closing = _PAREN_END_RE.search(text)
        if not closing:
            continue
        inner = closing.group(1).strip()
        if _PHOTO_CREDIT_RE.search(inner):
            continue
        names = _role_names(inner) if _ROLE_RE.search(inner) else None
        if names:
            return names, "body-byline"
        bare = _BYLINE_TAIL_RE.sub("", inner)
        names = person_names(bare, need_surname=True)
        if names and (bare != inner or _confident(names, two_chars=True)):
            return names, "body-byline:bare"
    # A line of names only, opening the body right under the headline.
    if first:
        names = person_names(first[0], need_surname=True)
        if names and _confident(names, two_chars=False):
            return names, "body-byline:bare"
    return None


def _confident(names: list[str], *, two_chars: bool) -> bool:
    """Bare names worth taking: several, or one of three characters (two-character words that open with a
    family name are as often nouns: 高考, 党建); a closing "（袁源）" may be two."""
    return len(names) > 1 or len(names[0]) >= 3 or two_chars


def info_line_names(lines: list[Line]) -> list[str] | None:
    """A bracketed name right after the date of an info line: "2004年7月16日08:19 [ 黄宇 ] 来源：…"."""
    for ln in lines:
        if len(ln.text) > S.MAX_META_LINE_CHARS:
            continue
        for date in S.DATE_TEXT_RE.finditer(ln.text):
            m = _BRACKETED_RE.match(ln.text, date.end())
            names = person_names(m.group(1), need_surname=True) if m else None
            if names:
                return names
    return None


def looks_like_person(value: str, *, site_name: str | None = None) -> bool:
    """False for organisations, web addresses, account codes and the site's own name."""
    flat = "".join(value.split())
    if (
        not flat
        or len(flat) > 40
        or S.WEB_ADDRESS_RE.search(flat)
        or _ACCOUNT_RE.fullmatch(flat)
        or _ORG_WORD_RE.search(value)
    ):
        return False
    if site_name and flat == "".join(site_name.split()):
        return False
    if _ADMIN_RE.fullmatch(flat):
        return False
    return not any(_is_org(p) for p in re.split(r"[、，,；;\s]+", value) if p)


_CJK_NAME_RE = re.compile(rf"{_CJK}{{2,}}")


def source_end(value: str) -> str:
    """A 来源 value cut at its natural end: a Chinese publisher's name is one unbroken run, so what
    follows a space ("鞭牛士 北京 举报": a place, a control label) is the page's chrome, not the name.
    Names in Latin script keep their spaces."""
    first, _, rest = value.partition(" ")
    if rest and _CJK_NAME_RE.search(first) and first[-1:] not in "-—《(（":
        return first
    return value


def choose_source(pm: PageMeta, near: list[Line]) -> tuple[str | None, str]:
    """The 来源 publisher: a labelled line first, then the meta tags."""
    source = labelled_value(near, S.SOURCE_LABEL_RE)
    if source:
        return source_end(source), "visible-line"
    hit = first_tag(pm, S.META_SOURCE)
    if hit:
        return hit[1], meta_provenance(hit[0])
    return None, ""


def choose_author(
    pm: PageMeta, near: list[Line], first: list[str], last: list[str], *, site_name: str | None
) -> tuple[str | None, str]:
    """The author and where it came from (see the module docstring for the order).

    near: label lines around the body; first, last: the body's opening lines (headline repeat left out)
    and its closing lines.
    """
    labelled = clean_author(labelled_value(near, S.AUTHOR_LABEL_RE))
    # "记者：今年的重点是什么？" opens an interview: a sentence is no name
    if labelled and not S.WEB_ADDRESS_RE.search(labelled) and not _SENTENCE_RE.search(labelled):
        names = person_names(labelled, need_surname=False)
        return (" ".join(names) if names else labelled), "visible-line"
    byline = body_byline(first, last)
    if byline and byline[1] == "body-byline":
        return " ".join(byline[0]), byline[1]
    names = info_line_names(near)
    if names:
        return " ".join(names), "visible-line"
    hit = first_tag(pm, S.META_AUTHOR)
    if hit and looks_like_person(hit[1], site_name=site_name):
        return hit[1], meta_provenance(hit[0])
    if pm.jsonld:
        value = jsonld_text(pm.jsonld.get("author"))
        if value and looks_like_person(value, site_name=site_name):
            return value, "jsonld"
    issuer = labelled_value(near, S.ISSUER_LABEL_RE)
    if issuer:
        return issuer, "visible-line:issuer"
    editor = clean_author(labelled_value(near, S.EDITOR_LABEL_RE))
    if editor:
        return editor, "visible-line:editor"
    # A bare name ("（袁源）" closing the body, "胡平" opening it) is a guess: only when nothing names anyone.
    if byline:
        return " ".join(byline[0]), byline[1]
    return None, ""
