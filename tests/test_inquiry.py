"""Questions and greetings addressed to the bot get an answer, or go to a person who can answer."""

from __future__ import annotations

G2 = "网格2一家亲"


async def test_room_hours_greeting_and_events(harness) -> None:
    h = harness
    out = await h.say(G2, "wx_ma", "@小助手 健身房几点关门")
    assert len(out) == 1 and "健身房开放时间: 06:30-21:30" in out[0].text and out[0].mentions == ("wx_ma",)
    out = await h.say(G2, "wx_ma", "@小助手 书画室什么时候开放")
    assert "每周一闭馆" in out[0].text
    out = await h.say(G2, "wx_ma", "@小助手 你好")
    assert "您好,我是小助手" in out[0].text
    out = await h.say(G2, "wx_ma", "@小助手 下周有什么活动")
    assert "最近还没有发布活动" in out[0].text
    await h.say("私聊", "wx_li", "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 群 网格2")
    out = await h.say(G2, "wx_ma", "@小助手 下周有什么活动")
    assert "反诈讲座" in out[0].text and "报名" in out[0].text


async def test_a_question_the_bot_cannot_answer_goes_to_the_grid_worker(harness) -> None:
    h = harness
    out = await h.say(G2, "wx_ma", "@小助手 法律顾问哪天在社区坐班", name="马阿姨")
    by_chat = {d.to: d for d in out}
    assert "已转给赵网格员" in by_chat[G2].text
    assert "马阿姨" in by_chat["私聊:wx_zhao"].text and "法律顾问哪天在社区坐班" in by_chat["私聊:wx_zhao"].text
    # not addressed: nobody is bothered
    assert await h.say(G2, "wx_ma", "法律顾问哪天在社区坐班") == []
