"""Attacks on the H5 survey page (issue 11 point 7): one household answering many times by spelling its
flat differently, households that do not exist, a flood from one client, and over-long fields (HTTP 500 on
PostgreSQL before). aiohttp's test client against setup_routes, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from models import surveys as S
from tests.test_surveys import MONTHLY, answer_rows, load
from tests.test_surveys_h5 import _client, _csrf

ANSWERS = {"q1": "2", "q2": "1", "q3": "2", "q5": "4"}


@pytest.mark.parametrize(("building", "room", "expected"), [
    ("1", "101", (1, "101")), ("1", "0101", (1, "101")), ("１", "１０１", (1, "101")), ("1", "1单元101", (1, "101")),
    ("1号楼", "101室", (1, "101")), ("", "1栋101", (1, "101")), ("3", "2-401", (3, "2-401")),
    ("3", "2单元401室", (3, "2-401")), ("3-2-401", "", (3, "2-401")), ("3号楼2单元401室", "", (3, "2-401")),
    ("", "３号楼２单元４０１室", (3, "2-401")), ("三", "2单元0401", (3, "2-401")),
    ("1", "100", None), ("1", "abc", None), ("", "", None), ("1", "12", None)])
def test_one_household_is_one_spelling(building: str, room: str, expected: Any) -> None:
    assert S.parse_household_fields(building, room) == expected


def test_chat_households_are_spelt_the_same_way() -> None:
    assert S.parse_household("7号楼 1单元 0602") == S.parse_household("７栋６０２") == (7, "602")
    assert S.parse_household("3-2-401") == S.parse_household("3号楼2单元401室") == (3, "2-401")


async def _post(client: TestClient, **fields: str) -> tuple[int, str]:
    page = await (await client.get("/s/S1?g=1")).text()
    resp = await client.post("/s/S1", data={"csrf": _csrf(page), "g": "1", "name": "张阿姨", **ANSWERS, **fields})
    return resp.status, await resp.text()


async def _open_survey(h: Any) -> TestClient:
    await load(h, MONTHLY.replace('cron = "每月1日 10:00"', 'at = "2026-11-23 09:30"'))
    await h.set_clock("2026-11-23 09:30")
    return await _client(h)


async def test_one_household_answers_once_however_it_writes_its_flat(harness) -> None:
    client = await _open_survey(harness)
    try:
        assert (await _post(client, building="1", room="101"))[0] == 200
        for building, room in (("1", "0101"), ("１", "１０１"), ("1", "1单元101"), ("1号楼", "101室"), ("", "1-101")):
            status, page = await _post(client, building=building, room=room)
            assert status == 409 and "已经填写过" in page, (building, room)
        assert (await _post(client, building="1", room="2单元101"))[0] == 200     # another unit: another home
        rows = await answer_rows(harness)
        assert sorted((r.building, r.room) for r in rows) == [(1, "101"), (1, "2-101")]
    finally:
        await client.close()


async def test_a_household_that_does_not_exist_is_refused_politely(harness) -> None:
    client = await _open_survey(harness)
    try:
        status, page = await _post(client, building="99", room="101")        # the config has buildings 1–15
        assert status == 400 and "本小区没有99号楼" in page and 'value="99"' in page
        status, page = await _post(client, building="1", room="100")
        assert status == 400 and "请填写楼栋和房号" in page
        assert await answer_rows(harness) == []
    finally:
        await client.close()


async def test_over_long_fields_are_a_clear_400(harness) -> None:
    client = await _open_survey(harness)
    try:
        status, page = await _post(client, name="张" * 65, building="1", room="101")
        assert status == 400 and "「您的称呼」太长了(最多20个字)" in page
        status, page = await _post(client, building="1" * 300, room="101")
        assert status == 400 and "「楼栋」太长了" in page
        status, page = await _post(client, building="1", room="101", q4="很长" * 400)
        assert status == 400 and "第4题" in page
        assert await answer_rows(harness) == []
        assert (await _post(client, name="张" * 20, building="1", room="101"))[0] == 200
    finally:
        await client.close()


async def test_one_client_posting_in_a_loop_is_slowed_down(harness) -> None:
    client = await _open_survey(harness)
    try:
        statuses = [(await _post(client, building=str(1 + i % 15), room=f"{101 + i // 15}"))[0] for i in range(22)]
        assert statuses[:20] == [200] * 20 and statuses[20:] == [429, 429]
        status, page = await _post(client, building="15", room="909")
        assert status == 429 and "提交太频繁" in page
        await harness.advance("10m")
        assert (await _post(client, building="15", room="909"))[0] == 200
    finally:
        await client.close()
