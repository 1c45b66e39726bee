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


async def test_the_admin_assigns_and_urges_from_the_inbox_as_in_chat(web) -> None:
    h = web.h
    await h.say("网格2一家亲", "wx_ma", "@小助手 8栋门口占道经营 烧烤摊油烟很大", name="马阿姨")
    code = "D20261123-0001"
    li = await web.user("li")
    status, html = await li.get(f"/inbox/needs/{code}")
    assert status == 200 and f'action="/inbox/needs/{code}/assign"' in html and "孙网格员" in html
    status, html = await li.post(f"/inbox/needs/{code}/assign", {"to": "wx_sun", "note": "他熟悉这家"})
    assert status == 200 and "已派单给孙网格员" in html
    n = await need(h, code)
    assert (n.assignee, n.status) == ("wx_sun", N.Status.DISPATCHED)
    status, html = await li.post(f"/inbox/needs/{code}/urge", {"note": "中午前回话"})
    assert status == 200 and "已督办,已提醒孙网格员" in html
    texts = [(m.chat_id, m.text) for m in await outbox(h)]
    assert any(to == "wx_sun" and "【派单】" in t and "他熟悉这家" in t for to, t in texts)
    assert any(to == "wx_zhao" and "改派给孙网格员" in t for to, t in texts)
    assert any(to == "wx_sun" and "【督办】李书记督办" in t and "中午前回话" in t for to, t in texts)
    # the timeline keeps both, as the chat's 查 does
    status, html = await li.get(f"/inbox/needs/{code}")
    assert "派单给 孙网格员: 他熟悉这家" in html and "督办: 中午前回话" in html
    # a worker gets neither form, and the operation refuses them
    sun = await web.user("sun")
    status, html = await sun.get(f"/inbox/needs/{code}")
    assert status == 200 and f"/inbox/needs/{code}/assign" not in html and f"/inbox/needs/{code}/urge" not in html
    status, html = await sun.post(f"/inbox/needs/{code}/assign", {"to": "wx_wang"})
    assert "派单由社区管理员操作" in html and (await need(h, code)).assignee == "wx_sun"


async def test_the_api_assigns_with_the_same_operation(web) -> None:
    h = web.h
    await h.say("网格2一家亲", "wx_ma", "@小助手 8栋门口占道经营 烧烤摊油烟很大", name="马阿姨")
    code = "D20261123-0001"
    li = await web.user()
    status, body = await li.api("POST", "/api/token", json={"username": "li", "password": "demo"})
    assert status == 200
    li.token = body["token"]
    status, body = await li.api("POST", f"/api/needs/{code}/actions", json={"action": "assign", "to": "wx_sun"})
    assert status == 200 and body["ok"] and "已派单给孙网格员" in body["message"]
    status, body = await li.api("POST", f"/api/needs/{code}/actions", json={"action": "assign", "to": "nobody"})
    assert status == 400 and body["message"] == "请选择要派给谁。"
    status, spec = await li.api("GET", "/api/openapi.json")
    assert {"assign", "urge"} <= set(spec["components"]["schemas"]["Action"]["properties"]["action"]["enum"])
