"""The survey builder (/inbox/surveys): a survey made in the staff web is the survey the TOML loader makes —
same validator, same stored rows, same push — and it can be downloaded as that TOML file."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from models import pushes as P
from models import surveys as S
from models.db import transaction
from tests.inbox_helpers import web  # noqa: F401  (fixture)

# The harness starts 2026-11-23 09:00 (Shanghai).
EQUIVALENT_TOML = """
title = "11月社区服务问卷"
intro = "说说这个月最希望社区做的事。"
groups = ["网格1", "网格2"]

[schedule]
at = "2026-11-25 10:00"

[close]
after_days = 3

[reminders]
below = 1
times = 1
every_hours = 24

[[questions]]
type = "single"
text = "您对本月社区服务是否满意?"
options = ["满意", "基本满意", "不满意"]

[[questions]]
type = "multi"
text = "最希望增加哪些服务?"
options = ["四点半课堂", "老年助餐", "便民维修"]

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


def editor_form(**over: Any) -> list[tuple[str, str]]:
    """The editor as a phone posts it: the survey of EQUIVALENT_TOML."""
    fields: dict[str, Any] = {
        "title": "11月社区服务问卷", "intro": "说说这个月最希望社区做的事。", "one_per": "person",
        "groups": ["网格1一家亲", "网格2一家亲"], "sched_mode": "at", "sched_at": "2026-11-25T10:00",
        "skip_holidays": "1", "close_days": "3", "remind_below": "1", "remind_times": "1", "remind_every_hours": "24",
        "qcount": "5",
        "q1_type": "single", "q1_text": "您对本月社区服务是否满意?", "q1_options": "满意\n基本满意\n不满意",
        "q1_required": "1", "q1_rules": "1",
        "q2_type": "multi", "q2_text": "最希望增加哪些服务?", "q2_options": "四点半课堂\r\n老年助餐\r\n便民维修\r\n",
        "q2_required": "1", "q2_rules": "1",
        "q3_type": "single", "q3_text": "本月是否遇到需要社区帮忙的问题?", "q3_options": "有\n没有", "q3_required": "1",
        "q3_rules": "2", "q3_r1_op": "==", "q3_r1_values": "2", "q3_r1_goto": "5", "q3_r2_op": "==", "q3_r2_values": "",
        "q3_r2_goto": "end",
        "q4_type": "text", "q4_text": "请简单说说遇到的问题", "q4_options": "",
        "q5_type": "rating", "q5_text": "请给网格员打分", "q5_required": "1", "q5_rules": "1",
    }
    fields.update(over)
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        if value is None:
            continue
        for v in value if isinstance(value, list) else [value]:
            pairs.append((key, v))
    return pairs


async def post(u: Any, path: str, pairs: list[tuple[str, str]], *, csrf: bool = True) -> tuple[int, str, str]:
    data = list(pairs) + ([("_csrf", u.csrf or "")] if csrf else [])
    async with u.http.post(u.base + path, data=data) as r:
        return r.status, await r.text(), str(r.url)


async def new_draft(u: Any) -> int:
    await u.get("/inbox/surveys")
    status, html, url = await post(u, "/inbox/surveys/new", [])
    assert status == 200 and url.endswith(tuple("0123456789")), url
    return int(url.rsplit("/", 1)[1])


def stored(view: S.SurveyView, sched: P.PushSchedule) -> dict[str, Any]:
    """What the service keeps of a survey, without what differs between any two loads (ids, code, secret)."""
    s = view.survey
    return {
        "survey": {c: getattr(s, c) for c in ("title", "intro", "anonymous", "one_per", "groups", "staff_group",
                                               "status", "round", "opens_at", "closes_at", "close_at",
                                               "close_after_minutes", "max_answers", "reminder")},
        "questions": [(q.number, q.kind, q.text, q.options, q.required, q.rules) for q in view.questions],
        "push": {c: getattr(sched, c) for c in ("kind", "title", "text", "groups", "cron", "label", "once_at",
                                                "day_rule", "urgent", "grace_minutes", "status", "next_slot")},
    }


async def stored_survey(h: Any, code: str) -> dict[str, Any]:
    async with h.core.sessions() as s:
        view = await S.get_view(s, code)
        sched = await S.schedule_of(s, view.survey)
        assert sched is not None
        return stored(view, sched)


async def test_a_survey_built_in_the_page_is_the_survey_its_toml_loads_and_is_pushed_alike(web) -> None:
    h = web.h
    li = await web.user("li")
    draft = await new_draft(li)
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(action="save"))
    assert status == 200 and "已保存草稿" in html and "field-err" not in html
    status, html = await li.get(f"/inbox/surveys/drafts/{draft}/preview")
    assert status == 200 and "【服务直通车】" in html and "选了 没有 → 跳到第5题" in html
    assert "网格1、网格2" in html and "2026-11-25" in html or "11月25日" in html

    # the download is the TOML an operator keeps in version control
    async with li.http.get(li.base + f"/inbox/surveys/drafts/{draft}.toml") as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        exported = await r.text()
    assert tomllib.loads(exported)["questions"][2]["skip"] == ["if q3 == 2 goto q5"]

    status, html, url = await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(action="publish"))
    assert status == 200 and url.endswith("/inbox/surveys?published=S1"), url
    assert "已发布问卷 S1「11月社区服务问卷」" in html and '<span class="code">S1</span>' in html
    async with h.core.sessions() as s:
        assert await S.list_drafts(s) == []                      # the draft became the survey

    # The same survey from a hand-written TOML file, loaded as `gridbot survey load` does
    spec = S.parse_survey_toml(EQUIVALENT_TOML, h.config, h.clock.now())
    async with transaction(h.core.sessions) as s:
        survey, _ = await S.load_survey(s, h.clock.now(), h.config, spec, created_by="cli")
        assert survey.code == "S2"
    page_made, file_made = await stored_survey(h, "S1"), await stored_survey(h, "S2")
    assert page_made == file_made
    assert page_made["push"]["once_at"] == datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
    assert page_made["questions"][2][5] == [{"op": "==", "values": [2], "goto": 5}]

    # the published survey's download loads back to the same survey too
    async with li.http.get(li.base + "/inbox/surveys/S1.toml") as r:
        again = await r.text()
    assert 'code = "S1"' in again
    async with h.core.sessions() as s:
        assert (await S.get_view(s, "S1")).survey.source == again      # kept as `survey load` keeps its file
    assert S.parse_survey_toml(again, h.config, h.clock.now()).questions == spec.questions

    # the scheduler pushes both alike: nothing before 10:00 on the 25th, then each to 网格1 and 网格2
    assert [d for d in await h.set_clock("2026-11-25 09:58") if "【服务直通车】" in d.text] == []
    out = [d for d in await h.advance("3m") if "【服务直通车】" in d.text]
    by_code = {code: sorted(d.to for d in out if f"问卷 {code}" in d.text) for code in ("S1", "S2")}
    assert by_code == {"S1": ["网格1一家亲", "网格2一家亲"], "S2": ["网格1一家亲", "网格2一家亲"]}
    li = await web.user("li")                                    # two days on: a new login
    status, html = await li.get("/inbox/surveys")
    assert html.count(">进行中<") == 2 and "本期回收 <b class=\"answers\">0</b> 份" in html

    # a resident answers S1 in chat: the list counts it
    await h.say("网格1一家亲", "wx_zhang", "@小助手 填问卷 S1")
    for text in ("问卷 S1", "1", "1", "2", "5"):
        reply = await h.say("私聊", "wx_zhang", text)
    assert "提交成功" in reply[0].text
    status, html = await li.get("/inbox/surveys")
    row = re.search(r'data-code="S1">(.*?)</li>', html, re.S)
    assert row and '<b class="answers">1</b>' in row.group(1)
    assert "/inbox/surveys/S1/edit" not in html                  # answered: no longer editable


CASES = [
    ({"q3_r1_goto": "1"}, "questions[3].skip", "只能向后跳到第4至5题或 end"),
    ({"q1_options": "  \n"}, "questions[1].options", "需要至少两个选项"),
    ({"sched_at": "2026-11-20T10:00"}, "schedule.at", "已经过去"),
    ({"title": " "}, "title", "缺少 title"),
    ({"sched_mode": "cron", "sched_cron": "每月32日 10:00"}, "schedule.cron", "看不懂"),
    ({"q3_r1_values": "7"}, "questions[3].skip", "第3题没有选项 7"),
]


@pytest.mark.parametrize("over, key, words", CASES, ids=[c[1] for c in CASES])
def test_the_form_and_the_file_share_one_validator(config, over: dict[str, Any], key: str, words: str) -> None:  # type: ignore[no-untyped-def]
    """What the page refuses, the TOML loader refuses with the same line — one validator."""
    from multidict import MultiDict

    from bot.web import admin_surveys as W

    form = MultiDict(editor_form(**over))
    data = W.form_data(form, {}, W.form_questions(form))
    now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    with pytest.raises(S.SurveyDefinitionError) as from_form:
        S.draft_spec(data, config, now)
    with pytest.raises(S.SurveyDefinitionError) as from_file:
        S.parse_survey_toml(S.survey_toml(data), config, now)
    assert from_form.value.problems == from_file.value.problems
    assert any(k == key and words in m for k, m in from_form.value.fields), from_form.value.fields


async def test_bad_surveys_are_refused_with_the_reason_beside_the_field(web) -> None:
    h = web.h
    li = await web.user("li")
    draft = await new_draft(li)
    for over, _key, words in CASES[:3]:
        status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(action="publish", **over))
        assert status == 400 and "需要修改" in html, over
        assert re.search(r'class="field-err" role="alert">[^<]*' + re.escape(words.split(" ")[0]), html), (over, html)
        assert 'name="q1_text" value="您对本月社区服务是否满意?"' in html          # the form comes back filled in
    # all three at once: every problem is listed, each named in Chinese
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(
        action="publish", q3_r1_goto="1", q1_options="", sched_at="2026-11-20T10:00"))
    assert status == 400 and "3 处需要修改" in html
    assert "第3题 跳题: 只能向后跳到" in html and "第1题 选项: 需要至少两个选项" in html and "推送时间: " in html
    async with h.core.sessions() as s:
        assert await S.list_surveys(s) == [] and await P.list_schedules(s, include_finished=True) == []
    # a POST without the session's CSRF token changes nothing
    status, _, _ = await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(action="publish"), csrf=False)
    assert status == 403
    async with h.core.sessions() as s:
        assert await S.list_surveys(s) == []


async def test_questions_are_added_and_deleted_with_plain_posts(web) -> None:
    li = await web.user("li")
    draft = await new_draft(li)
    one = [("title", "投票"), ("qcount", "1"), ("q1_type", "single"), ("q1_text", "装不装充电桩?"),
           ("q1_options", "装\n不装"), ("q1_required", "1"), ("sched_mode", "now"), ("close_days", "2")]
    status, html, url = await post(li, f"/inbox/surveys/drafts/{draft}",
                                   one + [("action", "add_question"), ("new_type", "rating")])
    assert status == 200 and url.endswith("?saved=1")       # redirected (#q2 stays in the browser)
    assert 'id="q2"' in html and 'value="rating" selected' in html
    assert 'name="q1_text" value="装不装充电桩?"' in html
    # the new question jumps: q1 "不装" → q2 is fine; then q2 is deleted and the jump follows to the end
    two = one + [("q1_rules", "1"), ("q1_r1_op", "=="), ("q1_r1_values", "2"), ("q1_r1_goto", "2"),
                 ("qcount", "2"), ("q2_type", "rating"), ("q2_text", "打分"), ("q2_required", "1")]
    two = [(k, v) for k, v in two if (k, v) != ("qcount", "1")]
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}", two + [("action", "delete_2")])
    assert status == 200 and 'id="q2"' not in html
    async with web.h.core.sessions() as s:
        data = (await S.get_draft(s, draft)).data
    assert len(data["questions"]) == 1 and data["questions"][0]["skip"] == ["if q1 == 2 goto end"]
    # the last question cannot be deleted
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}", one + [("action", "delete_1")])
    assert status == 400 and "至少保留一道题" in html


async def test_workers_draft_admins_publish_and_close(web) -> None:
    h = web.h
    wang = await web.user("wang")
    status, html = await wang.get("/inbox/surveys")
    assert status == 200 and "网格员可以起草" in html and 'href="/inbox/surveys"' in html
    draft = await new_draft(wang)
    status, html, _ = await post(wang, f"/inbox/surveys/drafts/{draft}",
                                 editor_form(action="publish", sched_at="2026-11-24T10:00"))
    assert status == 403 and "只有管理员可以发布" in html
    async with h.core.sessions() as s:
        assert await S.list_surveys(s) == [] and len(await S.list_drafts(s)) == 1
    for username in ("guest", "cg"):
        u = await web.user(username)
        status, html = await u.get("/inbox/surveys")
        assert status == 403 and "不能使用这个页面" in html

    li = await web.user("li")
    await li.get("/inbox/surveys")
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{draft}/publish", [])
    assert status == 200 and "已发布问卷 S1" in html
    # a worker may not close it
    await wang.get("/inbox/surveys")
    status, _, _ = await post(wang, "/inbox/surveys/S1/close", [])
    assert status == 403
    # closed before its push: cancelled, and the scheduler sends nothing
    status, html, _ = await post(li, "/inbox/surveys/S1/close", [])
    assert status == 200 and "问卷 S1 已取消" in html and "已取消" in html
    assert [d for d in await h.set_clock("2026-11-24 10:05") if "【服务直通车】" in d.text] == []
    async with h.core.sessions() as s:
        view = await S.get_view(s, "S1")
        sched = await S.schedule_of(s, view.survey)
    assert view.survey.status == S.SurveyStatus.CANCELLED
    assert sched is not None and sched.status == P.ScheduleStatus.CANCELLED


async def test_a_published_survey_is_edited_until_answered_and_closed_when_open(web) -> None:
    h = web.h
    li = await web.user("li")
    draft = await new_draft(li)
    await post(li, f"/inbox/surveys/drafts/{draft}", editor_form(action="publish", sched_mode="cron", sched_at="",
                                                                  sched_cron="每周一 10:00"))
    status, html, url = await post(li, "/inbox/surveys/S1/edit", [])
    assert status == 200 and "编辑问卷 S1" in html and 'value="每周一 10:00"' in html
    edit = int(url.rsplit("/", 1)[1])
    status, html, _ = await post(li, f"/inbox/surveys/drafts/{edit}", editor_form(
        action="publish", title="改过的标题", sched_mode="cron", sched_cron="每周三 10:00", sched_at=""))
    assert status == 200 and "已发布问卷 S1「改过的标题」" in html
    async with h.core.sessions() as s:
        surveys = await S.list_surveys(s)
        active = [p for p in await P.list_schedules(s) if p.status == P.ScheduleStatus.ACTIVE]
    assert [(x.code, x.title) for x in surveys] == [("S1", "改过的标题")]
    assert [p.label for p in active] == ["每周三 10:00"]          # the old push was replaced, not doubled
    # Wednesday 25th 10:00: round 1 opens; the admin closes it and the series stops
    out = await h.set_clock("2026-11-25 10:01")
    assert sorted(d.to for d in out if "【服务直通车】" in d.text) == ["网格1一家亲", "网格2一家亲"]
    li = await web.user("li")
    await li.get("/inbox/surveys")
    status, html, _ = await post(li, "/inbox/surveys/S1/close", [])
    assert status == 200 and "问卷 S1 已结束" in html
    out = await h.set_clock("2026-11-25 10:05")
    assert any("【问卷结果】" in d.text for d in out)             # results to the staff group, as on any close
    out = await h.set_clock("2026-12-02 10:05")
    assert [d for d in out if "【服务直通车】" in d.text] == []   # no further rounds
    li = await web.user("li")
    await li.get("/inbox/surveys")
    status, html, _ = await post(li, "/inbox/surveys/S1/close", [])
    assert status == 409 and "已经结束" in html


def test_toml_export_round_trips_the_sample_file(config) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "examples" / "survey_monthly.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert tomllib.loads(S.survey_toml(data)) == data
    tricky = {"title": 'a "quoted"\n\\ line\x7f', "questions": [{"type": "text", "text": "说\t明"}]}
    assert tomllib.loads(S.survey_toml(tricky)) == tricky
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert S.draft_spec(data, config, now).questions == S.parse_survey_toml(text, config, now).questions


async def test_a_file_loaded_survey_opens_in_the_editor_and_republishes_the_same(harness) -> None:  # type: ignore[no-untyped-def]
    """A TOML with native dates (at = 2026-11-25 10:00:00) and keys the form does not show (grace, logic)."""
    h = harness
    text = EQUIVALENT_TOML.replace('at = "2026-11-25 10:00"', 'at = 2026-11-25T10:00:00\ngrace = "30m"').replace(
        'skip = "if q3 == 2 goto q5"\n', "") + '\nlogic = ["if q3 == 2 goto q5"]\n'
    text = "logic = [\"if q3 == 2 goto q5\"]\n" + text.replace('\nlogic = ["if q3 == 2 goto q5"]\n', "")
    spec = S.parse_survey_toml(text, h.config, h.clock.now())
    async with transaction(h.core.sessions) as s:
        await S.load_survey(s, h.clock.now(), h.config, spec, created_by="cli")
    before = await stored_survey(h, "S1")
    async with transaction(h.core.sessions) as s:
        draft = await S.edit_survey(s, h.clock.now(), "S1", by="li")
        draft_id = draft.id
        data = dict(draft.data)
    from bot.web import admin_surveys as W

    shown = W.editor_view(data, h.config)                       # the editor shows the file's jump under q3
    assert shown["questions"][2]["rules"] == [{"op": "==", "values": "2", "goto": "5"}]
    assert shown["mode"] == "at" and shown["sched_at"] == "2026-11-25T10:00"
    assert [g for g, _label, on in shown["groups"] if on] == ["网格1一家亲", "网格2一家亲"]
    async with transaction(h.core.sessions) as s:
        survey, sched = await S.publish_draft(s, h.clock.now(), h.config, draft_id, by="li")
        assert survey.code == "S1" and sched.grace_minutes == 30
    assert await stored_survey(h, "S1") == before
