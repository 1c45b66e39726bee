"""`gridbot export needs` in every format (CONTRACTS §4): the contract keys, the 民情台账, open311."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.export import export_to
from models.needs_export import COLUMNS, CONTRACT_KEYS
from tests.test_needs import G1, G2, code_of


async def _fill(h) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    code = code_of((await h.say(G2, "wx_ma", "@小助手 8栋门口的下水道堵了,电话13812345678", name="马阿姨"))[0].text)
    dup = (await h.say(G2, "wx_yang", "@小助手 8栋门口下水道堵住了,臭死了"))[0].text
    await h.say("私聊", "wx_zhao", f"接单 {code}")
    await h.say("私聊", "wx_zhao", f"办结 {code} 已疏通")
    await h.say(G2, "wx_ma", "1")
    tree = code_of((await h.say("私聊", "wx_lin", "树洞 3栋楼上邻居每天半夜蹦迪"))[0].text)
    return code, code_of(dup), tree


async def _export(h, fmt: str, tmp_path: Path) -> bytes:  # type: ignore[no-untyped-def]
    out = tmp_path / f"needs.{fmt}"
    await export_to(h.config, "needs", fmt, db_url=h.core.db_url, out=str(out))
    return out.read_bytes()


async def test_json_has_the_contract_keys(harness, tmp_path) -> None:
    h = harness
    code, parent_as_told, tree = await _fill(h)
    rows = json.loads(await _export(h, "json", tmp_path))
    assert len(rows) == 3 and all(set(CONTRACT_KEYS) <= set(r) for r in rows)
    by_code = {r["code"]: r for r in rows}
    first = by_code[code]
    assert (first["status"], first["category"], first["urgent"], first["building"], first["grid"]) == (
        "closed", "repair", False, 8, 2)
    assert first["requester"] == "wx_ma" and first["assignee"] == "wx_zhao" and first["satisfaction"] == "satisfied"
    assert "13812345678" not in first["text"] and "138****5678" in first["text"]
    assert first["created_at"].endswith("+08:00") and first["acknowledged_at"] and first["closed_at"]
    merged = next(r for r in rows if r["merged_into"])
    assert merged["merged_into"] == code == parent_as_told
    assert by_code[tree]["requester"] is None and by_code[tree]["requester_name"] == "(匿名)"


async def test_csv_and_xlsx_are_a_printable_ledger(harness, tmp_path) -> None:
    from openpyxl import load_workbook

    h = harness
    code, _, _ = await _fill(h)
    text = (await _export(h, "csv", tmp_path)).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [title for _, title in COLUMNS]
    assert "诉求编号" in table[0] and "满意度" in table[0] and "状态" in table[0]
    first = next(r for r in table[1:] if r[0] == code)
    row = dict(zip(table[0], first))
    assert (row["类别"], row["状态"], row["满意度"], row["楼栋"], row["网格"]) == ("维修", "已关闭", "满意", "8栋", "网格2")
    assert "13812345678" not in text
    wb = load_workbook(io.BytesIO(await _export(h, "xlsx", tmp_path)))
    ws = wb.active
    assert ws.title == "民情台账" and "锦城社区" in ws["A1"].value
    assert [c.value for c in ws[2]] == [title for _, title in COLUMNS]
    assert ws.max_row == 2 + 3
    codes = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    assert code in codes


async def test_open311_is_georeport_v2(harness, tmp_path) -> None:
    h = harness
    code, _, tree = await _fill(h)
    reqs = json.loads(await _export(h, "open311", tmp_path))
    keys = {"service_request_id", "status", "status_notes", "service_code", "service_name", "description",
            "agency_responsible", "requested_datetime", "updated_datetime", "address"}
    assert len(reqs) == 3 and all(keys <= set(r) for r in reqs)
    by_id = {r["service_request_id"]: r for r in reqs}
    r = by_id[code]
    assert (r["status"], r["service_code"], r["service_name"], r["address"]) == ("closed", "repair", "维修", "8栋")
    assert "已疏通" in r["status_notes"] and "138****5678" in r["description"]
    assert by_id[tree]["status"] == "open"
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了")
    reqs = json.loads(await _export(h, "open311", tmp_path))
    assert any(x["status"] == "open" and x["address"] == "3栋" and "网格1" in x["agency_responsible"] for x in reqs)
