"""The things residents naturally say (issue 13 §3): ratings and progress questions in their own words,
greetings and thanks, the knowledge base, 热词. Replays tests/scenarios/speech_*.txt and checks their
"#>" lines (tests/harness.py); the unit tests below use phrasings the scenarios do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.config import load_config
from kernel.text import speech_acts as S
from kernel.text.hotwords import hot_words, topic_words
from kernel.text.knowledge import knowledge_base
from tests.harness import replay_script

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("speech_*.txt")) + \
    sorted((Path(__file__).parent / "scenarios").glob("speech2_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_speech_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("text, score", [
    ("很满意,师傅很专业", 1), ("修好了 谢谢啊", 1), ("不错不错👍", 1), ("辛苦了🙏🙏", 1), ("好评", 1),
    ("基本满意吧,就是来得慢", 2), ("还可以吧", 2), ("马马虎虎", 2), ("一般", 2),
    ("没修好", 3), ("还是不亮啊", 3), ("差评 根本没人来", 3), ("不是很满意", 3), ("又堵了", 3), ("👎", 3),
])
def test_ratings_in_words(text: str, score: int) -> None:
    assert S.rating_in_words(text) == score


@pytest.mark.parametrize("text", ["今天天气真好", "楼下新开了家面馆 味道还行", "周末去爬山了,风景不错"])
def test_everyday_praise_in_a_group_is_no_rating(text: str) -> None:
    """Without @, only 满意-words, complaints and thanks or praise of a service read as a rating, so
    everyday group talk does not make the bot look up open questions."""
    assert S.rating_in_words(text, addressed=False) is None


@pytest.mark.parametrize("text, score", [("谢谢网格员 问题已经解决了", 1), ("还行吧", 2), ("又漏了", 3), ("👍", 1)])
def test_ratings_in_a_group_without_at(text: str, score: int) -> None:
    assert S.rating_in_words(text, addressed=False) == score


@pytest.mark.parametrize("text", ["好的", "嗯嗯", "收到", "知道了"])
def test_a_bare_ack_is_no_rating(text: str) -> None:
    assert S.rating_in_words(text) is None and S.is_bare_ack(text)


@pytest.mark.parametrize("text", [
    "我上周报的路灯修了没", "我家漏水的事有人管没", "查一下我的报修", "我昨天反映的那个怎么样了", "你们处理了吗",
    "我投诉的噪音有进展吗", "我的工单呢",
])
def test_progress_questions(text: str) -> None:
    assert S.is_progress_question(text)


@pytest.mark.parametrize("text", [
    "修了没", "有人管没", "我上礼拜说的那个事呢", "弄好没有", "麻烦帮我催一下 谢谢", "报的那个咋样了", "有进展没",
    "这事有人管吗", "上次那个问题呢",
])
def test_asking_after_what_was_reported(text: str) -> None:
    """The thing reported left unsaid: a done-word or "anyone on it" asked about, nothing else named."""
    assert S.is_progress_question(text)


@pytest.mark.parametrize("text", [
    "3栋电梯坏了", "今天天气怎么样", "明天的活动怎么样", "你们吃了吗", "楼上又在装修了吵死了",
    "你在哪", "还得等多久", "居住证能办了吗", "电梯修好了吗 我等着下楼", "这个呢", "你呢",
])
def test_not_progress_questions(text: str) -> None:
    assert not S.is_progress_question(text)


@pytest.mark.parametrize("text, act", [
    ("您好!", S.GREETING), ("哈喽", S.GREETING), ("晚上好~", S.GREETING), ("谢谢您", S.THANKS), ("多谢小助手", S.THANKS),
    ("感谢感谢", S.THANKS), ("你是谁", S.ABOUT_BOT), ("是人工吗", S.ABOUT_BOT), ("你有什么功能", S.ABOUT_BOT),
    ("[语音][语音]", S.MEDIA), ("[动画表情]", S.MEDIA), ("😂", S.MEDIA),
    ("谢谢,电梯还是坏的", None), ("你好 3栋电梯坏了", None), ("[图片]5栋这里漏水", None),
])
def test_small_talk(text: str, act: str | None) -> None:
    assert S.small_talk(text) == act


def _kb():  # type: ignore[no-untyped-def]
    return knowledge_base(load_config(ROOT / "config.example.toml").knowledge)


@pytest.mark.parametrize("text, expected", [
    ("社区啥时候上班", "08:30"), ("中午社区有人吗", "08:30"), ("居委会几点下班?", "17:30"),
    ("交医保去哪", "医保"), ("医保缴费怎么弄", "医保"), ("想问一下居住证怎么办理", "居住证"),
    ("开居住证明要什么", "居住证明"), ("装修垃圾放哪", "装修垃圾"), ("社区警务室电话", "028-8512 3110"),
    ("服务中心在什么地方", "锦城路88号"),
])
def test_knowledge_answers_held_out_phrasings(text: str, expected: str) -> None:
    answer = _kb().answer(text)
    assert answer is not None and expected in answer


@pytest.mark.parametrize("text", [
    "楼道堆满装修垃圾没人清", "物业电话一直打不通", "3栋电梯坏了", "钢琴房几点开门", "今天天气怎么样",
    "医保卡丢在3栋门口了", "大家好",
])
def test_knowledge_stays_out_of_needs_and_chatter(text: str) -> None:
    assert _kb().answer(text) is None


def test_hot_words_are_topics_not_filler() -> None:
    texts = ["5栋电梯坏了好几天了", "电梯又坏了,有没有人管管", "路灯不能亮了,麻烦看一下", "什么时候来修下水道啊",
             "下水道堵了三天了", "楼上半夜噪音太大"]
    top = [w for w, _ in hot_words(texts, 10)]
    assert top[:2] == ["电梯", "下水道"]
    for filler in ("坏了", "几天", "好几天", "有没有", "不能", "一下", "什么", "什么时候", "三天", "麻烦", "管管"):
        assert filler not in top
    assert {"路灯", "噪音"} <= set(top)
    assert topic_words("电梯电梯电梯坏了") == ["电梯"]


async def test_progress_never_shows_a_code_the_resident_was_not_given(harness) -> None:  # type: ignore[no-untyped-def]
    """未诉先办: a worker registered what the resident said in the group without @; the resident was
    never told a code, so "我的诉求" shows the request and its status but no code."""
    from kernel.identity import Person, Role
    from models import needs as N
    from models.db import transaction

    h = harness
    assert await h.say("网格1一家亲", "wx_zhang", "3栋电梯又坏了,烦死了", name="张阿姨") == []
    async with transaction(h.core.sessions) as s:
        (sug,) = await N.list_suggestions(s)
        intake = await N.confirm_suggestion(s, h.clock.now(), h.config, sug.id,
                                            Person("wx_wang", "王网格员", Role.WORKER, 1))
    code = intake.need.code
    replies = await h.say("私聊", "wx_zhang", "我反映的电梯怎么样了", name="张阿姨")
    assert len(replies) == 1 and "3栋电梯又坏了" in replies[0].text and "王网格员" in replies[0].text
    assert code not in replies[0].text and "D2026" not in replies[0].text


@pytest.mark.parametrize("text", [
    "无犯罪证明去哪开", "社区能开具亲属关系证明吗", "端午活动几点开始啊", "周末有人打羽毛球吗,约起",
    "大家注意 最近诈骗电话多 别信", "我想上班 有适合宝妈的工作吗",
])
def test_knowledge_does_not_answer_what_it_does_not_know(text: str) -> None:
    """From the labelled message sets: questions near an FAQ topic that a person must answer."""
    assert _kb().answer(text) is None


@pytest.mark.parametrize("text, score", [("还行 下次快点", 2), ("还可以 就是慢", 2), ("不咋地 太慢了", 2),
                                         ("终于修好了 太慢了", 2), ("没修好 太慢了", 3), ("还是漏 等了好几天", 3)])
def test_a_remark_about_the_wait_without_at(text: str, score: int) -> None:
    """Right after "请您评价", no @: a so-so verdict with a remark is 基本满意; a complaint only about
    slowness is 基本满意 too (the thing is done), one about the result is 不满意."""
    assert S.rating_in_words(text, addressed=False) == score


@pytest.mark.parametrize("text, rest", [
    ("谢谢你们 辛苦了 但是水管还是在滴", "水管还是在滴"), ("修好了,不过灯又不亮了", "灯又不亮了"),
    ("辛苦了 就是来得有点慢", None), ("谢谢小助手", None), ("挺好 但是还是漏吗", None),
])
def test_thanks_with_something_still_wrong(text: str, rest: str | None) -> None:
    assert S.still_wrong(text) == rest
    if rest is not None:
        assert S.small_talk(text) is None


def test_thanks_with_something_still_wrong_is_no_thanks_for_the_classifier() -> None:
    from kernel.text.classify import classify
    assert classify("谢谢你们 辛苦了 但是水管还是在滴").speech_act != S.THANKS
    assert classify("谢谢你们 辛苦了").speech_act == S.THANKS


@pytest.mark.parametrize("text, act", [
    ("👍", S.ACK), ("@小助手 👌👌", S.ACK), ("🙏🙏", S.THANKS), ("👍🏻", S.ACK), ("好的", S.ACK), ("收到了", S.ACK),
    ("好嘞", S.ACK), ("嗯嗯好的", S.ACK), ("[强]", S.ACK), ("[抱拳]", S.THANKS),
    ("👍😡", S.MEDIA), ("[表情]", S.MEDIA), ("[强][图片]", S.MEDIA),
])
def test_gestures_and_nods(text: str, act: str) -> None:
    assert S.small_talk(text) == act
