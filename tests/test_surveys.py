"""Surveys (服务直通车): the monthly survey pushed to three groups, answered in chat, one answer per person,
reminders to the low-response group only, results to the staff group; polls in the group; skip logic."""

from __future__ import annotations

from sqlalchemy import func, select

from models import surveys as S
from models.db import transaction
from models.pushes import PushRun, PushSchedule

GROUPS = ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
STAFF_GROUP = "锦城社区工作群"

MONTHLY = """
code = "S1"
title = "月度需求问卷"
intro = "说说这个月最希望社区做的事。"
groups = ["网格1", "网格2", "网格3"]
[schedule]
cron = "每月1日 10:00"
[close]
after_days = 7
[reminders]
below = 1
times = 2
every_hours = 24
[[questions]]
type = "single"
text = "您对本月社区服务是否满意?"
options = ["满意", "基本满意", "不满意"]
[[questions]]
type = "multi"
text = "最希望增加哪些服务?"
options = ["四点半课堂", "老年助餐", "便民维修", "文体活动"]
[[questions]]
type = "single"
text = "本月是否遇到需要社区帮忙的问题?"
options = ["有", "没有"]
skip = "if q3 == 2 goto q5"
[[questions]]
type = "text"
text = "请简单说说遇到的问题"
required = false
[[questions]]
type = "rating"
text = "请给网格员打分"
"""


async def load(h, text: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    spec = S.parse_survey_toml(text, h.config, h.clock.now())
    async with transaction(h.core.sessions) as session:
        survey, sched = await S.load_survey(session, h.clock.now(), h.config, spec, created_by="test")
        return survey.code, sched.code


async def answer_rows(h) -> list[S.SurveyResponse]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return list((await s.scalars(select(S.SurveyResponse).order_by(S.SurveyResponse.id))).all())


async def test_monthly_survey_pushed_at_ten_on_the_first_answered_reminded_and_reported(harness) -> None:
    h = harness
    code, pcode = await load(h, MONTHLY)
    assert code == "S1"
    # Not at night, not early: nothing goes out before 10:00 on the 1st.
    assert await h.set_clock("2026-12-01 03:00") == []
    assert await h.set_clock("2026-12-01 09:58") == []
    out = await h.advance("3m")
    posts = [d for d in out if "【服务直通车】" in d.text]
    assert sorted(d.to for d in posts) == GROUPS
    assert all(d.at == "2026-12-01T10:00:00+08:00" for d in posts)
    g2 = next(d for d in posts if d.to == "网格2一家亲")
    assert "问卷 S1" in g2.text and "http://127.0.0.1:8080/s/S1?g=2" in g2.text and "每人填写一份" in g2.text

    # 张阿姨 asks in her group (网格1), then answers privately, one question at a time.
    out = await h.say("网格1一家亲", "wx_zhang", "问卷 S1")
    assert len(out) == 1 and "私聊" in out[0].text and "?g=1" in out[0].text and out[0].to == "网格1一家亲"
    out = await h.say("私聊", "wx_zhang", "问卷 S1")
    assert out[0].to == "私聊:wx_zhang" and "共5题" in out[0].text and "第1/5题" in out[0].text
    assert "/s/S1?t=" in out[0].text                              # her personal H5 link
    out = await h.say("私聊", "wx_zhang", "4")
    assert "没有这个选项" in out[0].text and "1–3" in out[0].text     # a bad number: told what works
    out = await h.say("私聊", "wx_zhang", "1")
    assert "第2/5题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "13")                        # 1 and 3
    assert "第3/5题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "返回")
    assert "第2/5题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "1,3")
    assert "第3/5题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "2")                          # no problem → skip q4
    assert "第5/5题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "5分")
    assert "提交成功" in out[0].text

    # One answer per person: asked politely on a second try.
    out = await h.say("私聊", "wx_zhang", "填问卷")
    assert "已经填写过" in out[0].text and "每人" in out[0].text
    rows = await answer_rows(h)
    assert len(rows) == 1 and rows[0].person_id == "wx_zhang" and rows[0].group_topic == "网格1一家亲"
    async with h.core.sessions() as s:
        answers = (await s.scalars(select(S.SurveyAnswer).order_by(S.SurveyAnswer.question_number))).all()
    assert [(a.question_number, a.choices, a.rating) for a in answers] == [
        (1, [1], None), (2, [1, 3], None), (3, [2], None), (5, None, 5)]

    # 马阿姨 (网格2) answers via her own group's link path: the chat, with the group remembered.
    await h.say("网格2一家亲", "wx_ma", "@小助手 填问卷")
    for text in ("问卷", "2", "2 4", "1", "电梯老是停", "4"):
        out = await h.say("私聊", "wx_ma", text)
    assert "提交成功" in out[0].text

    # A day later: only 网格3 (no answers) is reminded; never twice within 24 h.
    out = await h.set_clock("2026-12-02 10:01")
    reminders = [d for d in out if "【问卷提醒】" in d.text]
    assert [d.to for d in reminders] == ["网格3一家亲"]
    assert await h.advance("5m") == []
    # the second reminder comes a day later — not in quiet hours (the window starts at 21:30)
    out = await h.set_clock("2026-12-03 23:00")
    assert [d for d in out if "【问卷提醒】" in d.text] == []
    out = await h.set_clock("2026-12-04 08:01")
    assert [d.to for d in out if "【问卷提醒】" in d.text] == ["网格3一家亲"]
    out = await h.set_clock("2026-12-05 09:00")
    assert [d for d in out if "【问卷提醒】" in d.text] == []       # at most 2 times

    # On demand, for staff: counts and percentages so far.
    out = await h.say("锦城社区工作群", "wx_li", "问卷结果 S1")
    assert "回收 2 份" in out[0].text and "网格1 1" in out[0].text and "网格3 0" in out[0].text
    assert "满意 1 (50.0%)" in out[0].text and "进行中" in out[0].text
    # A resident may not ask for results.
    out = await h.say("网格1一家亲", "wx_zhang", "问卷结果 S1")
    assert "只有网格员" in out[0].text

    # The survey closes after 7 days: the results go to the staff group, once.
    out = await h.set_clock("2026-12-08 10:01")
    results = [d for d in out if "【问卷结果】" in d.text]
    assert len(results) == 1 and results[0].to == STAFF_GROUP
    text = results[0].text
    assert "(第1期)" in text and "回收 2 份" in text and "平均 4.5 分" in text and "电梯老是停" in text
    assert await h.advance("3m") == []
    out = await h.say("私聊", "wx_lin", "问卷 S1")
    assert "已经结束" in out[0].text


async def test_survey_on_a_holiday_moves_to_the_next_working_day(config, db_url) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import Harness

    h = await Harness.create(config, db_url, start="2026-09-28 09:00")
    try:
        await load(h, MONTHLY)
        await load(h, MONTHLY.replace('code = "S1"', 'code = "S2"').replace(
            'cron = "每月1日 10:00"', 'cron = "每月1日 10:00"\nskip_holidays = false'))
        out = await h.set_clock("2026-10-01 10:00")
        assert sorted({d.text.split("\n")[0] for d in out}) == ["【服务直通车】月度需求问卷"]
        assert len(out) == 3 and all("S2" in d.text for d in out)          # only the one allowed on holidays
        assert [d for d in await h.set_clock("2026-10-07 10:00") if "S1" in d.text] == []
        out = await h.set_clock("2026-10-08 10:00")
        posts = [d for d in out if "【服务直通车】" in d.text]
        assert len(posts) == 3 and all("问卷 S1" in d.text for d in posts)
        assert all(d.at == "2026-10-08T10:00:00+08:00" for d in posts)
        async with h.core.sessions() as s:
            run = (await s.scalars(select(PushRun).join(PushSchedule).where(PushSchedule.survey_code == "S1"))).one()
        assert run.status == "sent" and run.reason == "国庆节"
    finally:
        await h.close()


HOUSEHOLD_POLL = """
code = "S3"
title = "加装电梯意向"
one_per = "household"
groups = "网格1"
[[questions]]
type = "single"
text = "您家是否同意本栋加装电梯?"
options = ["同意", "不同意", "无所谓"]
"""


async def test_household_survey_in_chat_counts_one_answer_per_home(harness) -> None:
    h = harness
    await load(h, HOUSEHOLD_POLL)
    out = await h.advance("1m")                       # no schedule: pushed at the next tick
    assert [d.to for d in out] == ["网格1一家亲"] and "投票 1" in out[0].text and "每户限投一次" in out[0].text
    out = await h.say("私聊", "wx_zhang", "问卷 S3")
    assert "楼栋和房号" in out[0].text
    out = await h.say("私聊", "wx_zhang", "不知道")
    assert "例如「7栋602」" in out[0].text
    out = await h.say("私聊", "wx_zhang", "3栋602")
    assert "3栋602" in out[0].text and "第1/1题" in out[0].text
    out = await h.say("私聊", "wx_zhang", "同意")                     # the option's own words work too
    assert "提交成功" in out[0].text
    # her husband, same home, in the group: one per household
    out = await h.say("网格1一家亲", "wx_zhang2", "投票 2 3号楼602")
    assert "已经填写过" in out[0].text and "每户" in out[0].text
    out = await h.say("网格1一家亲", "wx_qian", "投票 2 4栋101")
    assert "已记录您的投票: 2. 不同意" in out[0].text and out[0].mentions == ("wx_qian",)
    out = await h.say("网格1一家亲", "wx_lin", "投票 1")
    assert "楼栋和房号" in out[0].text
    rows = await answer_rows(h)
    assert [(r.building, r.room, r.channel) for r in rows] == [(3, "602", "chat"), (4, "101", "group")]


POLL = """
code = "S4"
title = "周末活动投票"
groups = ["网格2"]
[[questions]]
type = "multi"
text = "周末想参加什么?"
options = ["包饺子", "观影", "义诊"]
"""


async def test_poll_answered_in_the_group_once_per_person(harness) -> None:
    h = harness
    await load(h, POLL)
    await h.advance("1m")
    out = await h.say("网格2一家亲", "wx_ma", "投票 1 3")
    assert "1. 包饺子、3. 义诊" in out[0].text
    out = await h.say("网格2一家亲", "wx_ma", "投票 2")
    assert "已经填写过" in out[0].text and "每人" in out[0].text
    out = await h.say("网格2一家亲", "wx_ma2", "投票 5")
    assert "没有这个选项" in out[0].text
    out = await h.say("网格2一家亲", "wx_ma2", "投票")
    assert "例如「投票 1」" in out[0].text
    # no poll in 网格1, and chatter about votes is not a command
    out = await h.say("网格1一家亲", "wx_zhang", "投票 1")
    assert "没有进行中的投票" in out[0].text
    assert await h.say("网格2一家亲", "wx_ma", "投票的事我再想想") == []
    assert len(await answer_rows(h)) == 1


SKIP = """
code = "S5"
title = "跳题"
groups = "全部"
[[questions]]
type = "single"
text = "是否有小孩?"
options = ["有", "没有"]
skip = "if q1 == 2 goto end"
[[questions]]
type = "rating"
text = "四点半课堂打分"
"""


async def test_skip_to_end_and_quit(harness) -> None:
    h = harness
    await load(h, SKIP)
    await h.advance("1m")
    await h.say("私聊", "wx_lin", "问卷 s5")
    out = await h.say("私聊", "wx_lin", "退出")
    assert "已退出问卷" in out[0].text
    await h.say("私聊", "wx_lin", "问卷 S5")
    out = await h.say("私聊", "wx_lin", "2")
    assert "提交成功" in out[0].text
    async with h.core.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(S.SurveyAnswer)) == 1


async def test_answers_limit_closes_the_survey(harness) -> None:
    h = harness
    await load(h, POLL.replace('groups = ["网格2"]', 'groups = ["网格2"]\n[close]\nafter_answers = 2'))
    await h.advance("1m")
    await h.say("网格2一家亲", "wx_a", "投票 1")
    await h.say("网格2一家亲", "wx_b", "投票 2")
    out = await h.say("网格2一家亲", "wx_c", "投票 3")
    assert "已经结束" in out[0].text
    out = await h.advance("1m")
    assert [d.to for d in out] == [STAFF_GROUP] and "回收 2 份" in out[0].text


async def test_text_answer_that_reads_as_a_demand_becomes_a_suggestion(harness) -> None:
    h = harness
    await load(h, MONTHLY.replace('cron = "每月1日 10:00"', 'at = "2026-11-23 09:30"'))
    await h.set_clock("2026-11-23 09:30")
    await h.say("网格1一家亲", "wx_zhang", "填问卷")
    for text in ("问卷 S1", "3", "2", "1", "3栋电梯坏了好几天了,一直没人修", "2"):
        out = await h.say("私聊", "wx_zhang", text)
    assert "提交成功" in out[0].text
    async with h.core.sessions() as s:
        found = await S.demand_suggestions(s)
    try:
        from kernel.text.classify import classify  # noqa: F401
    except ImportError:
        return
    assert len(found) == 1 and found[0].category == "repair" and found[0].group == "网格1一家亲"
    assert "网格员会看到" in out[0].text
    try:
        from models.needs import list_suggestions
    except ImportError:
        return
    async with h.core.sessions() as s:
        sugg = await list_suggestions(s)
    assert any("[问卷S1]" in x.text and x.grid == 1 for x in sugg)


async def test_export_surveys(harness) -> None:
    from bot.export import export_rows

    h = harness
    await load(h, HOUSEHOLD_POLL.replace("one_per", "anonymous = true\none_per"))
    await h.advance("1m")
    await h.say("网格1一家亲", "wx_qian", "投票 1 4栋101")
    async with h.core.sessions() as s:
        kind, rows = await export_rows(s, h.config, "surveys")
    assert kind.name == "surveys" and len(rows) == 1
    row = rows[0]
    assert row["survey"] == "S3" and row["question"].startswith("1. ") and row["answer"] == "同意"
    assert row["person"] is None and row["household"] is None        # anonymous: nobody named
    assert row["at"] is not None


def test_survey_file_problems_are_all_reported_in_chinese(config) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from datetime import datetime, timezone

    bad = """
title = ""
groups = ["网格9"]
colour = "red"
[schedule]
cron = "每月32日 10:00"
[[questions]]
type = "single"
text = "?"
options = ["只有一个"]
skip = "if q1 == 3 goto q1"
"""
    with pytest.raises(S.SurveyDefinitionError) as exc:
        S.parse_survey_toml(bad, config, datetime(2026, 11, 23, tzinfo=timezone.utc))
    text = "\n".join(exc.value.problems)
    for needle in ("title", "网格9", "colour", "schedule.cron", "options"):
        assert needle in text, needle


def test_sample_survey_file_loads(config) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "examples" / "survey_monthly.toml").read_text(encoding="utf-8")
    spec = S.parse_survey_toml(text, config, datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert spec.code == "S1" and spec.when.cron == "0 10 1 * *" and len(spec.questions) == 5
    assert spec.questions[2].rules[0].goto == 5 and spec.one_per == "household"


def test_chat_answer_parsing() -> None:
    from handlers.surveys import parse_choices, parse_rating

    opts = ["a", "b", "c", "d"]
    assert parse_choices("1 3", opts) == [1, 3]
    assert parse_choices("1,3", opts) == [1, 3]
    assert parse_choices("1,3", opts) == [1, 3]
    assert parse_choices("1、3", opts) == [1, 3]
    assert parse_choices("13", opts) == [1, 3]
    assert parse_choices("①③", opts) == [1, 3]
    assert parse_choices("一和三", opts) == [1, 3]
    assert parse_choices("选2", opts) == [2]
    assert parse_choices("好的", opts) is None
    assert parse_choices("12", [str(i) for i in range(12)]) == [12]
    assert parse_rating("五星") == 5 and parse_rating("4分") == 4 and parse_rating("★★★") == 3


async def test_send_now_reposts_an_open_survey_without_a_new_round(harness) -> None:
    h = harness
    await load(h, POLL)
    await h.advance("1m")
    await h.say("网格2一家亲", "wx_ma", "投票 1")
    out = await h.say("私聊", "wx_zhao", "推送列表")
    pid = next(line.split()[0] for line in out[0].text.splitlines() if "S4" in line)
    await h.say("私聊", "wx_zhao", f"立即推送 {pid}")
    out = await h.advance("1m")
    assert [d.to for d in out] == ["网格2一家亲"] and "投票 1" in out[0].text
    out = await h.say("网格2一家亲", "wx_ma", "投票 2")
    assert "已经填写过" in out[0].text                    # same round: her vote still counts once
    async with h.core.sessions() as s:
        survey = (await S.get_view(s, "S4")).survey
    assert survey.round == 1 and survey.status == "open"
