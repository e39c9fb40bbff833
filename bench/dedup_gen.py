"""Synthetic labelled corpus for bench/dedup.py: gov-news stories, reposts with edits, hard negatives."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
SITES = [
    ("gov-cn", "中国政府网"), ("jl-gov", "吉林省人民政府"), ("cc-gov", "长春市人民政府"),
    ("jls-gov", "吉林市人民政府"), ("sp-gov", "四平市人民政府"), ("th-gov", "通化市人民政府"),
    ("ndrc", "国家发展改革委"), ("jl-edu", "吉林省教育厅"), ("jt-gov", "九台区人民政府"),
    ("cc-daily", "长春日报"),
]  # fmt: skip
REGIONS = ["吉林省", "长春市", "吉林市", "四平市", "通化市", "白山市", "松原市", "白城市", "延边州", "辽源市"]
PLACES = [
    "朝阳区", "南关区", "宽城区", "二道区", "绿园区", "双阳区", "九台区", "农安县", "榆树市", "德惠市", "船营区",
    "昌邑区", "龙潭区", "丰满区", "蛟河市", "桦甸市", "舒兰市", "磐石市", "永吉县", "梅河口市", "公主岭市",
    "集安市", "临江市", "珲春市", "敦化市", "洮南市", "大安市", "扶余市", "前郭县", "长岭县",
]  # fmt: skip
DEPTS = [
    "发展改革委", "工业和信息化局", "农业农村局", "商务局", "生态环境局", "住房城乡建设局", "交通运输局",
    "人力资源社会保障局", "卫生健康委", "应急管理局", "市场监管局", "教育局", "财政局", "水利局", "文旅局",
]  # fmt: skip
TOPICS = [
    "优化营商环境", "乡村振兴", "黑土地保护", "汽车产业链供应链", "冰雪旅游", "安全生产", "大气污染防治",
    "城市更新", "老旧小区改造", "粮食安全", "数字政府建设", "一网通办", "项目建设", "招商引资", "就业创业",
    "民生实事", "河湖长制", "森林防火", "消费提振", "科技创新", "人才引进", "养老服务", "义务教育",
    "医疗卫生服务", "食品安全", "人居环境整治", "供暖保障", "防汛抗旱", "文明城市创建", "生态环境保护",
]  # fmt: skip
NAMES = [
    "王喆", "李堃", "张赟", "刘玥", "陈珺", "赵海涛", "孙立新", "周晓梅", "吴建国", "郑光辉", "王丽娟", "李明哲",
    "杨志刚", "黄文博", "徐春雨", "马俊峰", "高雪松", "林雅琴", "何东升", "罗振宇", "宋佳琪", "谢长青",
]  # fmt: skip
LEADERS = ["省长", "副省长", "市长", "副市长", "县长", "区长", "秘书长"]
STOCK = [
    "深入学习贯彻习近平新时代中国特色社会主义思想", "坚持以人民为中心的发展思想", "全面贯彻落实党的二十大精神",
    "坚持稳中求进工作总基调", "完整准确全面贯彻新发展理念", "统筹发展和安全", "切实增强责任感和紧迫感",
    "以钉钉子精神抓好落实", "推动各项任务落细落实", "不断增强人民群众的获得感幸福感安全感",
]  # fmt: skip
SENTENCES = [
    "截至{mo}月底，{R}累计完成{T}项目{n}个，完成投资{x}亿元，同比增长{p}%。",
    "会议指出，{T}事关发展大局，各地各部门要{S}。",
    "会议强调，要{S}，聚焦群众急难愁盼，推动{T}工作取得实效。",
    "{L}{N}指出，要把{T}摆在更加突出的位置，{S}。",
    "在{P}，{n}家企业已完成技术改造，带动新增就业岗位{m}个，平均生产效率提高{p}%。",
    "{P}创新推出“{k}+{n}”工作模式，将服务事项由{m}项精简为{n}项，办理时限压缩{p}%。",
    "{D}相关负责人介绍，下一步将完善工作机制，建立健全问题清单、任务清单和责任清单。",
    "据统计，{R}共组织开展专项行动{n}次，排查各类隐患{m}处，已整改{k}处，整改率达{p}%。",
    "调研中，{N}一行先后来到{P}、{P2}，详细了解项目进展、存在困难和下步打算。",
    "{P}投入资金{x}亿元，实施重点工程{n}项，惠及群众{m}万人。",
    "目前，{P2}已建成标准化服务站点{n}个，覆盖率达到{p}%，群众满意度明显提升。",
    "围绕{T}，{D}制定出台三年行动方案，明确了{n}个方面{m}项重点任务。",
    "在{P}现场，{n}台大型机械同时运转，项目整体进度已完成{p}%。",
    "与会人员围绕{T}中的难点堵点问题进行了交流，提出了{n}条意见建议。",
    "{N}表示，将结合{P}实际细化工作举措，确保各项任务按期完成。",
    "{R}建立常态化调度机制，每{k}周召开一次推进会，实行台账管理、销号推进。",
    "通过开展集中整治，{P}累计查处违法违规行为{n}起，罚没款{y}万元。",
    "据了解，{P}{T}项目总投资{x}亿元，建成后预计年产值可达{m}亿元，带动就业{n}人。",
    "{D}积极争取上级资金{x}亿元，为{T}提供了有力保障。",
    "去年以来，{P2}累计培训各类人员{m}人次，为{T}提供了人才支撑。",
    "{mo}月份，{R}工业增加值同比增长{p}%，环比提高{y}个百分点。",
    "{P}组建{n}个专班包保服务重点企业，帮助解决实际问题{m}个。",
    "针对群众反映集中的问题，{D}建立接诉即办机制，平均办结时间缩短至{k}个工作日。",
    "与此同时，{R}加快推进数字化转型，{n}个政务服务事项实现掌上办。",
    "{P}依托资源优势发展特色产业，带动{m}户农户户均增收{n}元。",
    "检查组采取四不两直方式，随机抽查了{P}的{n}家单位，现场反馈问题{k}个。",
    "今年{R}计划实施{T}重点项目{n}个，目前已开工{m}个，开工率达到{p}%。",
    "为方便群众办事，{P2}在政务服务大厅增设办不成事反映窗口，累计解决问题{n}件。",
    "据测算，相关政策全面落地后，每年可为市场主体减轻负担约{x}亿元。",
    "“以前办一件事要跑好几个部门，现在一个窗口就能办完。”{P}居民{N}说。",
]  # fmt: skip
OPENINGS = [
    "{mo}月{d}日，{R}{T}工作推进会在{P}召开，{L}{N}出席会议并讲话。",
    "近日，{R}{D}组织召开{T}工作会议，研究部署下一阶段重点任务。",
    "{mo}月{d}日，{L}{N}带队深入{P}、{P2}等地，调研{T}工作推进情况。",
    "记者从{R}{D}获悉，今年以来，{R}坚持把{T}作为重要抓手，取得阶段性成效。",
]  # fmt: skip
CLOSINGS = [
    "下一步，{R}将继续推进{T}，{S}，为高质量发展作出新的更大贡献。",
    "会议要求，各地各部门要对照目标任务，倒排工期、挂图作战，确保完成全年目标任务。",
    "{D}表示，将以此为新的起点，{S}，推动{T}工作再上新台阶。",
]  # fmt: skip
ADDED = [
    "据了解，有关部门将持续跟踪相关工作进展，及时总结推广好的经验做法。",
    "记者了解到，相关工作已纳入年度重点任务清单，将定期通报进展情况。",
    "业内人士认为，这一系列举措有助于进一步激发市场活力，增强发展后劲。",
    "相关链接：近年来，各地在该领域持续发力，形成了一批可复制可推广的经验。",
]  # fmt: skip
CHROME = ["【打印本页】【关闭窗口】", "分享到：微信 微博 QQ空间", "字号：大 中 小", "扫一扫在手机打开当前页"]
EDITORS = ["张三", "李四", "王丹", "刘畅", "孙悦", "赵磊"]
# Short notices built from one boilerplate: only dates, places and times differ.
NOTICES = [
    ("关于{P}部分区域临时停水的通知",
     ["因供水管网维修改造，定于{mo}月{d}日{h}时至{h2}时对{P}{road}沿线区域暂停供水，请相关用户提前做好储水准备。",
      "给您带来的不便，敬请谅解。", "特此通知。"]),
    ("关于{yr}年{fest}放假安排的通知",
     ["各{R}直属单位：", "根据国务院办公厅通知精神，现将{yr}年{fest}放假安排通知如下：{mo}月{d}日至{d2}日放假调休，共{k}天。",
      "节假日期间，各单位要妥善安排好值班和安全保卫等工作。"]),
    ("关于召开{T}工作会议的通知",
     ["各有关单位：", "定于{mo}月{d}日{h}时在{R}政务中心{k}楼会议室召开{T}工作会议，请各单位主要负责同志准时参加。",
      "联系人：{N}，电话：0431-8{m}{n}。"]),
]  # fmt: skip
FESTIVALS = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
ROADS = ["人民大街", "解放大路", "自由大路", "亚泰大街", "卫星路", "南湖大路", "吉林大路", "长春大街"]


@dataclass
class Article:
    """One labelled article: the story it belongs to and how it was made."""

    url: str
    site: str
    title: str
    body_text: str
    story: str
    published_at: str | None
    source: str | None
    role: str  # original | repost
    kind: str  # news | template | followup | notice
    group: str | None = None  # hard-negative group (same template / boilerplate / quoted story)
    crawl_order: float = 0.0
    edits: list[str] = field(default_factory=list)


class Gen:
    """Deterministic text generator (one random.Random)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def slots(self) -> dict[str, object]:
        r = self.rng
        return {
            "R": r.choice(REGIONS), "T": r.choice(TOPICS), "D": r.choice(DEPTS), "L": r.choice(LEADERS),
            "N": r.choice(NAMES), "mo": r.randint(1, 12), "d": r.randint(1, 28), "S": r.choice(STOCK),
        }  # fmt: skip

    def fill(self, tpl: str, s: dict[str, object]) -> str:
        r = self.rng
        p, p2 = r.sample(PLACES, 2)
        d = int(s.get("d", 1))  # type: ignore[call-overload]
        return tpl.format(
            P=p, P2=p2, n=r.randint(3, 98), m=r.randint(100, 9800), k=r.randint(2, 9),
            x=f"{r.uniform(1.2, 480):.1f}", y=f"{r.uniform(0.3, 9.9):.1f}", p=f"{r.uniform(2, 98):.1f}",
            h=r.randint(7, 12), h2=r.randint(14, 20), road=r.choice(ROADS), fest=r.choice(FESTIVALS),
            yr=r.randint(2019, 2025), d2=min(d + r.randint(1, 6), 31), **s,
        )  # fmt: skip

    def paragraph(self, s: dict[str, object], lo: int = 70, hi: int = 200) -> str:
        para = ""
        target = self.rng.randint(lo, hi)
        while len(para) < target:
            para += self.fill(self.rng.choice(SENTENCES), s)
        return para

    def news(self, n_par: int | None = None) -> tuple[str, list[str]]:
        s = self.slots()
        n_par = n_par or self.rng.randint(3, 9)
        paras = [self.fill(self.rng.choice(OPENINGS), s) + self.paragraph(s, 20, 80)]
        paras += [self.paragraph(s) for _ in range(n_par - 2)]
        paras.append(self.fill(self.rng.choice(CLOSINGS), s))
        title = self.fill(self.rng.choice(["{R}{T}取得新进展", "{L}{N}到{P}调研{T}工作", "{R}部署{T}工作",
                                          "{P}多措并举推进{T}", "{R}{n}个{T}项目集中开工"]), s)  # fmt: skip
        return title, paras

    def template_family(self, size: int) -> list[tuple[str, list[str]]]:
        """Stories on one template: shared opening format and boilerplate paragraphs, different substance."""
        s = self.slots()
        shared = [self.paragraph(s, 100, 160), self.fill(self.rng.choice(CLOSINGS), s)]
        out = []
        for _ in range(size):
            n = self.rng.randint(10, 80)
            own = [self.paragraph(self.slots(), 100, 200) for _ in range(self.rng.randint(2, 4))]
            opening = (
                f"{self.rng.randint(1, 12)}月{self.rng.randint(1, 28)}日，{s['L']}{self.rng.choice(NAMES)}"
            )
            opening += f"主持召开{s['R']}政府第{n}次常务会议，研究{self.rng.choice(TOPICS)}等工作。"
            out.append((f"{s['R']}政府召开第{n}次常务会议", [opening, *own, *shared]))
        return out

    def followup(self, quoted: list[str]) -> tuple[str, list[str]]:
        """A new story quoting one paragraph of an earlier one."""
        title, paras = self.news(self.rng.randint(4, 7))
        longest = max(quoted[1:-1] or quoted, key=len)
        paras.insert(1, "此前，本网曾对有关情况进行报道。报道中提到：")
        paras.insert(2, longest)
        return "再推进：" + title, paras

    def notice_family(self, size: int) -> list[tuple[str, list[str]]]:
        """Short notices from one boilerplate with different dates, places and times."""
        title_tpl, lines = self.rng.choice(NOTICES)
        base = self.slots()
        out = []
        for _ in range(size):
            s = dict(base, mo=self.rng.randint(1, 12), d=self.rng.randint(1, 27))
            out.append((self.fill(title_tpl, s), [self.fill(line, s) for line in lines]))
        return out

    def repost(
        self, title: str, paras: list[str], origin_title: str
    ) -> tuple[str, list[str], str, list[str]]:
        """1–3 edits: source line, editor line, cut or added paragraph, page chrome, headline prefix."""
        r = self.rng
        paras = list(paras)
        ops = r.sample(["source", "editor", "cut", "add", "chrome", "prefix"], r.randint(1, 3))
        source = origin_title
        if "cut" in ops and len(paras) >= 4:  # a paragraph of the body, never the lead
            del paras[r.randint(1, len(paras) - 2)]
        elif "cut" in ops and paras[0].endswith("："):  # short notice: the salutation line
            del paras[0]
        if "add" in ops and len(paras) >= 3:
            paras.insert(r.randint(1, len(paras) - 1), r.choice(ADDED))
        if "source" in ops:
            line = f"来源：{origin_title if r.random() < 0.7 else r.choice(SITES)[1]}"
            if r.random() < 0.5:
                paras.insert(0, line)
            else:
                paras.append(line)
        if "editor" in ops:
            paras.append(f"（责任编辑：{r.choice(EDITORS)}）")
        if "chrome" in ops:
            paras.append(r.choice(CHROME))
        if "prefix" in ops:
            title = r.choice(["【转载】", "转发：", "【权威发布】", "吉林："]) + title
        return title, paras, source, ops


def labelled_corpus(seed: int = 7, n_news: int = 1500) -> list[Article]:
    """Originals with 0–5 reposts each, plus template, follow-up and boilerplate-notice hard negatives."""
    g = Gen(seed)
    r = g.rng
    base = datetime(2024, 3, 1, 8, 0, tzinfo=CHINA)
    out: list[Article] = []
    counter = [0]

    def add_story(title: str, paras: list[str], kind: str, group: str | None) -> Article:
        counter[0] += 1
        sid = f"s{counter[0]}"
        site, site_title = r.choice(SITES)
        t0 = base + timedelta(minutes=r.randint(0, 60 * 24 * 300))
        pub = None if r.random() < 0.03 else t0.isoformat()
        orig = Article(f"http://{site}.example/{sid}/0.html", site, title, "\n".join(paras), sid, pub,
                       r.choice([None, site_title]), "original", kind, group, t0.timestamp())  # fmt: skip
        out.append(orig)
        copies = [(title, paras)]
        n_reposts = r.choice([0, 0, 0, 1, 1, 2, 2, 3, 4, 5])
        others = [s for s in SITES if s[0] != site]
        for i, (rsite, _rtitle) in enumerate(r.sample(others, n_reposts), 1):
            ptitle, pparas = copies[r.randrange(len(copies))] if r.random() < 0.3 else copies[0]
            rtitle, rparas, source, ops = g.repost(ptitle, pparas, site_title)
            copies.append((rtitle, rparas))
            roll = r.random()
            if roll < 0.05:
                rpub = None
            elif roll < 0.10:
                rpub = pub  # same minute as the original: a tie
            else:
                rpub = (t0 + timedelta(minutes=r.randint(5, 60 * 72))).isoformat()
            crawl = t0.timestamp() + r.uniform(-3600, 3 * 86400)  # some reposts are crawled first
            out.append(Article(f"http://{rsite}.example/{sid}/{i}.html", rsite, rtitle, "\n".join(rparas), sid,
                               rpub, source, "repost", kind, group, crawl, ops))  # fmt: skip
        return orig

    for _ in range(n_news):
        add_story(*g.news(), "news", None)
    for fam in range(n_news // 8):
        for title, paras in g.template_family(r.randint(2, 3)):
            add_story(title, paras, "template", f"tpl{fam}")
    news = [a for a in out if a.role == "original" and a.kind == "news"]
    for fam, earlier in enumerate(r.sample(news, n_news // 8)):
        earlier.group = earlier.group or f"fu{fam}"
        add_story(*g.followup(earlier.body_text.split("\n")), "followup", earlier.group)
    for fam in range(n_news // 8):
        for title, paras in g.notice_family(r.randint(2, 4)):
            add_story(title, paras, "notice", f"nt{fam}")
    out.sort(key=lambda a: a.crawl_order)
    return out
