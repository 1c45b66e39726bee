"""Attack round (issue 13): the careless worker typing staff commands in a resident group, the curious
resident guessing codes, the flooder, the hot-word reader. Each test states what a person would notice:
the group never reads X, the resident never learns Y. SQLite, and PostgreSQL with GRIDBOT_TEST_PG=1."""

from __future__ import annotations

import re

import pytest

from bot.flood import ReplyBudget
from kernel.privacy import mask_for_group
from models import needs as N
from tests.inbox_helpers import new_need
from tests.test_surveys import MONTHLY, load
from texts.common import ANSWERED_PRIVATELY

G1, G3, STAFF = "网格1一家亲", "网格3一家亲", "锦城社区工作群"
FOLLOW = re.compile(r"H-[A-Z0-9]{5}-[A-Z0-9]{5}")


def to(out, chat: str):  # type: ignore[no-untyped-def]
    return [d for d in out if d.to == chat]


# ---------------------------------------------------------------- staff commands typed in a resident group

@pytest.mark.parametrize("who, command", [("wx_wang", "统计"), ("wx_wang", "今天有几个诉求"), ("wx_li", "统计 本月"),
                                          ("wx_wang", "这个月三率多少")])
async def test_statistics_typed_in_a_resident_group_go_privately(harness, who: str, command: str) -> None:
    """A grid's counts (紧急 1 today, in a group of neighbours) and every grid's rates are staff business."""
    h = harness
    await h.say(G1, "wx_zhang", "@小助手 3栋楼下有人晕倒了,快来人", name="张阿姨")
    out = await h.say(G1, who, command)
    assert [d.text for d in to(out, G1)] == [ANSWERED_PRIVATELY]
    assert "诉求统计" in to(out, f"私聊:{who}")[0].text
    out = await h.say(STAFF, who, command)            # the staff group is where staff figures belong
    assert "诉求统计" in to(out, STAFF)[0].text


async def test_survey_results_and_the_push_list_typed_in_a_resident_group_go_privately(harness) -> None:
    """Free-text survey answers name households and phones; the push list shows staff-group notices."""
    h = harness
    await load(h, MONTHLY)
    await h.set_clock("2026-12-01 10:01")
    for text in ("问卷 S1", "1", "1", "1", "我是马秀兰 住8栋301 电话13900001111 厨房漏水", "5"):
        out = await h.say("私聊", "wx_ma", text)
    assert "提交成功" in out[0].text
    await h.say(STAFF, "wx_li", "定时通知 每周一 09:00 群 工作群 周例会: 讨论12栋302家暴线索")
    for command, secret in (("问卷结果 S1", "马秀兰"), ("推送列表", "家暴")):
        out = await h.say(G1, "wx_wang", command)
        assert [d.text for d in to(out, G1)] == [ANSWERED_PRIVATELY], command
        assert not any(secret in d.text or "13900001111" in d.text for d in to(out, G1))
        if command == "问卷结果 S1":
            assert "马秀兰" in to(out, "私聊:wx_wang")[0].text


# ---------------------------------------------------------------- phones the group mask must still see

@pytest.mark.parametrize("phone", ["138.1234.5678", "138/1234/5678", "138—1234—5678", "1 3 8 1 2 3 4 5 6 7 8",
                                   "１３８１２３４５６７８", "138\u200b1234\u200b5678", "138\u200f1234\u200f5678",
                                   "1\u200e3812345678"])
async def test_a_worker_reply_echoed_to_the_group_masks_a_phone_however_it_is_written(harness, phone: str) -> None:
    h = harness
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    out = await h.say("私聊", "wx_wang", f"回复 {code} 已联系电工,有事打他 {phone}")
    group = to(out, G1)
    assert group and "电工" in group[0].text
    digits = re.sub(r"\D", "", group[0].text.translate({0xFF10 + i: 48 + i for i in range(10)}))
    assert "12345678" not in digits and "1234" not in re.sub(r"\*+", " ", group[0].text)


def test_the_group_mask_sees_through_invisible_marks_written_by_any_capability() -> None:
    for text in ("电话138\u200f1234\u200f5678", "电话1\u2062381234\u20625678", "电话\u202e13812345678"):
        assert "138****5678" in mask_for_group(text), text


def test_the_group_mask_leaves_times_dates_and_short_numbers_alone() -> None:
    for text in ("时间 2026.11.23 13:00-15:00", "可选 13 14 15 16 17 18点", "3栋602,名额 1 3 5 7 9",
                 "预约号 B101 房间 1301 1302 1303"):
        assert mask_for_group(text) == text


# ---------------------------------------------------------------- 热词 and 个性清单 never name a resident

async def test_hot_words_never_show_a_residents_name(harness) -> None:
    h = harness
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了 我是张桂芳 住3栋502", name="张阿姨")
    await h.say("私聊", "wx_liu", "我想申请低保,家里困难,我叫刘红梅,住2栋301", name="刘姐")
    await h.say(G1, "wx_lee", "@小助手 1栋电梯又坏了,王建国家老人下不了楼", name="李大爷")
    out = await h.say("私聊", "wx_wang", "热词")
    text = out[0].text
    assert "电梯(2)" in text
    for name in ("张桂芳", "红梅", "刘红梅", "王建国"):
        assert name not in text
    start, end, _ = N.period_bounds("本周", h.clock.now(), h.config)
    async with h.core.sessions() as s:
        personal = await N.personal_list(s, start, end)
    assert not {"张桂芳", "红梅", "刘红梅", "王建国"} & {p["word"] for p in personal}


# ---------------------------------------------------------------- the anonymous 树洞 and the curious resident

async def test_a_tree_hole_after_a_flood_still_gives_its_sender_the_follow_up_code(harness) -> None:
    """The code is the sender's only way back to a 树洞: a reply budget spent on chatter must not eat it."""
    h = harness
    h.core.dispatcher.budget = ReplyBudget(h.config.sender)
    for i in range(8):
        await h.say("私聊", "wx_lin", f"你好{i}")
    out = await h.say("私聊", "wx_lin", "树洞 楼上邻居天天半夜吵架摔东西,3栋,我不敢说")
    mine = to(out, "私聊:wx_lin")
    assert mine and FOLLOW.search(mine[0].text)
    await h.advance("61s")                            # the window has passed: the code reads the 树洞
    out = await h.say("私聊", "wx_lin", f"查 {FOLLOW.search(mine[0].text).group(0)}")
    assert "邻里纠纷" in out[0].text


async def test_a_resident_guessing_codes_cannot_tell_a_tree_hole_a_neighbours_need_or_nothing_apart(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_lin", "树洞 他又喝醉了打我,我在12栋302,不敢回家")
    tree = next(re.search(r"D\d{8}-\d{4}", d.text).group(0) for d in out if d.to != "私聊:wx_lin")
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了", name="张阿姨")
    neighbour = h.last_code
    nothing = "D20261123-0099"
    for chat in ("私聊", G1):
        answers = []
        for code in (tree, neighbour, nothing):
            out = await h.say(chat, "wx_chen", f"查 {code}", name="陈先生")
            answers.append(out[0].text.replace(code, "CODE"))
        assert len(set(answers)) == 1, answers
        assert "12栋" not in answers[0] and "电梯" not in answers[0]
    out = await h.say("私聊", "wx_chen", f"满意 {neighbour}")
    assert out[0].text.replace(neighbour, "CODE") == answers[0]


# ---------------------------------------------------------------- impersonation

@pytest.mark.parametrize("fake", ["王网格员", "李书记", "刘网格员"])
async def test_a_resident_wearing_a_staff_name_is_shown_to_staff_as_a_resident(harness, fake: str) -> None:
    h = harness
    out = await h.say(G1, "wx_fake", "@小助手 3栋门口垃圾堆了好几天没人清", name=fake)
    notice = to(out, "私聊:wx_wang")[0].text
    assert f"来自: {fake}(居民)" in notice
    out = await h.say(G1, "wx_fake", f"接单 {h.last_code}", name=fake)
    assert "只有网格员" in out[0].text                                  # the name grants nothing either
    out = await h.say(G1, "wx_wang", "@小助手 5栋路灯不亮了", name="王网格员")
    assert "(居民)" not in to(out, "私聊:wx_wang")[0].text if to(out, "私聊:wx_wang") else True


async def test_the_communitys_own_hotlines_are_readable_in_a_group_and_a_residents_number_is_not(harness) -> None:
    """The mask is for people's numbers: 物业电话 asked in the group must answer with a number one can dial."""
    h = harness
    out = await h.say(G1, "wx_lee", "@小助手 物业电话多少", name="李大爷")
    assert "028-8512 3401" in to(out, G1)[0].text
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    out = await h.say("私聊", "wx_wang", f"回复 {code} 已报物业 028-8512 3401,电工小刘 13912345678")
    text = to(out, G1)[0].text
    assert "028-8512 3401" in text and "13912345678" not in text and "139****5678" in text


# ---------------------------------------------------------------- merged needs: whose words go where

async def test_a_reply_about_a_privately_raised_need_never_reaches_a_merged_neighbours_group(harness) -> None:
    """刘红梅 wrote privately; neighbours said the same in the group and were merged into her need. What the
    worker writes to her ("电工下午到301室先看您家") is for her: the group never reads it."""
    h = harness
    await h.say("私聊", "wx_liu", "5栋楼道灯不亮,我是刘红梅住5栋301", name="刘姐")
    code = h.last_code
    out = await h.say(G1, "wx_zhang", "@小助手 5栋楼道灯不亮", name="张阿姨")
    assert code in out[0].text and "已有邻居反映" in out[0].text
    out = await h.say("私聊", "wx_wang", f"回复 {code} 刘阿姨您好,电工下午到301室先看您家")
    out += await h.say("私聊", "wx_wang", f"办结 {code} 灯已换,刘红梅家门口的线也接好了")
    assert not to(out, G1)
    assert any("301室" in d.text for d in to(out, "私聊:wx_liu"))
    assert any("灯已换" in d.text for d in to(out, "私聊:wx_zhang"))      # the neighbour still hears
    # a need raised in the group, with neighbours from that group: one group message, as before
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了", name="张阿姨")
    parent = h.last_code
    await h.say(G1, "wx_chen", "@小助手 3栋电梯又坏了", name="陈先生")
    out = await h.say("私聊", "wx_wang", f"回复 {parent} 已报修,师傅下午到")
    group = to(out, G1)
    assert len(group) == 1 and "师傅下午到" in group[0].text and set(group[0].mentions) == {"wx_zhang", "wx_chen"}
