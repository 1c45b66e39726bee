"""A resident's question handed to a person (居民咨询) is answered the same way from the inbox as with
「回复 <code> …」 in chat: one model operation (models/needs.reply), the same words to the resident."""

from __future__ import annotations

from models import needs as N
from tests.inbox_helpers import need, outbox, web  # noqa: F401  (web is a fixture)


async def test_a_question_handed_on_in_private_is_answered_from_the_inbox(web) -> None:
    h = web.h
    out = await h.say("私聊", "wx_zhang", "明天停水吗", name="张阿姨")
    told = next(d.text for d in out if d.to == "私聊:wx_zhang")
    code = next(w for w in told.replace("(", " ").replace(")", " ").split() if w.startswith("D2026"))
    assert "已转给李书记" in told
    li = await web.user("li")
    status, html = await li.get(f"/inbox/needs/{code}")
    assert status == 200 and "居民咨询" in html and "明天停水吗" in html
    status, html = await li.post(f"/inbox/needs/{code}/reply", {"text": "明天不停水"})
    assert status == 200 and "这条咨询已办结" in html
    sent = [m for m in await outbox(h) if "明天不停水" in m.text]
    assert [(m.chat_kind, m.chat_id) for m in sent] == [("private", "wx_zhang")]
    assert "您的咨询有答复】李书记: 明天不停水" in sent[0].text and "请您评价" not in sent[0].text
    answered = await need(h, code)
    assert answered.status == N.Status.RESOLVED and answered.resolution == "明天不停水"
    # the chat says the same of it as the page did, and it is off the 待办 list
    out = await h.say("私聊", "wx_li", "待办")
    todo = [d.text for d in out if d.to == "私聊:wx_li"]
    assert todo and code not in todo[0]


async def test_a_question_asked_in_the_group_is_answered_in_the_group_by_chat_command(web) -> None:
    h = web.h
    await h.say("网格1一家亲", "wx_zhang", "@小助手 楼下那个健身器材是谁管的", name="张阿姨")
    out = await h.say("私聊", "wx_wang", "回复 0001 归物业管")
    by_chat = {d.to: d.text for d in out}
    assert "已把答复转给居民" in by_chat["私聊:wx_wang"]
    assert "您的咨询有答复】王网格员: 归物业管" in by_chat["网格1一家亲"]
