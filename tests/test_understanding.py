"""Understanding real residents (issue 13 §1): the real-text blind set, speech acts, questions,
urgency as danger now, neighbour disputes, staff words, and talk that matches nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kernel.text.classify import INTENTS, classify
from kernel.text.evaluate import evaluate, load

DATA = Path(__file__).parent / "data"
REAL_BLIND = DATA / "real_blind.jsonl"
REAL_BLIND2 = DATA / "real_blind2.jsonl"
REAL_SETS = (REAL_BLIND, DATA / "real_train.jsonl", DATA / "chat_train.jsonl")


def test_real_blind_set_stays_above_the_measured_figures() -> None:
    """Lines shortened from public complaint letters and a public chat corpus, labelled by hand
    and never trained or tuned on. Floors are the measured figures less a small margin (the
    goals of issue 13 are higher: see the README)."""
    r = evaluate(REAL_BLIND)
    assert r.intent_accuracy >= 0.89, r
    assert r.category_accuracy >= 0.82, r
    assert r.urgent_recall >= 0.92, r
    assert r.urgent_precision >= 0.70, r
    assert r.building_accuracy >= 0.98, r
    assert r.chatter_actionable <= 0.05, r


def test_second_blind_set_stays_above_the_measured_figures() -> None:
    """`real_blind2`: built for issue 13 from pages no training file uses, labelled before the classifier
    saw it. Floors are the figures measured after retraining, less a small margin. Category 0.79 -> 0.78
    when the labelling convention (docs/labelling.md) relabelled training lines: 30 of 38 (78.9 %), one
    line fewer than before."""
    r = evaluate(REAL_BLIND2)
    assert r.intent_accuracy >= 0.90, r
    assert r.category_accuracy >= 0.78, r
    assert r.urgent_recall >= 0.85, r
    assert r.building_accuracy >= 0.98, r
    assert r.chatter_actionable <= 0.11, r


def test_second_blind_set_is_not_trained_on_and_names_its_sources() -> None:
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    sources = set(re.findall(r"^\| (B\d+) \|", text, re.M))
    blind2 = [json.loads(line) for line in REAL_BLIND2.read_text(encoding="utf-8").splitlines()]
    assert len(blind2) >= 80 and all(row["src"] in sources for row in blind2)
    trained = {g.text for p in REAL_SETS[1:] for g in load(p)}
    assert not {row["text"] for row in blind2} & trained
    from kernel.text import train
    assert REAL_BLIND2.resolve() not in {p.resolve() for p in train.DEFAULT_FILES}


def test_real_sets_name_their_sources() -> None:
    sources = set(re.findall(r"^\| (S\d+) \|", (DATA / "SOURCES.md").read_text(encoding="utf-8"), re.M))
    for path in REAL_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["src"] in sources | {"ISSUE", "HAND"}, row
            assert row["intent"] in INTENTS, row
            assert (row["category"] is not None) == (row["intent"] == "demand"), row
    blind = load(REAL_BLIND)
    assert len(blind) >= 100
    assert sum(g.intent == "chatter" for g in blind) >= 30 and sum(g.urgent for g in blind) >= 10
    assert not {g.text for g in blind} & {g.text for p in REAL_SETS[1:] for g in load(p)}


@pytest.mark.parametrize(("text", "score"), [
    ("满意满意 辛苦小李了🙏", 1), ("@小助手 非常满意", 1), ("还行吧 基本满意", 2), ("不太满意 还是漏", 3),
    ("不满意", 3),
])
def test_a_rating_in_words_is_a_rating_never_a_need(text: str, score: int) -> None:
    u = classify(text)
    assert (u.speech_act, u.rating, u.intent) == ("rating", score, "chatter")


@pytest.mark.parametrize("text", ["满意度调查什么时候发", "不满意的地方可以提吗"])
def test_talk_about_satisfaction_is_no_rating(text: str) -> None:
    assert classify(text).rating is None


@pytest.mark.parametrize(("text", "act"), [
    ("我前天说的下水道弄好没", "progress"), ("我反映的问题怎么样了", "progress"), ("我的诉求", "progress"),
    ("我的报修", "progress"), ("之前报修的路灯有人来处理吗", "progress"),
    ("谢谢小助手", "thanks"), ("辛苦了🙏", "thanks"), ("早上好", "greeting"), ("在吗", "greeting"),
    ("你能干啥", "about_bot"), ("你是机器人吗", "about_bot"), ("[语音]", "media"), ("[图片]", "media"),
])
def test_speech_acts(text: str, act: str) -> None:
    u = classify(text)
    assert u.speech_act == act
    assert u.intent not in ("demand", "booking", "signup")
    assert u.question == (act in ("progress", "about_bot"))


def test_a_greeting_before_a_need_is_the_need() -> None:
    u = classify("你好 3栋电梯坏了")
    assert (u.intent, u.category, u.speech_act) == ("demand", "repair", None)


@pytest.mark.parametrize("text", ["后天停电吗", "这个表在哪填", "我的报修", "怎么预约", "明天停水吗 几点开始",
                                  "居住证在哪里办"])
def test_a_question_is_not_a_need(text: str) -> None:
    u = classify(text)
    assert (u.intent, u.question) == ("inquiry", True)


@pytest.mark.parametrize("text", ["帮我统计一下这周的报修数量", "导出本月的诉求台账", "接单 D20261123-0001"])
def test_staff_words_are_never_needs(text: str) -> None:
    assert classify(text).intent not in ("demand", "booking", "signup")


@pytest.mark.parametrize(("text", "urgent"), [
    ("闻到煤气味", True),
    ("没有煤气味 是隔壁在炖汤", False),                       # negated
    ("厨房刚才起火 已经扑灭了 没人受伤", False),               # over
    ("化工厂那边每天都有一股刺鼻的味道 好几年了", False),       # chronic
    ("楼上经常往下扔烟头 之前把晾的衣服都烫坏了", False),       # habit, past
    ("万一着火了往哪边跑", False),                           # hypothetical
    ("我妈去年在小区摔了一跤 保险能报吗", False),              # an old fall, a claim
    ("刚才楼上掉下来一块瓷砖 差点砸到我", True),               # a near miss
    ("楼上扔下来一口砂锅 把车砸了 还好没砸到人", True),
    ("老公又喝醉了打我 我躲在卫生间 快来人", True),            # violence at home
    ("隔壁又在打孩子 孩子哭喊救命", True),
    ("有人占了我家车位 打电话也不接", False),                  # a car owner, not a lost person
    ("地下室进水了 越来越深 电箱快泡到了", True),
    ("小区门口有人打架 有人流血了", True),
    ("电梯老是困人 上个月困了两次 物业也不管", False),
    ("前天楼上扔下来一个花盆 幸好没人", False),
])
def test_urgency_is_danger_now(text: str, urgent: bool) -> None:
    u = classify(text)
    assert u.urgent is urgent
    if urgent:
        assert u.intent == "demand"


@pytest.mark.parametrize("text", [
    "楼上卫生间漏水 水滴到我家厨房 说了好几次不修",       # water from upstairs
    "楼下烧烤的油烟全飘我家 窗户都不敢开",               # smells
    "对门天天把车停在我家门口 出不去",                   # parking
    "谁家的狗天天在楼道叫 能不能管管",                   # pets
    "楼上半夜拖椅子 吱吱响 天天这样",                    # noise
    "早上五点多就有人在楼下跳广场舞 天天被吵醒",
])
def test_neighbour_disputes_are_recognised(text: str) -> None:
    u = classify(text)
    assert (u.intent, u.category) == ("demand", "neighbor")


@pytest.mark.parametrize("text", [
    "祝大家冬至快乐 身体健康", "今天降温了 大家多穿点", "炒菜时火开大一点 油烧热再下锅 特别香",
    "你喜欢什么食物", "我很无奈", "吃喝睡 还有旅行", "表扬一下保洁阿姨 楼道扫得真干净",
])
def test_talk_that_matches_nothing_is_chatter(text: str) -> None:
    assert classify(text).intent == "chatter"


# ---------------------------------------------------------------- who a need goes to (issue 13 §1, §3)

G1 = "网格1一家亲"


async def _need_of(h, text: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models.needs import Need
    code = re.search(r"D\d{8}-\d{4}", text)
    assert code, text
    async with h.core.sessions() as s:
        return (await s.scalars(select(Need).where(Need.code == code.group(0)))).one()


@pytest.mark.parametrize("text", ["@小助手 网格员不管事 楼道灯反映三次了没人理", "@小助手 王网格员态度差 问两句就不耐烦"])
async def test_a_complaint_about_the_grid_worker_goes_to_the_admin_not_to_the_worker(harness, text: str) -> None:
    h = harness   # grid 1's worker is 王网格员 (wx_wang); the admin is 李书记 (wx_li)
    out = await h.say(G1, "wx_zhang", text, name="张阿姨")
    assert [d.to for d in out] == [G1, "私聊:wx_li"], out   # the worker hears nothing of it
    n = await _need_of(h, out[0].text)
    assert (n.assignee, n.grid) == ("wx_li", None)          # not in the worker's grid list either
    assert "李书记" in out[0].text, out[0].text


async def test_thanking_the_grid_worker_is_no_complaint(harness) -> None:
    assert classify("网格员辛苦了 大半夜还在帮我们找人").intent == "chatter"
    assert classify("王网格员态度差").intent == "demand"


@pytest.mark.parametrize(("text", "grid", "worker"), [
    ("@小助手 三网格那边的路灯坏了", 3, "wx_sun"), ("@小助手 第3网格路灯不亮", 3, "wx_sun"),
    ("@小助手 网格2门口垃圾满了", 2, "wx_zhao"),
])
async def test_a_grid_named_in_any_spelling_is_that_grid(harness, text: str, grid: int, worker: str) -> None:
    h = harness   # said in grid 1's group, about another grid
    out = await h.say(G1, "wx_zhang", text)
    n = await _need_of(h, out[0].text)
    assert (n.grid, n.assignee) == (grid, worker)


async def test_a_grid_that_is_not_configured_is_asked_about_not_guessed(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "@小助手 八网格的路灯坏了")
    assert len(out) == 1 and out[0].to == G1
    assert "哪个网格" in out[0].text and "网格1" in out[0].text and "网格3" in out[0].text
    assert not re.search(r"D\d{8}-\d{4}", out[0].text)     # nothing filed on a guess
    # a building that belongs to a grid settles it whatever grid is named
    out = await h.say(G1, "wx_zhang", "@小助手 八网格 12栋路灯坏了")
    assert (await _need_of(h, out[0].text)).grid == 3
