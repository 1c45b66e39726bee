"""The router: dedup, who may do what, bad input, silence where silence is right."""

from __future__ import annotations


from sqlalchemy import func, select

from kernel.message import IncomingMessage, MessageKind
from models.messages import ProcessedMessage
from models.outbox import OutboxMessage


def _msg(h, text: str, *, mid: str = "m1", sender: str = "wx_zhang", topic: str | None = "网格1一家亲",
         kind: MessageKind = MessageKind.TEXT, mention: bool = True) -> IncomingMessage:
    return IncomingMessage(id=mid, account=h.config.bot_id, channel="test", sender_id=sender, sender_name="张阿姨",
                           text=text, at=h.clock.now(), group_id=topic, group_topic=topic,
                           mentions_bot=mention, kind=kind)


async def _outbox_count(h) -> int:
    async with h.core.sessions() as s:
        return await s.scalar(select(func.count()).select_from(OutboxMessage))


async def test_same_message_id_twice_has_one_effect_and_one_reply(harness) -> None:
    h = harness
    first = await h.core.dispatcher.handle(_msg(h, "@小助手 帮助"))
    second = await h.core.dispatcher.handle(_msg(h, "@小助手 帮助"))
    assert first.route == "help.show_help"
    assert second.route == "router.duplicate"
    assert await _outbox_count(h) == 1
    async with h.core.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedMessage)) == 1


async def test_chatter_in_a_group_is_ignored_and_never_written(harness) -> None:
    h = harness
    assert await h.say("网格1一家亲", "wx_zhang", "大家早上好") == []
    assert await h.say("网格1一家亲", "wx_zhang", "👍👍👍") == []
    async with h.core.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedMessage)) == 0


async def test_bots_own_messages_are_ignored(harness) -> None:
    h = harness
    out = await h.core.dispatcher.handle(_msg(h, "@小助手 帮助", sender=h.config.bot_id))
    assert out.route is None and await _outbox_count(h) == 0


async def test_bad_input_gets_a_polite_answer_or_silence(harness) -> None:
    h = harness
    # empty, only a mention: a short help, with the sender @-mentioned
    out = await h.say("网格1一家亲", "wx_zhang", "@小助手")
    assert len(out) == 1 and out[0].mentions == ("wx_zhang",) and "可以帮您" in out[0].text
    # 20,000 characters addressed to the bot: asked to keep it short; unaddressed: silence
    out = await h.say("网格1一家亲", "wx_zhang", "@小助手 " + "电梯坏了" * 5000)
    assert len(out) == 1 and "内容有点长" in out[0].text and len(out[0].text) < 100
    assert await h.say("网格1一家亲", "wx_zhang", "电梯坏了" * 5000) == []
    # control and zero-width characters do not break a command
    out = await h.say("私聊", "wx_zhang", "帮\u200b助\x07")
    assert len(out) == 1 and "可以帮您" in out[0].text
    # an unknown group: silence unless addressed; addressed, a polite word
    assert await h.say("隔壁小区群", "wx_x", "今天停水吗") == []
    out = await h.say("隔壁小区群", "wx_x", "@小助手 在吗")
    assert len(out) == 1 and "还没有登记" in out[0].text and out[0].to == "隔壁小区群"


async def test_sticker_and_image_messages(harness) -> None:
    h = harness
    img = _msg(h, "", mid="img1", kind=MessageKind.IMAGE, topic=None, mention=False)
    out = await h.core.dispatcher.handle(img)
    assert out.route == "router.non_text"
    sticker = _msg(h, "[动画表情]", mid="st1", kind=MessageKind.STICKER)
    assert (await h.core.dispatcher.handle(sticker)).route is None


async def test_group_commit_processes_a_batch_with_one_reply_each(harness) -> None:
    import asyncio

    h = harness
    msgs = [_msg(h, "@小助手 帮助", mid=f"b{i}") for i in range(20)] + [_msg(h, "闲聊", mid="c1", mention=False)]
    routes = await asyncio.gather(*(h.core.dispatcher.submit(m) for m in msgs))
    assert routes[:20] == ["help.show_help"] * 20 and routes[20] is None
    assert await _outbox_count(h) == 20


async def test_a_faulty_matcher_costs_its_route_not_the_message(harness, caplog) -> None:
    import dataclasses

    h = harness
    d = h.core.dispatcher

    def boom(_view):  # type: ignore[no-untyped-def]
        raise KeyError("bug")
    for key, routes in d._tried.items():
        d._tried[key] = [dataclasses.replace(r, match=boom) if r.name == "needs.todo" else r for r in routes]
    out = await h.say("网格1一家亲", "wx_zhang", "@小助手 3栋楼道灯不亮了")
    assert any("已登记" in o.text for o in out)                  # the need is still filed
    assert "router.matcher_failed" in caplog.text and "needs.todo" in caplog.text
