"""Deterministic generator of Chinese government-news text (titles, paragraphs, notices, edits)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from string import Formatter

# Person names; several use characters that are in GBK but not in GB2312 (镕 喆 堃 玥 珺 赟).
NAMES = [
    "王喆",
    "李堃",
    "朱镕",
    "张赟",
    "刘玥",
    "陈珺",
    "赵海涛",
    "孙立新",
    "周晓梅",
    "吴建国",
    "郑光辉",
    "王丽娟",
    "李明哲",
    "杨志刚",
    "黄文博",
    "徐春雨",
    "马俊峰",
    "高雪松",
    "林雅琴",
    "何东升",
    "罗振宇",
    "宋佳琪",
    "谢长青",
    "韩冬梅",
    "唐国强",
    "冯振华",
    "于洪波",
    "董向阳",
    "曹立军",
    "袁丽华",
    "邓子墨",
]
GBK_ONLY_NAMES = ["王喆", "李堃", "朱镕", "张赟", "刘玥", "陈珺"]
EDITORS = ["张三", "李四", "王丹", "刘畅", "孙悦", "赵磊", "陈晨", "周洋"]

TOPICS = [
    "优化营商环境",
    "乡村振兴",
    "黑土地保护",
    "汽车产业链供应链",
    "冰雪旅游",
    "安全生产",
    "秋冬季大气污染防治",
    "城市更新",
    "老旧小区改造",
    "粮食安全",
    "数字政府建设",
    "“一网通办”",
    "项目建设",
    "招商引资",
    "就业创业",
    "民生实事",
    "河湖长制",
    "森林草原防灭火",
    "消费提振",
    "科技创新",
    "人才引进",
    "养老服务",
    "义务教育均衡发展",
    "医疗卫生服务",
    "食品安全",
    "农村人居环境整治",
    "供暖保障",
    "防汛抗旱",
    "文明城市创建",
    "生态环境保护",
    "中小企业纾困",
    "外贸稳规模优结构",
    "新能源汽车推广",
    "现代农业产业园建设",
    "住房保障",
    "市场主体培育",
]
SEASONS = ["今冬明春", "秋冬季", "年末岁初", "第四季度", "“十四五”中期", "年度", "下半年"]
METRICS = [
    "地区生产总值",
    "规模以上工业增加值",
    "固定资产投资",
    "社会消费品零售总额",
    "实际利用外资",
    "外贸进出口总额",
    "一般公共预算收入",
    "城镇新增就业人数",
    "粮食总产量",
    "接待游客人次",
    "旅游总收入",
    "新登记市场主体数量",
]
VERBS_MEET = ["召开", "举行", "组织召开", "专题召开"]
MEETINGS = ["工作推进会议", "专题会议", "现场推进会", "调度会", "座谈会", "部署会议", "观摩会"]
ACTIONS = ["专项行动", "集中整治", "百日攻坚行动", "大排查大整治", "质量提升行动", "示范创建活动"]
ADJ = ["扎实", "有序", "稳步", "全面", "持续", "加快", "深入"]
GOALS = [
    "高质量发展",
    "全面振兴",
    "共同富裕",
    "现代化建设",
    "群众满意度提升",
    "发展环境改善",
    "治理能力提升",
]
MEDIA = {
    "national": ["新华社", "人民日报", "中国政府网", "央视新闻", "经济日报"],
    "province": ["吉林日报", "吉林省人民政府", "新华网吉林频道", "吉林广播电视台", "中国吉林网"],
    "city": ["长春日报", "长春晚报", "长春市人民政府", "长春广播电视台"],
    "county": ["九台区融媒体中心", "九台区人民政府办公室", "长春日报"],
    "department": ["长春市教育局", "市教育局办公室", "长春日报"],
    "jilinshi": ["江城日报", "吉林市人民政府", "吉林市广播电视台"],
}


@dataclass(frozen=True)
class Region:
    """Vocabulary of one administrative area used to fill templates."""

    name: str
    gov: str
    short: str
    places: tuple[str, ...]
    depts: tuple[str, ...]
    leaders: tuple[str, ...]
    extra_topics: tuple[str, ...] = ()
    media_key: str = "city"


REGIONS: dict[str, Region] = {
    "national": Region(
        "全国",
        "国务院",
        "国务院",
        ("北京", "河北", "吉林", "黑龙江", "浙江", "广东", "四川", "陕西", "新疆", "海南", "江苏", "山东"),
        (
            "国家发展改革委",
            "财政部",
            "农业农村部",
            "商务部",
            "工业和信息化部",
            "生态环境部",
            "交通运输部",
            "人力资源社会保障部",
            "国家卫生健康委",
            "应急管理部",
            "市场监管总局",
            "教育部",
        ),
        ("国务院总理", "国务院副总理", "国务委员"),
        ("稳外资", "东北全面振兴", "标准化建设", "政务服务效能提升"),
        "national",
    ),
    "province": Region(
        "吉林省",
        "省政府",
        "吉林",
        (
            "长春",
            "吉林市",
            "四平",
            "辽源",
            "通化",
            "白山",
            "松原",
            "白城",
            "延边州",
            "梅河口",
            "长白山保护开发区",
        ),
        (
            "省发展改革委",
            "省工业和信息化厅",
            "省农业农村厅",
            "省商务厅",
            "省生态环境厅",
            "省住房城乡建设厅",
            "省交通运输厅",
            "省人力资源社会保障厅",
            "省卫生健康委",
            "省应急管理厅",
            "省市场监管厅",
            "省教育厅",
        ),
        ("省委书记", "省长", "副省长", "省政府秘书长"),
        ("“一主六双”高质量发展", "千亿斤粮食产能建设", "长白山旅游", "吉林一号卫星应用"),
        "province",
    ),
    "city": Region(
        "长春市",
        "市政府",
        "长春",
        (
            "朝阳区",
            "南关区",
            "宽城区",
            "二道区",
            "绿园区",
            "双阳区",
            "九台区",
            "农安县",
            "榆树市",
            "德惠市",
            "公主岭市",
            "长春新区",
            "净月高新区",
            "汽开区",
            "经开区",
        ),
        (
            "市发改委",
            "市工信局",
            "市农业农村局",
            "市商务局",
            "市生态环境局",
            "市住建局",
            "市交通运输局",
            "市人社局",
            "市卫健委",
            "市应急管理局",
            "市市场监管局",
            "市教育局",
            "市科技局",
            "市文广旅局",
        ),
        ("市委书记", "市长", "副市长", "市政府秘书长"),
        ("汽车城建设", "“长春净月”冰雪节", "东北亚区域性中心城市建设", "国际汽车城"),
        "city",
    ),
    "county": Region(
        "九台区",
        "区政府",
        "九台",
        (
            "营城街道",
            "龙嘉街道",
            "西营城街道",
            "土们岭街道",
            "卡伦湖街道",
            "其塔木镇",
            "上河湾镇",
            "城子街街道",
            "莽卡满族乡",
            "胡家回族乡",
            "沐石河街道",
            "东湖街道",
        ),
        (
            "区发改局",
            "区农业农村局",
            "区住建局",
            "区应急管理局",
            "区市场监管局",
            "区教育局",
            "区卫健局",
            "区人社局",
            "区水利局",
            "区自然资源局",
        ),
        ("区委书记", "区长", "副区长"),
        ("庙香山景区提升", "空港经济开发区建设", "设施农业"),
        "county",
    ),
    "department": Region(
        "长春市",
        "市教育局",
        "长春",
        (
            "东北师大附中",
            "吉林省实验中学",
            "长春市第十一高中",
            "长春市第二实验中学",
            "朝阳区实验小学",
            "南关区东岭小学",
            "长春市第一五〇中学",
            "长春市养正高中",
            "长春外国语学校",
            "绿园区教师进修学校",
        ),
        (
            "基础教育处",
            "职业教育处",
            "学生资助管理中心",
            "教育督导室",
            "体育卫生艺术处",
            "教师工作处",
            "招生考试办公室",
            "安全稳定处",
        ),
        ("局长", "副局长", "总督学"),
        ("“双减”工作", "校园安全", "课后服务", "学前教育普及普惠", "中小学冰雪运动", "教师队伍建设"),
        "department",
    ),
    "jilinshi": Region(
        "吉林市",
        "市政府",
        "吉林",
        (
            "船营区",
            "昌邑区",
            "龙潭区",
            "丰满区",
            "蛟河市",
            "桦甸市",
            "舒兰市",
            "磐石市",
            "永吉县",
            "吉林高新区",
            "吉林经开区",
            "北大湖开发区",
        ),
        (
            "市发改委",
            "市工信局",
            "市农业农村局",
            "市商务局",
            "市生态环境局",
            "市住建局",
            "市文广旅局",
            "市应急局",
            "市人社局",
            "市卫健委",
        ),
        ("市委书记", "市长", "副市长"),
        ("雾凇冰雪节", "化工产业转型升级", "北大湖滑雪度假区", "松花江沿岸生态治理"),
        "jilinshi",
    ),
}

# Sentence templates. Slots: {R} region, {G} government, {P} place, {P2} place, {D} dept, {T} topic, {L} leader
# title, {N} person, {n}/{m}/{k} integers, {x}/{y} decimals, {pct} percent, {M} metric, {S} season, {A} action,
# {goal} goal, {adj} adverb.
OPENING = [
    "{date_cn}，{R}{T}{M2}在{P}{meet}，{L}{N}出席会议并讲话。",
    "近日，{D}组织召开{T}工作推进会，总结前一阶段工作成效，研究部署下一步重点任务。",
    "{date_cn}，{L}{N}带队深入{P}、{P2}等地，实地调研{T}工作推进情况。",
    "为深入贯彻落实党中央、国务院决策部署，{R}聚焦{T}，{adj}推进各项工作落地见效。",
    "记者从{D}获悉，今年以来，{R}坚持把{T}作为推动{goal}的重要抓手，取得了阶段性成效。",
    "{date_cn}上午，{G}新闻办举行新闻发布会，介绍{R}{T}有关情况。",
    "今年以来，{P}以{T}为切入点，{adj}推进重点任务，为{goal}注入新动能。",
    "{S}是{T}的关键时期。{D}提前谋划、精心组织，确保各项措施落实到位。",
]
BODY = [
    "截至{month}月底，全{Rs}累计完成{T}项目{n}个，完成投资{x}亿元，同比增长{pct}%。",
    "{M}实现{x}亿元，同比增长{pct}%，增速高于全国平均水平{y}个百分点。",
    "会议指出，{T}事关{goal}大局，各地各部门要提高政治站位，切实增强责任感和紧迫感。",
    "会议强调，要坚持问题导向，聚焦群众急难愁盼，推动{T}各项任务落细落实。",
    "{L}{N}指出，要把{T}摆在更加突出的位置，以钉钉子精神抓好落实，确保取得实实在在的成效。",
    "在{P}，{n}家企业已完成技术改造，带动新增就业岗位{m}个，企业平均生产效率提高{pct}%。",
    "{P}创新推出“{k}+{n}”工作模式，将服务事项由原来的{m}项精简为{n}项，办理时限压缩{pct}%。",
    "{D}相关负责人介绍，下一步将进一步完善工作机制，建立健全问题清单、任务清单和责任清单。",
    "据统计，{R}共组织开展{A}{n}次，排查各类问题隐患{m}处，已整改{k}处，整改率达{pct}%。",
    "调研中，{N}一行先后来到{P}、{P2}，详细了解项目进展、存在困难和下步打算。",
    "各级各部门要强化协调联动，形成工作合力，确保{T}工作{adj}推进、取得实效。",
    "要持续深化“放管服”改革，进一步压缩审批时限，让企业和群众办事更加便捷高效。",
    "{P}投入资金{x}亿元，实施重点工程{n}项，惠及群众{k}{n}万人次。",
    "目前，{P2}已建成标准化服务站点{n}个，覆盖率达到{pct}%，群众满意度明显提升。",
    "围绕{T}，{D}制定出台《{R}{T}三年行动方案》，明确了{n}个方面{m}项重点任务。",
    "在{P}现场，施工人员正在有序作业，{n}台大型机械同时运转，项目整体进度已完成{pct}%。",
    "与会人员围绕{T}中的难点堵点问题进行了深入交流，提出了{n}条具有针对性的意见建议。",
    "{N2}表示，将认真落实会议部署，结合{P}实际，细化工作举措，确保各项任务按期完成。",
    "{R}还建立了常态化调度机制，每{k}周召开一次推进会，实行台账管理、销号推进。",
    "通过开展{A}，{P}累计查处违法违规行为{n}起，罚没款{y}万元，形成了有力震慑。",
    "据了解，{P}{T}项目总投资{x}亿元，建成后预计年产值可达{m}亿元，带动就业{n}人。",
    "{D}积极对接国家和省有关部门，争取上级资金{x}亿元，为项目建设提供了有力保障。",
    "去年以来，{P2}累计培训各类人员{m}人次，为{T}提供了坚实的人才支撑。",
    "{month}月份，{R}{M}同比增长{pct}%，环比提高{y}个百分点，主要指标保持稳中有进。",
    "{P}坚持“一业一策”，组建{n}个专班包保服务重点企业，帮助解决实际问题{m}个。",
    "针对群众反映集中的问题，{D}建立了“接诉即办”机制，平均办结时间缩短至{k}个工作日。",
    "{P2}将{T}纳入年度绩效考核，对工作推进不力的单位进行通报，压实各方责任。",
    "与此同时，{R}加快推进数字化转型，{n}个政务服务事项实现“掌上办”“指尖办”。",
    "在资金保障方面，{R}统筹安排专项资金{x}亿元，重点支持{P}、{P2}等地的{n}个项目。",
    "{P}依托当地资源优势，发展特色产业，带动{m}户农户户均增收{n}元。",
    "检查组采取“四不两直”方式，随机抽查了{P}、{P2}的{n}家单位，现场反馈问题{k}个。",
    "{L}{N}要求，要守牢安全底线，压紧压实各方责任，坚决防范遏制重特大事故发生。",
    "{N}在讲话中强调，要抢抓政策机遇，加快推进重大项目建设，全力以赴稳增长、调结构、促改革。",
    "今年{R}计划实施{T}重点项目{m}个，目前已开工{n}个。",
    "{D}会同相关部门联合印发工作方案，明确时间表、路线图和责任人，确保责任落实到岗到人。",
    "为方便群众办事，{P2}在政务服务大厅增设“办不成事”反映窗口，累计帮助解决问题{n}件。",
    "{P}积极推广“企业吹哨、部门报到”工作机制，今年以来为企业解决融资、用工等难题{n}项。",
    "从{P}传来消息，当地{T}试点工作已进入验收阶段，{n}项考核指标全部达到预期目标。",
    "据测算，相关政策全面落地后，每年可为市场主体减轻负担约{x}亿元。",
    "{R}已连续{k}年将{T}列入民生实事，累计投入资金{x}亿元。",
]
QUOTES = [
    "“以前办一件事要跑好几个部门，现在在一个窗口就能办完，真是方便多了。”{P}居民{N2}说。",
    "“我们将以此为契机，进一步加大投入力度，力争早日见效。”{P}有关负责人{N2}告诉记者。",
    "“政策红利实实在在落到了企业身上，我们对今后的发展更有信心了。”一家企业负责人{N2}表示。",
    "“这次调研让我们进一步明确了工作方向。”{D}干部{N2}说，下一步将抓好问题整改。",
]
CLOSING = [
    "下一步，{R}将继续{adj}推进{T}，为{goal}作出新的更大贡献。",
    "{D}表示，将以此次会议为新的起点，进一步压实责任、创新举措，推动{T}工作再上新台阶。",
    "会议要求，各地各部门要对照目标任务，倒排工期、挂图作战，确保全面完成年度目标任务。",
    "下一步，{P}将持续巩固提升工作成果，健全长效机制，不断增强人民群众的获得感、幸福感、安全感。",
    "{R}将进一步加强督导检查，对发现的问题一抓到底，推动{T}各项工作取得更大成效。",
]
TITLES = [
    "{R}{meet}{T}{M2}",
    "{L}{N}到{P}调研{T}工作",
    "{R}{T}取得新进展",
    "{D}部署{S}{T}工作",
    "{P}：{T}跑出“加速度”",
    "前{month}个月{R}{M}同比增长{pct}%",
    "{R}出台{n}条措施推动{T}",
    "{D}开展{T}{A}",
    "{P}多措并举推进{T}",
    "{R}召开{S}{T}工作部署会",
    "{P}{T}工作经验在全{Rs}推广",
    "{R}{n}个{T}重点项目集中开工",
]
FOLLOWUP_TITLES = ["{R}{T}工作再推进", "{T}工作“回头看”：{P}整改落实见成效", "聚焦{T} {P}持续发力"]
FOLLOWUP_LEAD = [
    "此前，本网曾对{R}{T}有关情况进行报道。报道中提到：",
    "{month}月初，{D}对{T}工作作出部署。当时的报道指出：",
]
NOTICE_OPEN = "各县（市）区人民政府，各开发区管委会，{G}各委办局、各直属机构："
NOTICE_LEAD = (
    "为深入贯彻落实党中央、国务院和省委、省政府决策部署，进一步做好{T}工作，经{G}同意，现将有关事项通知如下："
)
NOTICE_ITEMS = [
    "{ord}、提高思想认识。各地各部门要充分认识{T}工作的重要意义，切实把思想和行动统一到决策部署上来，主要负责同志要亲自研究、亲自部署。",
    "{ord}、明确工作目标。到{year}年底，全{Rs}{T}重点任务完成率达到{pct}%以上，{n}个试点单位形成可复制可推广的经验做法。",
    "{ord}、突出工作重点。聚焦{P}、{P2}等重点区域，围绕{A}，建立问题、任务、责任“三张清单”，实行清单化管理、闭环式推进。",
    "{ord}、加强资金保障。{D}要统筹安排专项资金{x}亿元，对工作成效突出的地区给予奖励，资金使用情况接受审计监督。",
    "{ord}、强化督导检查。{G}督查室将会同{D}采取明查暗访等方式开展督导，对工作不力、进展缓慢的予以通报。",
    "{ord}、做好信息报送。各地各部门要于每月{k}日前将工作进展情况报送{D}，联系人：{N}，联系电话：0431-{phone}。",
    "{ord}、注重宣传引导。要充分利用报刊、广播电视和新媒体平台，宣传{T}工作中的好经验好做法，营造良好社会氛围。",
]
NOTICE_CLOSE = "特此通知。"
NOTICE_TITLES = [
    "关于做好{year}年{T}工作的通知",
    "关于开展{T}{A}的通知",
    "关于印发《{R}{T}实施方案》的通知",
    "关于进一步加强{T}工作的通知",
]
MEETING_TITLE = "{G}召开第{n}次常务会议"
MEETING_OPEN = "{date_cn}，{L}{N}主持召开{G}第{n}次常务会议，研究{T}等工作。"
ORD = "一二三四五六七八九十"
ADDED_PARAS = [
    "据了解，{R}有关部门将持续跟踪相关工作进展，及时总结推广好的经验做法。",
    "记者了解到，相关工作已纳入年度重点任务清单，将定期通报进展情况。",
    "业内人士认为，这一系列举措有助于进一步激发市场活力，增强发展后劲。",
]


@dataclass
class Content:
    """Generated article content before it is dressed in a site template."""

    title: str
    paragraphs: list[str]
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    keywords: list[str] = field(default_factory=list)
    n_images: int = 0
    attachments: list[str] = field(default_factory=list)


def _slots(rng: random.Random, region: Region, ts_date: tuple[int, int, int]) -> dict[str, object]:
    """Pick the article-level slot values (topic, place, dept, person, numbers)."""
    topics = TOPICS + list(region.extra_topics)
    y, mo, d = ts_date
    return {
        "R": region.name,
        "Rs": region.name[-1] if region.name != "全国" else "国",
        "G": region.gov,
        "T": rng.choice(topics),
        "D": rng.choice(region.depts),
        "L": rng.choice(region.leaders),
        "N": rng.choice(NAMES),
        "S": rng.choice(SEASONS),
        "A": rng.choice(ACTIONS),
        "goal": rng.choice(GOALS),
        "adj": rng.choice(ADJ),
        "meet": rng.choice(VERBS_MEET),
        "M2": rng.choice(MEETINGS),
        "M": rng.choice(METRICS),
        "month": max(1, mo - 1),
        "year": y,
        "date_cn": f"{mo}月{d}日",
        "_places": region.places,
    }


_FIELDS: dict[str, frozenset[str]] = {}


def _fields(tpl: str) -> frozenset[str]:
    """Names of the slots a template uses (cached)."""
    f = _FIELDS.get(tpl)
    if f is None:
        f = _FIELDS[tpl] = frozenset(name for _, name, _, _ in Formatter().parse(tpl) if name)
    return f


def _fill(tpl: str, rng: random.Random, s: dict[str, object]) -> str:
    """Fill one template with article slots plus fresh per-sentence numbers and places (drawn only if used)."""
    f = _fields(tpl)
    v: dict[str, object] = {}
    if "P" in f or "P2" in f:
        places = s["_places"]
        assert isinstance(places, tuple)
        v["P"], v["P2"] = rng.sample(places, 2)
    if "N2" in f:
        v["N2"] = rng.choice(NAMES)
    if "n" in f:
        v["n"] = rng.randint(3, 98)
    if "m" in f:
        v["m"] = rng.randint(100, 9800)
    if "k" in f:
        v["k"] = rng.randint(2, 9)
    if "x" in f:
        v["x"] = f"{rng.uniform(1.2, 480):.1f}"
    if "y" in f:
        v["y"] = f"{rng.uniform(0.3, 9.9):.1f}"
    if "pct" in f:
        v["pct"] = f"{rng.uniform(2, 98):.1f}"
    if "phone" in f:
        v["phone"] = rng.randint(81000000, 89999999)
    return tpl.format(**s, **v)


def _paragraphs(rng: random.Random, s: dict[str, object], n_par: int) -> list[str]:
    """Build n_par paragraphs of roughly 60–200 characters from sentence templates."""
    pool = rng.sample(BODY, len(BODY))
    out = []
    for i in range(n_par):
        if i == 0:
            first = [_fill(rng.choice(OPENING), rng, s)]
        elif i == n_par - 1:
            first = [_fill(rng.choice(CLOSING), rng, s)]
        elif rng.random() < 0.12:
            first = [_fill(rng.choice(QUOTES), rng, s)]
        else:
            first = []
        para = "".join(first)
        target = rng.randint(60, 200)
        while len(para) < target:
            if not pool:
                pool = rng.sample(BODY, len(BODY))
            sent = _fill(pool.pop(), rng, s)
            if para and len(para) + len(sent) > 200:
                break
            para += sent
        out.append(para)
    return out


@lru_cache(maxsize=4096)
def make_content(
    key: str,
    kind: str,
    region_key: str,
    date: tuple[int, int, int],
    level_media: str | None = None,
    quote: str | None = None,
    head_only: bool = False,
) -> Content:
    """Generate one story's content from its key (cached; do not mutate); head_only skips the paragraphs."""
    rng = random.Random(key)
    region = REGIONS[region_key]
    s = _slots(rng, region, date)
    n_par = rng.randint(4, 12)
    n = rng.randint(12, 80)
    if kind == "notice":
        title = _fill(rng.choice(NOTICE_TITLES), rng, s)
    elif kind == "meeting":
        title = MEETING_TITLE.format(**dict(s, n=n))
    elif kind == "followup":
        title = _fill(rng.choice(FOLLOWUP_TITLES), rng, s)
    else:
        title = _fill(rng.choice(TITLES), rng, s)
    meta = random.Random(key + ":meta")
    media = MEDIA[level_media or region.media_key]
    source = meta.choice(media) if meta.random() < 0.9 else None
    author = meta.choice(NAMES) if meta.random() < 0.4 else None
    n_images = meta.choice((0, 0, 1, 1, 2))
    attachments = []
    t = str(s["T"]).strip("“”")
    if kind == "notice" or meta.random() < 0.15:
        attachments.append(f"{s['R']}{t}实施方案")
        if meta.random() < 0.4:
            attachments.append(f"{t}工作任务分解表")
    paras: list[str] = []
    if head_only:
        pass
    elif kind == "notice":
        items = rng.sample(NOTICE_ITEMS, rng.randint(3, 6))
        paras = [_fill(NOTICE_OPEN, rng, s), _fill(NOTICE_LEAD, rng, s)]
        paras += [_fill(tpl.replace("{ord}", ORD[i]), rng, s) for i, tpl in enumerate(items)]
        paras.append(NOTICE_CLOSE)
    elif kind == "meeting":
        paras = [MEETING_OPEN.format(**dict(s, n=n))] + _paragraphs(rng, s, n_par)[1:]
    elif kind == "followup":
        paras = _paragraphs(rng, s, max(5, n_par))
        paras.insert(1, _fill(rng.choice(FOLLOWUP_LEAD), rng, s))
        paras.insert(2, quote or paras[2])
    else:
        paras = _paragraphs(rng, s, n_par)
    return Content(title, paras, source, author, None, [t, str(s["R"])], n_images, attachments)


def edit_repost(c: Content, key: str, origin_site_title: str, origin_short: str) -> Content:
    """Apply 2–4 realistic repost edits (headline prefix, source, cut/added paragraph, editor line)."""
    rng = random.Random(key)
    body = random.Random(key + ":body")
    paras = list(c.paragraphs)
    title = c.title
    ops = rng.sample(["prefix", "cut", "add", "editor", "source"], rng.randint(2, 4))
    if "prefix" in ops:
        title = rng.choice(["【转载】", f"{origin_short}：", ""]) + title
    if "cut" in ops and len(paras) > 4:
        del paras[body.randint(1, len(paras) - 2)]
    if "add" in ops and paras:
        paras.insert(body.randint(1, len(paras) - 1), body.choice(ADDED_PARAS).format(R="吉林省"))
    source = c.source or origin_site_title
    if "source" in ops:
        source = origin_site_title
    editor = rng.choice(EDITORS) if "editor" in ops or rng.random() < 0.5 else None
    return Content(
        title,
        paras,
        source,
        c.author if rng.random() < 0.5 else None,
        editor,
        c.keywords,
        c.n_images,
        list(c.attachments) if rng.random() < 0.5 else [],
    )
