"""Content fingerprints: exact hash, MinHash signatures and the near-duplicate rules on labelled pairs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.dedup_gen import Gen  # noqa: E402
from crawler import signatures as dedup
from storage import stories

ARTICLE = (
    "11月28日，长春市优化营商环境工作推进会在朝阳区召开，副市长王喆出席会议并讲话。\n"
    "截至10月底，长春市累计完成优化营商环境项目38个，完成投资126.5亿元，同比增长12.3%。"
    "会议指出，优化营商环境事关发展大局，各地各部门要切实增强责任感和紧迫感。\n"
    "在宽城区，56家企业已完成技术改造，带动新增就业岗位2310个，平均生产效率提高18.6%。"
    "宽城区创新推出“3+12”工作模式，将服务事项由146项精简为12项，办理时限压缩60.5%。\n"
    "据统计，长春市共组织开展专项行动26次，排查各类隐患913处，已整改887处，整改率达97.2%。"
    "调研中，王喆一行先后来到绿园区、双阳区，详细了解项目进展、存在困难和下步打算。\n"
    "下一步，长春市将继续推进优化营商环境，以钉钉子精神抓好落实，为高质量发展作出新的更大贡献。"
)


def sim(a: str, b: str) -> float:
    sa, sb = dedup.signature(a), dedup.signature(b)
    assert sa is not None and sb is not None
    return stories.similarity(stories.parse_signature(sa), stories.parse_signature(sb))


def test_content_hash_ignores_whitespace_punctuation_and_width() -> None:
    a = dedup.content_hash("长春市召开会议，部署工作。\n下一步 将继续推进。")
    b = dedup.content_hash("长春市召开会议,部署工作.  下一步将继续推进!")
    assert a == b
    assert dedup.content_hash("ＡＢＣ１２３") == dedup.content_hash("ABC123")
    assert dedup.content_hash("") is None
    assert dedup.content_hash("，。\n") is None


def test_signature_layout_and_determinism() -> None:
    sig = dedup.signature(ARTICLE)
    assert sig is not None and sig == dedup.signature(ARTICLE)
    parsed = stories.parse_signature(sig)
    assert len(parsed.values) == dedup.PERMUTATIONS
    assert parsed.lines is not None and len(parsed.lines) == 5  # short enough to carry its lines
    long_sig = dedup.signature(ARTICLE * 3)
    assert long_sig is not None and stories.parse_signature(long_sig).lines is None
    assert dedup.signature("通知") is None


def test_signature_batch_equals_single() -> None:
    g = Gen(3)
    texts = ["\n".join(g.news()[1]) for _ in range(30)] + ["", "短", ARTICLE]
    assert dedup.signature_batch(texts) == [dedup.signature(t) for t in texts]


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("长春市政府召开会议工作推进，。 \n123abc")), max_size=300))
def test_signature_never_fails(text: str) -> None:
    sig = dedup.signature(text)
    if sig is not None:
        assert stories.similarity(stories.parse_signature(sig), stories.parse_signature(sig)) > 0


def test_jaccard_estimate_tracks_exact_jaccard() -> None:
    g = Gen(5)
    base = g.news(8)[1]
    for cut in range(1, 5):
        a, b = "\n".join(base), "\n".join(base[cut:])
        sa = set(dedup._shingle_hashes(dedup.normalize_text(a)).tolist())
        sb = set(dedup._shingle_hashes(dedup.normalize_text(b)).tolist())
        exact = len(sa & sb) / len(sa | sb)
        est = dedup.jaccard_estimate(dedup.signature(a) or b"", dedup.signature(b) or b"")
        assert abs(est - exact) < 0.15


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: ["来源：吉林省人民政府", *p],
        lambda p: [*p, "（责任编辑：张三）"],
        lambda p: p[:2] + p[3:],  # a paragraph cut
        lambda p: p[:2] + ["记者了解到，相关工作已纳入年度重点任务清单，将定期通报进展情况。"] + p[2:],
        lambda p: [*p, "【打印本页】【关闭窗口】", "分享到：微信 微博"],
        lambda p: ["来源：新华社", *p[:-1], "（责任编辑：李四）"],
    ],
)
def test_repost_edits_stay_near_duplicates(edit) -> None:  # noqa: ANN001
    paras = ARTICLE.split("\n")
    assert sim(ARTICLE, "\n".join(edit(paras))) > 0


def test_page_chrome_is_not_part_of_the_signature() -> None:
    # the same extracted body is the same signature whatever the page around it looked like
    assert dedup.signature(ARTICLE) == dedup.signature("\n\n" + ARTICLE.replace("\n", "\n\n") + "\n")


def test_hard_negatives_stay_apart() -> None:
    g = Gen(11)
    family = g.template_family(3)
    for (_, a), (_, b) in itertools.combinations(family, 2):
        assert sim("\n".join(a), "\n".join(b)) == 0, "same template, different stories"
    _, earlier = g.news(6)
    _, follow = g.followup(earlier)
    assert sim("\n".join(earlier), "\n".join(follow)) == 0, "follow-up quoting a paragraph"
    notices = g.notice_family(4)
    for (_, a), (_, b) in itertools.combinations(notices, 2):
        assert sim("\n".join(a), "\n".join(b)) == 0, "notices from one boilerplate"


def test_short_notice_rule() -> None:
    notice = "各有关单位：\n定于3月19日9时在市政务中心4楼会议室召开消费提振工作会议，请各单位主要负责同志准时参加。\n特此通知。"
    other = notice.replace("3月19日9时", "4月2日14时").replace("消费提振", "安全生产")
    assert sim(notice, notice + "\n来源：长春市人民政府\n（责任编辑：王丹）") > 0
    assert sim(notice, notice.split("\n", 1)[1]) > 0  # salutation dropped by the reposting site
    assert sim(notice, other) == 0
    assert sim(notice, other + "\n来源：长春市人民政府") == 0
