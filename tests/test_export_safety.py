"""Exports are formula-safe (issue 11 §5): whatever a resident or a worker typed — need texts, names,
room purposes, event titles, survey answers — opens in Excel as text, never as a live formula, in CSV
and xlsx alike; numbers stay numbers and dates stay dates."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from openpyxl import load_workbook

from bot import export as E
from bot.export.cells import csv_cell, formula_safe, xlsx_cell
from models import booking as B
from models import events as EV
from models import needs as N
from models import surveys as S
from models.db import transaction

ATTACKS = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
TRIGGERS = tuple("=+-@\t\r\n")
SURVEY = """
code = "S9"
title = "=HYPERLINK(\\"http://evil\\",\\"x\\")"
groups = "网格1"
[[questions]]
type = "text"
text = "还有什么建议?"
"""


def test_a_text_a_spreadsheet_would_run_gets_an_apostrophe_and_numbers_stay_numbers() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    for attack in ATTACKS + [" =1+1", "\n=1", "＝1+1", "-5人"]:
        assert formula_safe(attack) == "'" + attack
        assert csv_cell(attack, tz) == "'" + attack and xlsx_cell(attack, tz) == "'" + attack
    for text in ("3栋电梯坏了", "5人", "D20261123-0001", "'quoted", "a=b"):
        assert formula_safe(text) == text
    assert csv_cell(-5, tz) == -5 and xlsx_cell(-5, tz) == -5 and csv_cell(2.5, tz) == 2.5
    assert csv_cell(True, tz) == "是" and csv_cell(False, tz) == "否" and csv_cell(None, tz) == ""
    moment = datetime(2026, 11, 23, 1, 5, 7, 123456, tzinfo=ZoneInfo("UTC"))
    assert csv_cell(moment, tz) == "2026-11-23 09:05" and xlsx_cell(moment, tz) == datetime(2026, 11, 23, 9, 5, 7)
    assert xlsx_cell("bell\x07 and nul\x00", tz) == "bell and nul"      # xlsx cannot hold control characters


def test_a_negative_number_column_stays_numeric_while_a_text_is_neutralised(config) -> None:  # type: ignore[no-untyped-def]
    kind = E.KINDS["bookings"]
    row = {c.key: None for c in kind.columns} | {"code": "B1", "party_size": -5, "purpose": "-5人"}
    table = list(csv.reader(io.StringIO(E.render(kind, [row], "csv", config).decode("utf-8-sig"))))
    line = dict(zip(table[0], table[1]))
    assert (line["人数/座位"], line["用途"]) == ("-5", "'-5人")
    ws = load_workbook(io.BytesIO(E.render(kind, [row], "xlsx", config))).active
    cells = {ws.cell(row=2, column=i + 1).value: c for i, c in enumerate(ws[3])}
    assert cells["人数/座位"].value == -5 and cells["人数/座位"].data_type == "n"
    assert cells["用途"].value == "'-5人" and cells["用途"].data_type == "s"


async def _plant(h) -> None:  # type: ignore[no-untyped-def]
    """Every attack in every free-text field the four exports print."""
    now = h.clock.now()
    start = datetime(2026, 11, 24, 9, 0, tzinfo=h.config.timezone)
    async with transaction(h.core.sessions) as s:
        for i, attack in enumerate(ATTACKS):
            await N.create_need(s, now, h.config, text=attack, category="repair", urgent=False, building=3,
                                source=N.Source.GROUP, requester=f"wx_r{i}", requester_name=attack,
                                chat="网格1一家亲", merge=False)
            await B.create_booking(s, now, h.config, room="会议室", person_id=f"wx_r{i}", person_name=attack,
                                   start=start + timedelta(hours=i), end=start + timedelta(hours=i, minutes=30),
                                   scope="网格1一家亲", purpose=attack, quota=False)
            spec = EV.EventSpec(title=attack, starts_at=start + timedelta(days=3, hours=i), place=attack, capacity=10)
            event = await EV.publish_event(s, now, spec, created_by="wx_li", groups=["网格1一家亲"])
            await EV.sign_up(s, now, event.id, name=attack, contact_id=f"wx_r{i}", party_size=1,
                             group="网格1一家亲", added_by=f"wx_r{i}")
        survey, _ = await S.load_survey(s, now, h.config, S.parse_survey_toml(SURVEY, h.config, now), created_by="test")
        await S.open_round(s, now, survey)
    for i, attack in enumerate(ATTACKS):
        async with transaction(h.core.sessions) as s:
            await S.submit_response(s, now, h.config, "S9", S.Respondent(person_id=f"wx_r{i}", name=attack,
                                                                     group="网格1一家亲"), {1: attack}, channel="chat")


def _dangerous(value: str) -> bool:
    return value.startswith(TRIGGERS)


async def test_every_kind_and_format_is_formula_safe(harness) -> None:
    h = harness
    await _plant(h)
    for kind in ("needs", "bookings", "signups", "surveys"):
        result = await E.export(h.core.sessions, h.config, kind, "csv", now=h.clock.now())
        assert result.rows == len(ATTACKS)
        cells = [c for row in csv.reader(io.StringIO(result.data.decode("utf-8-sig"))) for c in row]
        assert not [c for c in cells if _dangerous(c)], kind
        for attack in ATTACKS:     # (events keep names and titles stripped: "\t=1" is stored as "=1")
            assert {"'" + attack, "'" + attack.strip()} & set(cells), (kind, attack)

        ws = load_workbook(io.BytesIO((await E.export(h.core.sessions, h.config, kind, "xlsx", now=h.clock.now())).data)).active
        texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"], kind
        assert all(c.data_type == "s" and not _dangerous(c.value) for c in texts), kind
        written = {c.value.replace("\r", "\n") for c in texts}      # XML reads a bare CR back as LF
        for attack in ATTACKS:
            assert {"'" + attack.replace("\r", "\n"), "'" + attack.strip()} & written, (kind, attack)
        dates = [c for row in ws.iter_rows(min_row=3) for c in row if isinstance(c.value, datetime)]
        assert dates and all(c.is_date for c in dates)

        data = json.loads((await E.export(h.core.sessions, h.config, kind, "json", now=h.clock.now())).data)
        assert ATTACKS[0] in [v for r in data for v in r.values()], kind     # JSON is data: kept as typed
