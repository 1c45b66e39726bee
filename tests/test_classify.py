"""The text-understanding module: accuracy on labelled sets, buildings, numerals, CLI, tokens."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kernel.text import train
from kernel.text.classify import (
    CATEGORIES, INTENTS, Understanding, _normalize, classify, extract_building, hot_words, tokens,
)
from kernel.text.classify_cli import run
from kernel.text.evaluate import Report, evaluate, load
from kernel.text.linear import load as load_model
from kernel.text.numbers import cn_to_int
from kernel.text.urgent import detect as detect_urgent

DATA = Path(__file__).parent / "data"
HELDOUT = DATA / "heldout_messages.jsonl"
DEV = Path(__file__).resolve().parents[1].parent / "shared" / "dev_messages.jsonl"
# Written by another hand than the lexicons: blind_a before the classifier was read, each later
# one before the classifier was run on it. The model is trained on blind_a (with dev, heldout and
# the real-text training sets); blind_b, blind_c (all labels) and blind_d (emergencies and near
# misses) are held out from the model (test_shipped_model_is_the_training_scripts). Their first
# scores were the honest estimates; rules were improved after each was scored. The real-text
# blind set (tests/test_understanding.py) is the estimate on real residents' wording.
BLIND_A = DATA / "blind_a.jsonl"
BLIND_B = DATA / "blind_b.jsonl"
BLIND_C = DATA / "blind_c.jsonl"
BLIND_D = DATA / "blind_d.jsonl"
HELD_OUT = (BLIND_B, BLIND_C, BLIND_D)
REAL_BLIND_SETS = tuple(DATA / f"real_blind{n}.jsonl" for n in ("", "2", "3", "4"))


def _assert_targets(r: Report) -> None:
    """The acceptance targets on the sets the classifier was built with: intent >= 95 %, category
    >= 88 %, urgent recall 100 % with precision >= 85 %, building >= 95 %."""
    assert r.intent_accuracy >= 0.95, r
    assert r.category_accuracy >= 0.88, r
    assert r.urgent_recall == 1.0, r
    assert r.urgent_precision >= 0.85, r
    assert r.building_accuracy >= 0.95, r


def _labelled_files() -> list[Path]:
    return [HELDOUT, DEV] if DEV.exists() else [HELDOUT]


@pytest.mark.parametrize("path", [*_labelled_files(), BLIND_A], ids=lambda p: p.name)
def test_accuracy_thresholds(path: Path) -> None:
    _assert_targets(evaluate(path))


# Measured on the held-out sets with the logistic regression (floors a little under the figures:
# intent / category / urgent recall / urgent precision). The naive Bayes it replaced scored
# higher on blind_b/blind_c (96.5 / 97.8 % intent) and far lower on real text (85 % intent,
# 17 % of real chatter taken as requests): these sets were written for this project, and the
# model now also learns from real chat lines.
HELD_OUT_FLOORS = {
    "blind_b.jsonl": (0.89, 0.84, 1.0, 0.95),
    "blind_c.jsonl": (0.93, 0.89, 1.0, 0.95),
    "blind_d.jsonl": (0.95, 0.95, 1.0, 0.95),
}


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_sets_stay_above_their_floors(path: Path) -> None:
    intent, category, recall, precision = HELD_OUT_FLOORS[path.name]
    r = evaluate(path)
    assert r.intent_accuracy >= intent, r
    assert r.category_accuracy >= category, r
    assert r.urgent_recall >= recall, r
    assert r.urgent_precision >= precision, r
    assert r.building_accuracy >= 0.98, r


def test_blind_sets_are_large_and_cover_every_label() -> None:
    golds = [g for path in (BLIND_A, BLIND_B) for g in load(path)]
    assert len(load(BLIND_A)) >= 400 and len(load(BLIND_B)) >= 300
    assert {g.intent for g in golds} == set(INTENTS)
    demand_categories = [g.category for g in golds if g.intent == "demand"]
    assert all(demand_categories.count(c) >= 15 for c in CATEGORIES)
    assert sum(g.urgent for g in golds) >= 50
    assert all(g.category is None for g in golds if g.intent != "demand")
    assert all(g.intent == "demand" for g in golds if g.urgent)


def test_shipped_model_is_the_training_scripts() -> None:
    """linear_model.txt was fitted by `python -m kernel.text.train` from exactly the files it lists
    now (their fingerprint is in the model): it is not stale, and the held-out sets (blind_b,
    blind_c, blind_d, real_blind, real_blind2, real_blind3, real_blind4, real_extra) are not among its inputs nor
    inside them."""
    held_out = [*HELD_OUT, *REAL_BLIND_SETS, DATA / "real_extra.jsonl"]
    assert not {p.resolve() for p in held_out} & {p.resolve() for p in train.DEFAULT_FILES}
    if not DEV.exists():
        pytest.skip("../shared/dev_messages.jsonl is not here")
    assert load_model().inputs == train.fingerprint(train.DEFAULT_FILES)
    rows = train.read_labelled(train.DEFAULT_FILES)
    trained = {text for text, *_ in rows if len(text) >= 8}  # "+1", "收到" are everywhere
    for path in held_out:
        assert not trained & {g.text for g in load(path)}, path.name


def test_heldout_set_is_large_and_covers_every_label() -> None:
    golds = load(HELDOUT)
    assert len(golds) >= 250
    assert {g.intent for g in golds} == set(INTENTS)
    demand_categories = [g.category for g in golds if g.intent == "demand"]
    assert set(demand_categories) == set(CATEGORIES)
    assert all(demand_categories.count(c) >= 5 for c in CATEGORIES)
    assert all(g.category is None for g in golds if g.intent != "demand")
    assert all(g.intent == "demand" for g in golds if g.urgent)


@pytest.mark.parametrize(("text", "building"), [
    ("3栋电梯坏了", 3), ("5号楼门口", 5), ("十二幢楼道灯不亮", 12), ("五栋有人摔倒", 5),
    ("7栋602漏水", 7), ("8座的门禁", 8), ("第三栋", 3), ("１２栋", 12), ("5#楼", 5), ("7-2-602", 7),
    ("2号楼3单元的窗户", 2), ("6栋电梯停在8楼", 6), ("12栋15楼1502", 12),
    ("3单元的灯坏了", None), ("8楼有人吵", None), ("十八楼", None), ("602室", None),
    ("两栋楼之间的路灯", None), ("一栋楼的人都没水", None), ("自习室还有座位吗", None),
    ("3号楼梯间", None), ("14:00-16:00 乒乓球室", None), ("2026-11-24", None), ("B座", None),
])
def test_extract_building(text: str, building: int | None) -> None:
    assert extract_building(text) == building
    assert classify(text).building == building


@pytest.mark.parametrize(("text", "value"), [
    ("十二", 12), ("十", 10), ("二十", 20), ("两", 2), ("俩", 2), ("一百零五", 105), ("一百五", 150),
    ("两百五十", 250), ("二〇二六", 2026), ("零", 0), ("3十", 30), ("十2", 12), ("１２", 12), ("12", 12),
    ("一万零五百", 10500), (" 七 ", 7),
])
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "abc", "十x", "三点"])
def test_cn_to_int_rejects_non_numerals(text: str) -> None:
    with pytest.raises(ValueError):
        cn_to_int(text)


@pytest.mark.parametrize(("text", "intent", "urgent"), [
    ("燃气费怎么交", "demand", False),
    ("闻到煤气味", "demand", True),
    ("刚才的煤气味是隔壁在炖汤,虚惊一场", "chatter", False),
    ("电动车停在楼梯口,万一着火跑都跑不掉", "demand", False),
    ("已经修好了,谢谢", "chatter", False),
    ("电梯修好了又坏了", "demand", False),
    ("@小助手 3栋电梯困人了", "demand", True),
    ("乒乓球室要预约吗还是直接去", "inquiry", False),
    ("预约 钢琴房 周日 10点", "booking", False),
    ("+1", "signup", False),
    ("[图片]", "chatter", False),
    ("", "chatter", False),
])
def test_close_cases(text: str, intent: str, urgent: bool) -> None:
    u = classify(text)
    assert (u.intent, u.urgent) == (intent, urgent)
    assert (u.category is None) == (intent != "demand")


def test_understanding_json_shape() -> None:
    u = classify("5号楼水管爆了")
    assert isinstance(u, Understanding)
    assert u.as_json_dict("5号楼水管爆了") == {
        "text": "5号楼水管爆了", "intent": "demand", "category": "repair", "urgent": True, "building": 5}


def test_cli_plain_json_blank_and_bad_lines() -> None:
    lines = [
        "3栋电梯坏了",
        json.dumps({"text": "闻到煤气味,5号楼", "id": 7}, ensure_ascii=False),
        "",
        "{not json",
        "+1",
        '{"text": 5}',
    ]
    out = io.StringIO()
    assert run(io.StringIO("\n".join(lines) + "\n"), out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == len(lines)
    assert all(list(r) == ["text", "intent", "category", "urgent", "building"] for r in rows)
    assert rows[0] == {"text": "3栋电梯坏了", "intent": "demand", "category": "repair",
                       "urgent": False, "building": 3}
    assert rows[1]["text"] == "闻到煤气味,5号楼" and rows[1]["urgent"] and rows[1]["building"] == 5
    assert rows[2] == {"text": "", "intent": "chatter", "category": None, "urgent": False, "building": None}
    assert rows[3]["text"] == "{not json" and rows[3]["intent"] == "chatter"
    assert rows[4]["intent"] == "signup"
    assert rows[5]["text"] == '{"text": 5}'
    assert "\\u" not in out.getvalue()  # ensure_ascii=False


def test_tokens_drop_stop_words_punctuation_and_numbers() -> None:
    assert tokens("3栋的电梯又坏了!!😤") == ["电梯", "坏了"]
    # community words from the user dictionary stay whole
    assert "四点半课堂" in tokens("@小助手 四点半课堂什么时候开始?")
    assert "飞线充电" in tokens("车棚里飞线充电的太多了")
    assert tokens("[图片] 收到,谢谢") == []


def test_hot_words_count_each_word_once_per_text() -> None:
    texts = ["3栋电梯又坏了", "电梯坏了好几天", "5号楼电梯困人了", "电梯电梯电梯", "垃圾没人清运"]
    top = hot_words(texts, top=2)
    assert top == [("电梯", 4), ("坏了", 2)]
    assert all(len(word) >= 2 for word, _ in hot_words(texts))


# Emergencies in wordings of their own (none of these sentences is in a labelled set): each
# danger family, and the ways a danger word does not mean danger now.
@pytest.mark.parametrize("text", [
    "我闻到一股煤气的味道", "天然气管道破了 在漏", "燃气报警器一直响,屋里全是气味", "5栋3楼冒烟了!!",
    "电动车在充电时爆炸了", "有股焦味 到处找不到哪来的", "车库那辆车自燃了", "电表箱噼啪响还冒火星子",
    "电梯突然急停 我在里面出不去", "电梯把人卡在里面了", "救命 电梯不动了 我和孩子在里头",
    "暖气管崩开了 热水喷了一地", "楼上水管爆了 水往我家灌", "地下室水已经没过脚踝了",
    "老人家摔地上了 起不来", "有个大爷躺在路边一动不动", "我外婆晕过去了 叫不醒",
    "我爸出门到现在还没回来 电话也打不通", "妈妈不见了 帮忙找找", "一个老奶奶迷路了 说不清住哪",
    "独居的陈爷爷三天没开门了 敲门没动静", "井盖被人搬走了 路口那个", "下水道的盖子不见了 好大一个洞",
    "12楼有人往楼下扔东西", "楼上泼下来一盆开水", "小孩被锁车里了 太阳这么大", "有人站在楼顶边上要跳",
])
def test_urgent_families(text: str) -> None:
    u = classify(text)
    assert (u.intent, u.urgent) == ("demand", True), text


@pytest.mark.parametrize("text", [
    "电梯里有人抽烟 烟味好大", "物业晚上把电梯关了", "我妈的手机不见了", "车胎爆了", "燃气灶打不着火",
    "这个季节容易着火 大家注意", "119消防宣传日活动", "燃气公司来检查有没有漏气", "我家老人走失过一次 想要个定位手环",
    "老人摔倒了怎么办 有没有防摔的", "电梯困人应急演练", "我妈有心脏病 想找家庭医生", "我爸找不到工作",
    "喷水池不喷水了", "物业电话打不通", "去年我家着过火", "天然气费怎么交", "刚才冒烟是楼下在烧烤",
    "我家猫走丢了 橘色的", "昨天有人晕倒在广场 后来送医院了", "老人怕摔 能不能装扶手", "电梯按了没反应",
    "楼上天天往下倒洗拖把的水", "电梯困人的那位已经救出来了,没事了", "在工地摔伤了老板不赔,能起诉吗",
    "楼道里堆满纸箱 万一着火后果不堪设想", "井盖一踩就响 晚上吵得睡不着",
])
def test_not_urgent(text: str) -> None:
    assert not classify(text).urgent, text


@pytest.mark.parametrize(("text", "category"), [
    ("厨房一股液化气味", "safety"), ("楼上有人往下扔酒瓶", "safety"), ("井盖没了", "safety"),
    ("3栋电梯困人了", "repair"), ("水管爆了 家里淹了", "repair"),
    ("我奶奶在楼梯上摔倒了", "elderly"), ("老爷子走丢了 有点糊涂", "elderly"),
])
def test_urgent_category(text: str, category: str) -> None:
    assert detect_urgent(_normalize(text)) == category
    assert classify(text).category == category



@pytest.mark.parametrize("text", [
    "Bx 12:61 ABC", "hello world", "test", "asdfgh", "xyz 123", "'; DROP TABLE needs; --", "ᛅ朘四 蒥k 錔蒭菹",
    "蹱齖凨穴二7", "接单 D20261123-0001", "办结 x", "在的", "E9", "\u202e\u200b\ufeff",
])
def test_junk_is_chatter(text: str) -> None:
    """With no rule cue and little the model knows, a message is chatter, never a need."""
    u = classify(text)
    assert (u.intent, u.category, u.urgent, u.building) == ("chatter", None, False, None)


def test_third_blind_set_is_held_out_and_names_its_sources() -> None:
    """`real_blind3` (C sources): built and labelled before the classifier saw it, from pages no other
    file uses; never among the training files (they are every tests/data/*train*.jsonl)."""
    import re
    sources = set(re.findall(r"^\| (C\d+) \|", (DATA / "SOURCES.md").read_text(encoding="utf-8"), re.M))
    rows = [json.loads(line) for line in (DATA / "real_blind3.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 80 and all(row["src"] in sources for row in rows)
    assert all(path.name.count("train") for path in train.REAL_FILES)
    assert (DATA / "real_blind3.jsonl").resolve() not in {p.resolve() for p in train.DEFAULT_FILES}


def test_fourth_blind_set_is_held_out_and_names_its_sources() -> None:
    """`real_blind4` (B4 sources): built and labelled by hand before the classifier ever saw it, from
    pages no other file uses. This test reads its labels only (it never classifies a line): it is
    never among the training files, every line names a B4 source listed in SOURCES.md, and the
    labels keep the contract's shape."""
    import re
    path = DATA / "real_blind4.jsonl"
    sources = set(re.findall(r"^\| (B4-(?:\d+|HAND)) \|", (DATA / "SOURCES.md").read_text(encoding="utf-8"), re.M))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150 and all(row["src"] in sources for row in rows)
    assert path.resolve() not in {p.resolve() for p in train.DEFAULT_FILES}
    assert "train" not in path.name
    golds = load(path)
    assert {"demand", "inquiry", "chatter"} <= {g.intent for g in golds} <= set(INTENTS)
    assert all(g.category in CATEGORIES for g in golds if g.intent == "demand")
    assert all(g.category is None for g in golds if g.intent != "demand")
    assert all(g.intent == "demand" for g in golds if g.urgent)
    assert sum(g.urgent for g in golds) >= 15


def test_real_training_lines_name_their_sources() -> None:
    import re
    sources = set(re.findall(r"^\| ([A-Z]\d+) \|", (DATA / "SOURCES.md").read_text(encoding="utf-8"), re.M))
    for line in (DATA / "real_extra.jsonl").read_text(encoding="utf-8").splitlines():
        assert json.loads(line)["src"] in sources, line
