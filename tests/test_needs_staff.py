"""Staff binding by invite (邀请 / 绑定), 待办 and 统计 from chat."""

from __future__ import annotations

import re


from models.people import RoleBinding
from tests.test_needs import G1, G2, code_of, need, to

INVITE = re.compile(r"绑定 ([A-Z0-9]{6})")


async def test_admin_invites_a_worker_who_binds_privately_and_can_then_work(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_li", "邀请 网格员 2 刘网格员")
    invite = INVITE.search(out[0].text).group(1)
    code = code_of((await h.say(G2, "wx_ma", "@小助手 8栋楼道灯坏了"))[0].text)
    # before binding, the newcomer is a resident
    out = await h.say("私聊", "wx_liu", f"接单 {code}")
    assert "只有网格员" in out[0].text
    out = await h.say(G2, "wx_liu", f"绑定 {invite}")             # posted in a group: the code is void now
    assert "作废" in out[0].text
    out = await h.say("私聊", "wx_liu", f"绑定 {invite}", name="刘网格员")
    assert "无效" in out[0].text
    out = await h.say(G2, "wx_liu", "绑定 K7M3QX")                 # not a live code: told to bind privately
    assert "私聊" in out[0].text
    out = await h.say("私聊", "wx_li", "邀请 网格员 2 刘网格员")
    invite = INVITE.search(out[0].text).group(1)
    out = await h.say("私聊", "wx_liu", f"绑定 {invite.lower()}", name="刘网格员")
    assert "绑定成功" in out[0].text and "网格2" in out[0].text
    async with h.core.sessions() as s:
        b = await s.get(RoleBinding, "wx_liu")
        assert (b.role, b.ref, b.name) == ("worker", "2", "刘网格员")
    # the directory was reloaded after the commit: the new worker may take a grid-2 need
    out = await h.say("私聊", "wx_liu", f"接单 {code}")
    assert "已接单" in out[0].text and (await need(h, code)).assignee == "wx_liu"
    # the code is one-time
    out = await h.say("私聊", "wx_qian", f"绑定 {invite}")
    assert "无效" in out[0].text


async def test_department_invite_and_refusals(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_wang", "邀请 科室 城管科")
    assert "只有社区管理员" in out[0].text
    out = await h.say("私聊", "wx_li", "邀请 科室 房管局")
    assert "城管科" in out[0].text and "绑定" not in out[0].text
    out = await h.say("私聊", "wx_li", "邀请 科室 城管")
    invite = INVITE.search(out[0].text).group(1)
    await h.say("私聊", "wx_cg2", f"绑定 {invite}")
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼下有人占道摆摊,没人管"))[0].text)
    await h.say("私聊", "wx_wang", f"转派 {code} 城管科")
    out = await h.say("私聊", "wx_cg2", f"签收 {code}")             # any bound member of the department
    assert "已签收" in out[0].text
    out = await h.say("私聊", "wx_li", "邀请")
    assert "邀请 网格员" in out[0].text
    assert await h.say(G1, "wx_zhang", "邀请大家来参加活动") == []    # chatter


async def test_todo_lists_the_most_pressing_clock_first(harness) -> None:
    h = harness
    normal = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了"))[0].text)
    await h.advance("1m")
    urgent = code_of((await h.say(G1, "wx_ma", "@小助手 2栋有人被困在电梯里了"))[0].text)
    other_grid = code_of((await h.say(G2, "wx_ma", "@小助手 8栋楼道灯坏了"))[0].text)
    out = await h.say("私聊", "wx_wang", "待办")
    text = out[0].text
    assert text.index(urgent) < text.index(normal) and other_grid not in text
    assert "剩5分钟" in text
    await h.advance("6m")
    assert "已超时" in (await h.say("私聊", "wx_wang", "待办"))[0].text
    out = await h.say("私聊", "wx_li", "待办")                     # the admin sees everything open
    assert all(c in out[0].text for c in (normal, urgent, other_grid))
    out = await h.say("私聊", "wx_cg", "待办")
    assert "没有待办" in out[0].text
    out = await h.say(G1, "wx_zhang", "@小助手 待办")
    assert "只有网格员" in out[0].text


async def test_todo_typed_in_a_resident_group_is_answered_privately(harness) -> None:
    """The list names residents and their problems: the group (~400 residents) must not read it."""
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了,电话13700001111"))[0].text)
    out = await h.say(G1, "wx_wang", "待办")
    in_group = [d for d in out if d.to == G1]
    assert len(in_group) == 1 and "私信" in in_group[0].text and code not in in_group[0].text
    assert in_group[0].mentions == ("wx_wang",)
    private = [d for d in out if d.to == "私聊:wx_wang"]
    assert len(private) == 1 and code in private[0].text and "楼道灯" in private[0].text


async def test_stats_from_chat(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了"))[0].text)
    await h.say("私聊", "wx_wang", f"接单 {code}")
    await h.say("私聊", "wx_wang", f"办结 {code} 已换灯泡")
    await h.say(G1, "wx_zhang", "满意")
    await h.say(G2, "wx_ma", "@小助手 8栋楼道灯坏了")
    out = await h.say("私聊", "wx_wang", "统计 本周")
    assert "网格1" in out[0].text and "受理 1 件" in out[0].text and "响应率 100%" in out[0].text
    assert "满意率 100%" in out[0].text
    out = await h.say("私聊", "wx_li", "统计")
    assert "全社区" in out[0].text and "受理 2 件" in out[0].text and "网格2" in out[0].text
    assert "解决率 50%" in out[0].text
    assert to(await h.say(G1, "wx_zhang", "统计一下人数"), G1) == []
