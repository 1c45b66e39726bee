"""The signup scenario scripts replayed like `gridbot simulate` does, on each database backend."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import select

from bot.export import export_rows
from bot.simulate import run_script
from models.db import make_engine, make_sessionmaker
from models.events import Signup
from texts.events import mask_name

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


async def _replay(config, db_url: str, name: str) -> list[dict]:
    out = io.StringIO()
    lines = (SCENARIOS / name).read_text(encoding="utf-8").splitlines()
    await run_script(config, lines, out, db_url=db_url)
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def _export(config, db_url: str) -> list[dict]:
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            _kind, rows = await export_rows(s, config, "signups")
            rows_db = (await s.scalars(select(Signup))).all()
            assert len(rows_db) == len(rows)
            return rows
    finally:
        await engine.dispose()


def _said(lines: list[dict], to: str, words: str) -> list[dict]:
    return [x for x in lines if x["to"] == to and words in x["text"]]


async def test_signup_full_scenario(config, db_url) -> None:
    lines = await _replay(config, db_url, "signup_full.txt")
    groups = ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
    # publication: the summary to the admin, one notice per group a minute later
    assert "E101" in lines[0]["text"] and lines[0]["to"] == "私聊:wx_li"
    notices = [x for x in lines if x["text"].startswith("【活动报名】")]
    assert sorted(x["to"] for x in notices) == groups and all(x["at"].startswith("2026-11-24T10:01") for x in notices)
    # five 接龙 posts: five replies naming only the new line each time
    for cid, name in [("wx_feng", "冯女士"), ("wx_he", "何大爷"), ("wx_xu", "许先生"), ("wx_zhou", "周阿姨"),
                      ("wx_wu", "吴老师")]:
        said = [x for x in lines if x["mentions"] == [cid]]
        assert said and mask_name(name) in said[0]["text"] and name not in said[0]["text"]   # masked in the group
    assert "候补第3位" in [x for x in lines if x["mentions"] == ["wx_wu"]][0]["text"]
    # the cancellation moves 许先生 up, told in his own group
    promoted = _said(lines, "网格3一家亲", "候补转为正式报名")
    assert len(promoted) == 1 and promoted[0]["mentions"] == ["wx_xu"]
    # rosters: masked, batched (first one after ten minutes), in every group
    rosters = [x for x in lines if x["text"].startswith("#接龙")]
    assert rosters and all("张阿姨" not in x["text"] and "张*姨" in x["text"] for x in rosters)
    assert {x["to"] for x in rosters} == set(groups)
    # reminders at 18:00 the day before and 13:00 (an hour before 14:00)
    day = [x for x in lines if "明天的活动提醒" in x["text"]]
    hour = [x for x in lines if "还有1小时开始" in x["text"]]
    assert sorted(x["to"] for x in day) == groups and all(x["at"] == "2026-11-28T13:00:00+08:00" for x in hour)
    assert all(x["at"] == "2026-11-27T18:00:00+08:00" for x in day) and len(hour) == 3
    assert set(day[2]["mentions"]) == {"wx_qian", "wx_feng", "wx_he", "wx_xu"}
    # after the deadline residents are refused politely
    assert _said(lines, "网格2一家亲", "报名已于11月27日(周五) 20:00截止")
    # check-in, the publisher's summary and the no-show
    assert _said(lines, "网格1一家亲", "签到成功")
    assert _said(lines, "私聊:wx_li", "未到1组: 何大爷")
    assert _said(lines, "私聊:wx_li", "何大爷: 1次")
    # the export: 11 signups, 5 of them from the 接龙 list
    rows = await _export(config, db_url)
    assert len(rows) == 11
    by_person = {r["person"]: r for r in rows}
    assert sum(r["source"] == "jielong" for r in rows) == 5
    assert (by_person["林同学"]["status"], by_person["许先生"]["status"]) == ("cancelled", "confirmed")
    assert [(r["person"], r["position"]) for r in rows if r["status"] == "waiting"] == [("周阿姨", 1), ("吴老师", 2)]
    assert sum(r["party_size"] for r in rows if r["status"] == "confirmed") == 12
    assert by_person["王芳"]["checked_in"] and by_person["何大爷"]["no_show"]


async def test_shared_signup_jielong_scenario(config, db_url) -> None:
    lines = await _replay(config, db_url, "signup_jielong.txt")
    assert lines[0]["to"] == "私聊:wx_sun" and "E101" in lines[0]["text"]
    assert lines[1]["to"] == "网格3一家亲" and lines[1]["text"].startswith("【活动报名】反诈讲座")
    replies = {tuple(x["mentions"]): x["text"] for x in lines[2:]}
    assert "2人" in replies[("wx_qian",)] or "您的报名" in replies[("wx_qian",)]
    assert "已报名" in replies[("wx_xu",)]
    assert "冯*士(2人)" in replies[("wx_feng",)] and "何*爷(1人)" in replies[("wx_he",)]
    assert "反诈讲座(E101) 2人 已报名" in lines[-1]["text"]
    rows = {r["person"]: r for r in await _export(config, db_url)}
    assert {n: r["party_size"] for n, r in rows.items()} == {"钱奶奶": 2, "许先生": 1, "冯女士": 2, "何大爷": 1}
