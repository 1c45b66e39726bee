"""Attack round (issue 13) on the anonymous path: a resident who asks for anonymity in their own words
(not the exact 「树洞」 command) is never filed under their name, and nothing about a 树洞 reaches any
group while it waits for days. SQLite, and PostgreSQL with GRIDBOT_TEST_PG=1."""

from __future__ import annotations

import re

import pytest

from models.needs import Need
from tests.test_privacy import dump

FOLLOW = re.compile(r"H-[A-Z0-9]{5}-[A-Z0-9]{5}")


@pytest.mark.parametrize("text, words", [
    ("我想匿名反映 楼上邻居家暴 3栋", "楼上邻居家暴"),
    ("匿名 他又喝醉了打我,我在12栋302", "他又喝醉了打我"),
    ("【树洞】楼上邻居半夜蹦迪 3栋", "楼上邻居半夜蹦迪"),
    ("匿名投诉:物业乱收费,5栋", "物业乱收费"),
])
async def test_anonymity_asked_for_in_other_words_is_a_tree_hole(harness, text: str, words: str) -> None:
    h = harness
    out = await h.say("私聊", "wx_qian", text, name="钱阿姨")
    mine = [d for d in out if d.to == "私聊:wx_qian"]
    assert mine and FOLLOW.search(mine[0].text), [d.text for d in out]
    told = [d for d in out if d.to != "私聊:wx_qian"]
    assert told and all("树洞(匿名)" in d.text or "匿名" in d.text for d in told)
    assert not any(d.to.startswith(("网格", "锦城")) for d in out)          # no group hears of it
    assert not any("钱阿姨" in d.text or "wx_qian" in d.text for d in told)
    database = await dump(h)
    assert words in database and "wx_qian" not in database and "钱阿姨" not in database


async def test_asking_whether_one_can_stay_anonymous_files_nothing_and_explains(harness) -> None:
    h = harness
    for text in ("可以匿名反映吗?", "匿名举报有用吗", "匿名"):
        out = await h.say("私聊", "wx_qian", text, name="钱阿姨")
        assert [d.to for d in out] == ["私聊:wx_qian"] and "树洞" in out[0].text, text
    async with h.core.sessions() as s:
        assert (await s.get(Need, 1)) is None
    # words that merely contain 匿名 are not a request for it
    out = await h.say("私聊", "wx_qian", "匿名报名 义诊", name="钱阿姨")
    assert not any(FOLLOW.search(d.text) for d in out)


async def test_a_waiting_tree_hole_is_escalated_privately_and_never_in_a_group(harness) -> None:
    h = harness
    await h.say("私聊", "wx_lin", "树洞 楼上邻居天天吵架摔东西 我在3栋401 很害怕")
    await h.say("私聊", "wx_lin2", "树洞 他又喝醉了打我,我在3栋302,不敢回家")
    later = []
    for step in ("30m", "3h"):
        later += await h.advance(step)
    assert any("督办" in d.text for d in later)                            # it is chased …
    assert all(d.to.startswith("私聊:") for d in later)                    # … privately only
    assert not any("3栋401" in d.text or "3栋302" in d.text for d in later if not d.to.startswith("私聊:"))


@pytest.mark.parametrize("typed", ["不满意 {code} 还是吵", "满意 {code}", "3 {code}", "@小助手 {code} 怎么样了",
                                   "查 {lower}"])
async def test_a_tree_hole_code_typed_in_a_group_does_nothing_and_tells_nothing(harness, typed: str) -> None:
    """Reopening a 树洞 from the group would show the group (and the worker in it) who wrote it."""
    h = harness
    out = await h.say("私聊", "wx_lin", "树洞 楼上邻居天天吵架 我在3栋401 很害怕")
    follow = FOLLOW.search(out[0].text).group(0)
    code = next(re.search(r"D\d{8}-\d{4}", d.text).group(0) for d in out if d.to != "私聊:wx_lin")
    await h.say("私聊", "wx_wang", f"办结 {code} 已上门调解")
    out = await h.say("网格1一家亲", "wx_lin", typed.format(code=follow, lower=follow.lower()), name="林同学")
    assert [d.to for d in out] == ["网格1一家亲"] and "私聊" in out[0].text
    assert code not in out[0].text and "重新" not in out[0].text and "评价" not in out[0].text
    async with h.core.sessions() as s:
        from models import needs as N
        need = await N.get_need(s, code)
    assert need.status == N.Status.RESOLVED and need.satisfaction is None


async def test_a_tree_hole_with_danger_words_typed_in_a_group_still_reaches_the_admins(harness) -> None:
    """Lives first: "not recorded" would leave a person in danger with no one told. Filed as a 树洞 (no
    sender stored), its code and a word on where it was typed go to the sender privately; the group hears
    nothing more. Without danger words a 树洞 in a group is still not recorded."""
    h = harness
    out = await h.say("网格1一家亲", "wx_chen", "树洞 我老公又打我了 我在3栋302", name="陈女士")
    assert not [d for d in out if d.to.startswith(("网格", "锦城"))]
    mine = [d.text for d in out if d.to == "私聊:wx_chen"]
    assert FOLLOW.search(mine[0]) and any("群里" in t for t in mine)
    assert any(d.to == "私聊:wx_li" and "紧急树洞" in d.text for d in out)
    database = await dump(h)
    assert "wx_chen" not in database and "陈女士" not in database
    out = await h.say("网格1一家亲", "wx_chen", "树洞 我家隔壁天天吵架", name="陈女士")
    assert [d.to for d in out] == ["网格1一家亲"] and "没有记录" in out[0].text
