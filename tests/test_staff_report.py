"""月报: the printable page and its xlsx, over what each role may see, from the same model functions as
the charts and the chat commands."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from models import needs as N
from models import monthly_report as MR
from models.db import transaction
from tests.inbox_helpers import new_need, web  # noqa: F401  (web is a fixture)
from tests.test_booking_stats import _week

G2 = "网格2一家亲"


async def _november(h) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Two needs and a week of room use in November: grid 1's answered and resolved in time, grid 2's
    never touched (overdue). Then the clock moves into December, running the daily jobs."""
    await _week(h)
    done = await new_need(h, "3栋楼道灯不亮了,电话13812345678", building=3)
    late = await new_need(h, "8栋垃圾三天没人收", building=8, category="environment", chat=G2,
                          requester="wx_ma", name="马阿姨")
    person = h.core.directory.get("wx_wang")
    async with transaction(h.core.sessions) as s:
        await N.accept(s, h.clock.now(), h.config, done, person)
        await N.resolve(s, h.clock.now(), h.config, done, person, "已换灯泡")
    await h.set_clock("2026-12-01 00:10")      # the daily job computes November 30th, so November's 人气指数
    await h.set_clock("2026-12-02 10:00")
    return done, late


async def test_the_report_model_adds_up_november(web) -> None:
    h = web.h
    done, late = await _november(h)
    async with h.core.sessions() as s:
        r = await MR.monthly_report(s, h.config, date(2026, 11, 1), h.clock.now())
    assert r.label == "2026年11月" and r.scope_name == "全社区"
    assert r.total.received == 2 and r.total.resolved == 1 and r.total.resolution_rate == 0.5
    assert [(g.name, g.received, g.resolved) for g in r.by_grid] == [("网格1", 1, 1), ("网格2", 1, 0)]
    assert {c.name for c in r.by_category} == {"维修", "环境卫生"}
    assert [o.code for o in r.overdue] == [late] and "138" not in "".join(o.text for o in r.overdue)
    assert any(w.word == "垃圾" for w in r.hot_words)
    piano = next(x for x in r.rooms if x.room == "钢琴房")
    assert piano.booked_hours == 4.0 and piano.utilisation is not None and piano.utilisation > 0
    assert r.popularity and r.popularity[0].name == "全中心"
    # October had nothing
    async with h.core.sessions() as s:
        empty = await MR.monthly_report(s, h.config, date(2026, 10, 1), h.clock.now())
    assert empty.total.received == 0 and empty.overdue == [] and empty.by_grid == []


async def test_the_page_defaults_to_last_month_and_each_role_sees_its_own(web) -> None:
    h = web.h
    done, late = await _november(h)
    li = await web.user("li")
    status, html = await li.get("/inbox/report")
    assert status == 200 and "2026年11月月报" in html and "网格2" in html and late in html
    assert "钢琴房" in html and "data-print" in html and 'href="/inbox/report.xlsx?month=2026-11"' in html
    assert "13812345678" not in html

    status, html = await (await web.user("wang")).get("/inbox/report?month=2026-11")
    assert status == 200 and "(网格1)" not in html and "范围: 网格1" in html
    assert late not in html and "<td>网格2</td>" not in html
    status, html = await (await web.user("cg")).get("/inbox/report?month=2026年11月")
    assert status == 200 and "范围: 城管科" in html and late not in html and done not in html

    guest = await web.user("guest")
    status, html = await guest.get("/inbox/report?month=2026-11")
    assert status == 200 and "下载 xlsx" not in html
    status, _ = await guest.get("/inbox/report.xlsx?month=2026-11")
    assert status == 403

    for bad in ("2026-13", "十一月", "1999-01", "2026-11'--"):
        status, html = await li.get("/inbox/report?month=" + bad)
        assert status == 400 and "看不懂" in html, bad


async def test_the_xlsx_has_one_printable_sheet_per_table(web) -> None:
    h = web.h
    done, late = await _november(h)
    li = await web.user("li")
    async with li.http.get(web.base + "/inbox/report.xlsx?month=2026-11") as r:
        assert r.status == 200 and "monthly-2026-11.xlsx" in r.headers["Content-Disposition"]
        book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    assert book.sheetnames == ["三率-网格", "三率-类别", "超时诉求", "热词", "功能室使用率", "人气指数"]
    grid = [[c.value for c in row] for row in book["三率-网格"].iter_rows()]
    assert "2026年11月月报" in grid[0][0] and grid[1][:4] == ["范围", "受理", "按时响应", "响应率"]
    assert grid[2][0] == "网格1" and grid[2][5] == "100.0%" and grid[-1][0] == "合计" and grid[-1][1] == 2
    overdue = [[c.value for c in row] for row in book["超时诉求"].iter_rows()]
    assert overdue[2][0] == late
    ws = book["三率-网格"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$2:$2"


async def test_gridbot_export_monthly(harness, tmp_path, capfdbinary) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import json

    from tests.test_export_cli import gridbot

    h = harness
    done, late = await _november(h)
    url = h.core.db_url
    out = tmp_path / "nov.xlsx"
    code, _, err = await asyncio.to_thread(gridbot, capfdbinary, "export", "monthly", "--db", url,
                                           "--month", "2026-11", "--format", "xlsx", "--out", str(out))
    assert code == 0 and "已导出 2 行" in err.decode()
    assert openpyxl.load_workbook(out).sheetnames[0] == "三率-网格"
    code, data, _ = await asyncio.to_thread(gridbot, capfdbinary, "export", "monthly", "--db", url, "--month", "2026-11")
    report = json.loads(data)
    assert code == 0 and report["total"]["received"] == 2 and report["overdue"][0]["code"] == late
    code, _, err = await asyncio.to_thread(gridbot, capfdbinary, "export", "monthly", "--db", url, "--month", "11月")
    assert code == 2 and "看不懂" in err.decode() and "Traceback" not in err.decode()
