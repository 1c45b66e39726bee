"""The 民情台账 (`export needs`): the contract's JSON keys, the ledger a worker prints (xlsx), the CSV,
phones per audience, 树洞 anonymity, the filters and the inbox's scope, open311."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot import export as E
from bot.export.tabular import layout
from models import inbox as M
from models import needs as N
from models.db import transaction
from models.needs_export import CONTRACT_KEYS, address_of
from tests.test_needs import G1, G2, code_of


async def _fill(h) -> str:  # type: ignore[no-untyped-def]
    """A need that goes all the way round (and a duplicate merged into it), and a 树洞 need."""
    code = code_of((await h.say(G2, "wx_ma", "@小助手 8栋602门口的下水道堵了,电话13812345678", name="马阿姨"))[0].text)
    await h.say(G2, "wx_yang", "@小助手 8栋门口下水道堵住了,臭死了")
    await h.say("私聊", "wx_zhao", f"接单 {code}")
    await h.say("私聊", "wx_zhao", f"办结 {code} 已疏通")
    await h.say(G2, "wx_ma", "1")
    await h.say("私聊", "wx_lin", "树洞 3栋201楼上邻居每天半夜蹦迪,我电话13900001111")
    return code


async def _export(h, fmt: str, **kw):  # type: ignore[no-untyped-def]
    return await E.export(h.core.sessions, h.config, "needs", fmt, now=h.clock.now(), **kw)


def _json(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(result.data)


async def test_json_has_the_contract_keys(harness) -> None:
    h = harness
    code = await _fill(h)
    rows = _json(await _export(h, "json"))
    assert len(rows) == 3 and all(set(CONTRACT_KEYS) <= set(r) for r in rows)
    first = next(r for r in rows if r["code"] == code)
    assert (first["status"], first["category"], first["urgent"], first["building"], first["grid"]) == (
        "closed", "repair", False, 8, 2)
    assert first["requester"] == "wx_ma" and first["assignee"] == "wx_zhao" and first["satisfaction"] == "satisfied"
    assert first["created_at"] == "2026-11-23T09:00:00+08:00" and first["acknowledged_at"] and first["closed_at"]
    assert (first["status_name"], first["category_name"], first["address"]) == ("已关闭", "维修", "8栋602室")
    merged = next(r for r in rows if r["merged_into"])
    assert merged["merged_into"] == code and merged["status_name"] in ("已合并", "已关闭", "回访中", "已办结")
    tree = next(r for r in rows if r["source"] == "tree_hole")
    assert tree["requester"] is None and tree["requester_name"] == "匿名" and tree["phone"] is None
    assert tree["address"] == "3栋" and "13900001111" not in json.dumps(tree, ensure_ascii=False)


async def test_the_ledger_a_worker_prints(harness) -> None:
    h = harness
    code = await _fill(h)
    result = await _export(h, "xlsx")
    assert result.rows == 3 and result.filename == "锦城社区民情台账-20261123.xlsx"
    ws = load_workbook(io.BytesIO(result.data)).active
    titles = [c.value for c in ws[2]]
    assert ws.title == "民情台账" and ws["A1"].value.startswith("锦城社区 民情台账")
    assert "导出时间 2026-11-23 09:00" in ws["A1"].value and "电话已打码" in ws["A1"].value
    assert titles == [c.title for c in layout(E.KINDS["needs"])]
    for title in ("序号", "联系电话", "房号/地址", "办理时限", "回访时间", "状态", "类别", "紧急"):
        assert title in titles
    # printing: header row repeated, A4 landscape one page wide, frozen header, autofilter
    assert ws.print_title_rows == "$2:$2"
    assert (ws.page_setup.orientation, int(ws.page_setup.paperSize)) == ("landscape", 9)   # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage) == (1, 0, True)
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=len(titles)).column_letter}5"
    rows = [{t: c for t, c in zip(titles, r)} for r in ws.iter_rows(min_row=3)]
    assert [r["序号"].value for r in rows] == [1, 2, 3]
    first = next(r for r in rows if r["诉求编号"].value == code)
    received = first["受理时间"]
    assert received.is_date and received.value == datetime(2026, 11, 23, 9, 0) and "yy" in received.number_format
    assert first["回访时间"].is_date and first["办理时限"].is_date
    assert (first["状态"].value, first["类别"].value, first["紧急"].value, first["超时"].value) == ("已关闭", "维修", "否", "否")
    assert (first["房号/地址"].value, first["联系电话"].value, first["满意度"].value) == ("8栋602室", "138****5678", "满意")
    assert first["诉求内容"].alignment.wrap_text and first["诉求内容"].data_type == "s"
    letter = {t: ws.cell(row=2, column=i + 1).column_letter for i, t in enumerate(titles)}
    widths = {t: ws.column_dimensions[letter[t]].width for t in titles}
    assert widths["序号"] < 10 < widths["受理时间"] < widths["诉求内容"] <= 40
    tree = next(r for r in rows if r["渠道"].value == "树洞")
    assert tree["诉求人"].value == "匿名" and tree["联系电话"].value is None
    assert not any("13900001111" in str(c.value) for c in tree.values())


async def test_the_csv_opens_in_excel_with_readable_local_times(harness) -> None:
    h = harness
    code = await _fill(h)
    await h.set_clock("2026-11-23 09:05:07.123456")
    await h.say(G1, "wx_zhang", "@小助手 5栋电梯坏了")
    data = (await _export(h, "csv")).data
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:3] == ["序号", "诉求编号", "受理时间"]
    rows = [dict(zip(table[0], r)) for r in table[1:]]
    assert [r["序号"] for r in rows] == ["1", "2", "3", "4"]
    stamps = [r["受理时间"] for r in rows]
    assert all(re.fullmatch(r"2026-11-23 09:0[05]", s) for s in stamps) and stamps[-1] == "2026-11-23 09:05"
    first = next(r for r in rows if r["诉求编号"] == code)
    assert (first["类别"], first["状态"], first["满意度"], first["网格"], first["紧急"]) == ("维修", "已关闭", "满意", "网格2", "否")
    assert "13812345678" not in data.decode("utf-8-sig")


async def test_phones_show_in_full_only_to_who_may_see_them(harness) -> None:
    h = harness
    await _fill(h)
    admin = E.audience_for(M.WebRole.ADMIN, M.Scope(M.WebRole.ADMIN))
    worker = E.audience_for(M.WebRole.WORKER, M.Scope(M.WebRole.WORKER, grid=2, contact_id="wx_zhao"))
    full = {r["requester"]: r for r in _json(await _export(h, "json", audience=admin))}
    masked = {r["requester"]: r for r in _json(await _export(h, "json", audience=worker))}
    assert full["wx_ma"]["phone"] == "13812345678" and "电话13812345678" in full["wx_ma"]["text"]
    assert masked["wx_ma"]["phone"] == "138****5678" and "13812345678" not in masked["wx_ma"]["text"]
    assert full["wx_yang"]["phone"] is None                                   # no number in that need
    # a 树洞 need names nobody, whoever exports it (the worker of grid 2 does not see it at all)
    assert full[None]["phone"] is None and "139****1111" in full[None]["text"]
    assert None not in masked
    xlsx = load_workbook(io.BytesIO((await _export(h, "xlsx", audience=admin)).data)).active
    assert "电话已打码" not in xlsx["A1"].value
    with pytest.raises(E.ExportError):
        E.audience_for(M.WebRole.VIEWER, M.Scope(M.WebRole.VIEWER))


async def _need(h, when: str, text: str, *, grid_chat: str = G1, building: int, category: str):  # type: ignore[no-untyped-def]
    await h.set_clock(when)
    async with transaction(h.core.sessions) as s:
        intake = await N.create_need(s, h.clock.now(), h.config, text=text, category=category, urgent=False,
                                     building=building, source=N.Source.GROUP, requester="wx_zhang",
                                     requester_name="张阿姨", chat=grid_chat, merge=False)
        return intake.need.code


async def test_filters_by_local_days_grid_status_and_category(harness) -> None:
    h = harness
    a = await _need(h, "2026-11-23 09:00", "3栋电梯坏了", building=3, category="repair")
    b = await _need(h, "2026-11-30 23:30", "8栋垃圾没人收", grid_chat=G2, building=8, category="environment")
    c = await _need(h, "2026-12-01 00:10", "2栋楼道灯坏了", building=2, category="repair")
    await h.say("私聊", "wx_wang", f"接单 {a}")
    await h.say("私聊", "wx_wang", f"办结 {a} 已修好")

    async def codes(**typed: str) -> list[str]:
        f = E.parse_filter(h.config, "needs", **typed)
        return [r["code"] for r in _json(await _export(h, "json", filters=f))]

    assert await codes() == [a, b, c]
    assert await codes(date_from="2026-11-01", date_to="2026-11-30") == [a, b]      # local days, not UTC
    assert await codes(date_from="2026/12/01") == [c]
    assert await codes(grid="1") == [a, c] and await codes(grid="网格2") == [b]
    assert await codes(status="open") == [b, c] and await codes(status="done") == [a]
    assert await codes(status="回访中") == [a] and await codes(status="resolved") == []   # 办结 asks for 回访
    assert await codes(category="repair") == [a, c] and await codes(category="环境卫生") == [b]
    assert await codes(date_from="2026-11-01", date_to="2026-11-30", grid="1", status="done", category="维修") == [a]
    # the inbox's scope: a grid worker gets their grid and what they hold, nothing else
    worker = E.audience_for(M.WebRole.WORKER, M.Scope(M.WebRole.WORKER, grid=1, contact_id="wx_wang"))
    assert [r["code"] for r in _json(await _export(h, "json", audience=worker))] == [a, c]
    november_grid1 = E.parse_filter(h.config, "needs", date_from="2026-11-01", date_to="2026-11-30", grid="1")
    xlsx = load_workbook(io.BytesIO((await _export(h, "xlsx", filters=november_grid1)).data)).active
    assert "自 2026-11-01 · 至 2026-11-30 · 网格1" in xlsx["A1"].value and xlsx.max_row == 3


def test_typed_filters_are_checked_with_one_clear_line(config) -> None:  # type: ignore[no-untyped-def]
    for kind, typed, words in (
        ("needs", {"date_from": "11月1日"}, "YYYY-MM-DD"),
        ("needs", {"date_from": "2026-11-30", "date_to": "2026-11-01"}, "晚于"),
        ("needs", {"grid": "9"}, "没有网格"),
        ("needs", {"status": "finished"}, "没有状态"),
        ("needs", {"category": "火星"}, "没有类别"),
        ("bookings", {"category": "repair"}, "不能按类别筛选"),
        ("surveys", {"status": "open"}, "不能按状态筛选"),
        ("parcels", {}, "暂不支持导出"),
    ):
        with pytest.raises(E.ExportError) as err:
            E.parse_filter(config, kind, **typed)
        assert words in str(err.value) and "\n" not in str(err.value)
    f = E.parse_filter(config, "bookings", status="已取消", grid=" 2 ")
    assert (f.status, f.grid) == ("cancelled", 2)


async def test_open311_is_georeport_v2(harness) -> None:
    h = harness
    code = await _fill(h)
    reqs = _json(await _export(h, "open311"))
    keys = {"service_request_id", "status", "status_notes", "service_code", "service_name", "description",
            "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "address"}
    assert len(reqs) == 3 and all(keys <= set(r) for r in reqs)
    r = next(x for x in reqs if x["service_request_id"] == code)
    assert (r["status"], r["service_code"], r["service_name"], r["address"]) == ("closed", "repair", "维修", "8栋602室")
    assert "已疏通" in r["status_notes"] and "138****5678" in r["description"] and r["expected_datetime"] is None
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了")
    opened = next(x for x in _json(await _export(h, "open311")) if x["address"] == "3栋")
    assert opened["status"] == "open" and "网格1" in opened["agency_responsible"]
    assert opened["expected_datetime"] > opened["requested_datetime"]
    with pytest.raises(E.ExportError):
        await E.export(h.core.sessions, h.config, "bookings", "open311", now=h.clock.now())


@pytest.mark.parametrize(("text", "building", "address"), [
    ("7栋602家里漏水", 7, "7栋602室"), ("3号楼2单元401的住户", 3, "3栋2单元401室"), ("7-2-602 楼上噪音", 7, "7栋2单元602室"),
    ("十二幢301", 12, "12栋301室"), ("5#楼301", 5, "5栋301室"), ("3栋6楼楼道灯坏了", 3, "3栋6楼"),
    ("我家602室漏水", 8, "8栋602室"), ("3栋电梯又坏了", 3, "3栋"), ("3栋300元的押金", 3, "3栋"),
    ("14:00-16:00 在3栋", 3, "3栋"), ("小区东门路灯坏了", None, None),
])
def test_room_and_address_from_the_need_text(text: str, building: int | None, address: str | None) -> None:
    assert address_of(text, building) == address
