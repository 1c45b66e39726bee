"""Privacy and security attacks from issue 11, as a resident, a worker in a group and an attacker would
try them: 树洞 anonymity, staff views in groups, scope in chat = scope on the web, masked echoes,
leaked invite codes and 绑定 guessing. SQLite, and PostgreSQL with GRIDBOT_TEST_PG=1."""

from __future__ import annotations

import io
import logging
import re

from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import select

from bot.logs import setup_logging
from kernel.identity import Person, Role
from models import access
from models.base import Base
from models.inbox import ViewLog
from models.messages import ProcessedMessage
from models.needs import Need
from models.outbox import OutboxMessage
from models.people import LIMITS
from texts.common import ANSWERED_PRIVATELY

G1, G3 = "网格1一家亲", "网格3一家亲"
CODE = re.compile(r"D\d{8}-\d{4}")
FOLLOW = re.compile(r"H-[A-Z0-9]{5}-[A-Z0-9]{5}")
INVITE = re.compile(r"邀请码: ([A-Z0-9]{6})")
DV = "树洞 他又喝醉了打我,我在12栋302,不敢回家"


def groups(out):  # type: ignore[no-untyped-def]
    return [d for d in out if not d.to.startswith("私聊:")]


def to(out, chat: str):  # type: ignore[no-untyped-def]
    return [d for d in out if d.to == chat]


async def dump(h) -> str:  # type: ignore[no-untyped-def]
    """Every row of every table, as text: what a copy of the database would show."""
    rows = []
    async with h.core.sessions() as s:
        for table in Base.metadata.sorted_tables:
            rows += [f"{table.name}: {tuple(r)}" for r in (await s.execute(select(table))).all()]
    return "\n".join(rows)


async def tree_hole(h, text: str = DV, sender: str = "wx_lin"):  # type: ignore[no-untyped-def]
    out = await h.say("私聊", sender, text, name="林同学")
    follow = FOLLOW.search(to(out, f"私聊:{sender}")[0].text).group(0)
    code = next(CODE.search(d.text).group(0) for d in out if d.to != f"私聊:{sender}" and CODE.search(d.text))
    return out, follow, code


# ---------------------------------------------------------------- 1. 树洞 anonymity

async def test_a_tree_hole_leaves_no_trace_in_tables_logs_or_metrics(harness) -> None:
    h = harness
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("gridbot").level)
    setup_logging(verbose=True, stream=stream)            # what `gridbot -v run` prints
    try:
        out, follow, code = await tree_hole(h)
        again = await h.say("私聊", "wx_lin", f"查 {follow}", name="林同学")
        await h.say("私聊", "wx_sun", f"办结 {code} 已联系妇联上门")
        rated = await h.say("私聊", "wx_lin", f"满意 {follow} 谢谢", name="林同学")
    finally:
        for hd in list(root.handlers):
            root.removeHandler(hd)
        for hd in saved[0]:
            root.addHandler(hd)
        root.setLevel(saved[1])
        logging.getLogger("gridbot").setLevel(saved[2])
    assert "匿名" in to(out, "私聊:wx_lin")[0].text and again and "已关闭" in rated[0].text
    database = await dump(h)
    for trace in ("wx_lin", "林同学"):
        assert trace not in database, [line for line in database.splitlines() if trace in line]
        assert trace not in stream.getvalue()
        assert trace not in generate_latest(REGISTRY).decode()
    # the follow-up code is stored once, on the need — never next to a chat, nor as the rating's words
    assert database.count(follow) == 1 and "谢谢" in database
    async with h.core.sessions() as s:
        digests = (await s.scalars(select(ProcessedMessage.message_id))).all()
        assert digests and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)   # no message ids
        assert not (await s.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == "wx_lin"))).all()


async def test_danger_words_make_a_tree_hole_urgent_and_reach_the_admin_privately(harness) -> None:
    h = harness
    out, follow, code = await tree_hole(h)
    assert groups(out) == []                                 # not even the staff group
    admin = to(out, "私聊:wx_li")
    assert len(admin) == 1 and "危险信号" in admin[0].text and "打我" in admin[0].text
    assert "110" in to(out, "私聊:wx_lin")[0].text           # the resident is told where to call
    async with h.core.sessions() as s:
        need = (await s.scalars(select(Need).where(Need.code == code))).one()
        assert need.urgent and need.resolve_due_at is not None
    # nobody acts: every 督办 level stays private, and the last one is the admin, not a group
    later = await h.advance("2h")
    assert later and groups(later) == []
    # a tree hole without danger stays an ordinary need, and "我不会想不开" is not danger
    calm, _, calm_code = await tree_hole(h, "树洞 我不会想不开的,就是楼上15栋太吵睡不着", sender="wx_qian")
    assert not to(calm, "私聊:wx_li")
    async with h.core.sessions() as s:
        assert not (await s.scalars(select(Need).where(Need.code == calm_code))).one().urgent


async def test_only_the_random_follow_up_code_reads_a_tree_hole(harness) -> None:
    h = harness
    _, follow, code = await tree_hole(h)
    _, follow2, code2 = await tree_hole(h, "树洞 14栋楼道堆满杂物", sender="wx_qian")
    assert follow != follow2 and int(code2[-4:]) == int(code[-4:]) + 1     # D codes count, H codes do not
    await h.say("私聊", "wx_sun", f"回复 {code} 已联系妇联和派出所")
    # guessing sequential codes, in private and in a group, reveals nothing — not even that it exists
    for chat in ("私聊", G1):
        for guess in (code, code2, code[:-1] + "9"):
            out = await h.say(chat, "wx_ma", f"查 {guess}")
            assert out and all("妇联" not in d.text and "打我" not in d.text and "杂物" not in d.text for d in out)
            assert "没有找到" in out[0].text
    # a follow-up code typed in a group is not looked up there
    out = await h.say(G1, "wx_ma", f"查 {follow}")
    assert "私聊" in out[0].text and "妇联" not in out[0].text
    # the holder of the follow-up code reads the progress privately
    out = await h.say("私聊", "wx_lin", f"查 {follow.lower().replace('-', '')}")
    assert "妇联" in out[0].text and code not in out[0].text


# ---------------------------------------------------------------- 2. groups never see private data

async def test_staff_views_typed_in_a_resident_group_answer_privately(harness) -> None:
    h = harness
    _, _, code = await tree_hole(h)
    resident = await h.say(G3, "wx_zhou", "@小助手 13栋电梯坏了,我电话13812345678", name="周桂兰")
    rcode = CODE.search(resident[0].text).group(0)
    for text in ("@小助手 待办", f"查 {code}", f"查 {rcode}", f"接单 {code}", f"回复 {rcode} 下午师傅上门"):
        out = await h.say(G3, "wx_sun", text)
        said = groups(out)
        assert said and all(d.to == G3 for d in said)
        for d in said:     # the group hears "answered privately" and, for 回复, the resident's own answer
            assert "打我" not in d.text and "302" not in d.text and "13812345678" not in d.text
            assert "周桂兰" not in d.text
        assert to(out, "私聊:wx_sun"), text
        assert any(ANSWERED_PRIVATELY in d.text for d in said), text
    private = "\n".join(d.text for d in h.channel.delivered if d.to == "私聊:wx_sun")
    assert "打我" in private                                   # the worker of that grid does see it


async def test_an_event_roster_typed_in_a_group_goes_privately_and_echoes_are_masked(harness) -> None:
    h = harness
    await h.say("私聊", "wx_wang", "发布活动 中秋做花灯 11月28日14:00 亲子活动室 名额12 截止 11月27日20:00")
    echo = await h.say(G1, "wx_ma", "接龙 张桂芳13700001111 2人", name="马大爷")
    assert echo and all("张桂芳" not in d.text and "13700001111" not in d.text for d in echo)
    listed = await h.say(G1, "wx_ma", "接龙\n1. 王芳 13700001111\n2. 李建国", name="马大爷")
    for d in groups(listed):
        assert "王芳" not in d.text and "李建国" not in d.text and "1370000" not in d.text
    out = await h.say(G1, "wx_wang", "名单 E101")
    assert [d.text for d in groups(out)] == [ANSWERED_PRIVATELY]
    assert "张桂芳" in to(out, "私聊:wx_wang")[0].text


# ---------------------------------------------------------------- chat scope = web scope

async def test_a_department_sees_in_chat_exactly_what_the_web_shows_it(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "@小助手 3栋楼道堆满杂物,电话13812345678", name="张阿姨")
    code = CODE.search(out[0].text).group(0)
    out = await h.say("私聊", "wx_cg", f"查 {code}")              # never handed to 城管科
    assert "没有找到" in out[0].text and "1381234" not in out[0].text and "杂物" not in out[0].text
    async with h.core.sessions() as s:
        need = (await s.scalars(select(Need).where(Need.code == code))).one()
        web_scope = access.Scope("department", department="城管科", contact_id="wx_cg")
        chat_person = Person("wx_cg", "城管科", Role.DEPARTMENT, department="城管科")
        assert access.may_see(web_scope, need) is access.may_see(chat_person, need) is False
    await h.say("私聊", "wx_wang", f"转派 {code} 城管科 请清理")
    out = await h.say("私聊", "wx_cg", f"查 {code}")
    assert "杂物" in out[0].text
    out = await h.say("私聊", "wx_sun", f"查 {code}")     # grid 3's worker (AB岗 of grid 2): not their grid
    assert "没有找到" in out[0].text
    async with h.core.sessions() as s:
        logged = (await s.scalars(select(ViewLog).where(ViewLog.action == "chat"))).all()
        assert [(v.username, v.need_code) for v in logged] == [("wx_cg", code)]   # refusals show nothing, log nothing


# ---------------------------------------------------------------- 3. invite codes

async def test_an_invite_code_posted_in_a_group_is_revoked_and_the_admin_told(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_li", "@小助手 邀请 网格员 2 刘网格员")      # typed in a group by mistake
    assert [d.text for d in groups(out)] == [ANSWERED_PRIVATELY]
    invite = INVITE.search(to(out, "私聊:wx_li")[0].text).group(1)
    out = await h.say(G1, "wx_liu", f"刘网格员你的邀请码是 {invite.lower()} 记得绑定", name="刘网格员")
    assert groups(out) and invite not in groups(out)[0].text and "作废" in groups(out)[0].text
    assert any(invite in d.text and "作废" in d.text for d in to(out, "私聊:wx_li"))
    out = await h.say("私聊", "wx_stranger", f"绑定 {invite}")
    assert "无效" in out[0].text
    out = await h.say("私聊", "wx_stranger", "待办")
    assert "只有" in out[0].text                                  # still a resident
    # a group message with a code-shaped word that is no live invite changes nothing and says nothing
    assert await h.say(G1, "wx_ma", "快递柜取件码 K7M3QX") == []


async def test_bind_guessing_is_throttled_per_person_and_for_everyone(harness) -> None:
    h = harness
    answered = 0
    for i in range(300):
        answered += len(await h.say("私聊", "wx_evil", f"绑定 {i:06d}".replace("0", "A").replace("1", "C")))
    assert answered <= LIMITS.person_failures + 1                # five "invalid", one polite "locked", then silence
    out = await h.say("私聊", "wx_li", "邀请 网格员 2 刘网格员")
    invite = INVITE.search(out[0].text).group(1)
    assert await h.say("私聊", "wx_evil", f"绑定 {invite}") == []   # locked: even a right guess is not tried
    # many accounts, one guess each: after the global limit binding pauses and the admin hears once
    told: list[str] = []
    for i in range(LIMITS.global_failures + 10):
        out = await h.say("私聊", f"wx_bot{i}", f"绑定 ZZZZ{i % 10}{i // 10}")
        told += [d.text for d in to(out, "私聊:wx_li")]
    assert len(told) == 1 and "暂停" in told[0]
    out = await h.say("私聊", "wx_liu", f"绑定 {invite}", name="刘网格员")
    assert "稍后" in out[0].text or "分钟" in out[0].text
    await h.advance(LIMITS.global_window + LIMITS.global_window)
    out = await h.say("私聊", "wx_liu", f"绑定 {invite}", name="刘网格员")
    assert "绑定成功" in out[0].text


async def test_the_staff_group_sees_staff_lists_but_never_a_tree_hole(harness) -> None:
    h = harness
    staff_group = h.config.staff_group
    out = await h.say(G3, "wx_zhou", "@小助手 13栋电梯坏了", name="周桂兰")
    code = CODE.search(out[0].text).group(0)
    out = await h.say(staff_group, "wx_sun", f"@小助手 查 {code}")      # staff only: answered there
    assert [d.to for d in out] == [staff_group] and "电梯" in out[0].text
    _, _, hole = await tree_hole(h)
    for text in ("@小助手 待办", f"@小助手 查 {hole}", f"@小助手 回复 {hole} 已联系妇联"):
        out = await h.say(staff_group, "wx_sun", text)
        assert [d.text for d in groups(out)] == [ANSWERED_PRIVATELY], text
        assert to(out, "私聊:wx_sun"), text
