"""The inbox's JSON API, its live feed (Server-Sent Events), exports and charts."""

from __future__ import annotations

import asyncio
import io
import json
import xml.etree.ElementTree as ET

from models import inbox as M
from models import needs as N
from tests.inbox_helpers import need, new_need, outbox, web  # noqa: F401  (web is a fixture)

G2 = "网格2一家亲"


async def _token(web, username: str) -> str:  # type: ignore[no-untyped-def]
    u = await web.user()
    status, data = await u.api("POST", "/api/token", json={"username": username, "password": "demo"})
    assert status == 200, data
    return data["token"]


async def test_api_lists_reads_and_acts_with_a_bearer_token(web) -> None:
    h = web.h
    a = await new_need(h, "3栋楼道灯不亮了,电话13812345678", building=3)
    b = await new_need(h, "2栋电梯困人了", building=2, urgent=True)
    await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    api = await web.user()
    status, data = await api.api("GET", "/api/needs")
    assert status == 401 and data["error"] == "unauthorized"
    status, data = await api.api("POST", "/api/token", json={"username": "wang", "password": "nope"})
    assert status == 401
    api.token = await _token(web, "wang")

    status, data = await api.api("GET", "/api/needs")
    assert status == 200 and data["total"] == 2 and [n["code"] for n in data["needs"]] == [b, a]
    first = data["needs"][0]
    assert first["urgent"] is True and first["clock"]["kind"] == "respond" and first["clock"]["colour"] == "green"
    assert first["clock"]["seconds_left"] == 300 and first["category_name"] == "维修"

    status, data = await api.api("GET", f"/api/needs/{a}")
    assert status == 200 and "13812345678" in data["text"] and data["requester"] == "wx_zhang"
    assert [e["action"] for e in data["events"]] == ["create", "dispatch"] and data["may_act"] is True

    status, data = await api.api("POST", f"/api/needs/{a}/actions", json={"action": "accept"})
    assert status == 200 and data["ok"] and data["need"]["status"] == "accepted" and data["message"] == "已接单。"
    status, data = await api.api("POST", f"/api/needs/{a}/actions", json={"action": "accept"})
    assert status == 409 and data["error"] == "illegal" and "不能接单" in data["message"]
    status, data = await api.api("POST", f"/api/needs/{a}/reply", json={"text": "马上到"})
    assert status == 200 and any(m.text.endswith("王网格员: 马上到") for m in await outbox(h))
    status, data = await api.api("POST", f"/api/needs/{a}/actions", json={"action": "resolve"})
    assert status == 400 and data["error"] == "no_note"
    status, data = await api.api("POST", f"/api/needs/{a}/actions", json={"action": "fly"})
    assert status == 404

    # another grid's need: not listed, not readable, not actionable
    other = "D20261123-0003"
    assert (await api.api("GET", f"/api/needs/{other}"))[0] == 404
    assert (await api.api("POST", f"/api/needs/{other}/actions", json={"action": "accept"}))[0] == 404
    assert (await need(h, other)).status == N.Status.DISPATCHED
    status, data = await api.api("GET", "/api/stats?period=今天")
    assert status == 200 and data["grid"] == 1 and data["received"] == 2


async def test_api_with_the_session_cookie_needs_the_csrf_header_for_writes(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang = await web.user("wang")
    status, data = await wang.api("GET", "/api/needs")
    assert status == 200 and data["total"] == 1
    status, data = await wang.api("POST", f"/api/needs/{code}/actions", json={"action": "accept"})
    assert status == 403 and data["error"] == "csrf"
    status, data = await wang.api("POST", f"/api/needs/{code}/actions", json={"action": "accept"},
                                  headers={"X-CSRF-Token": wang.csrf})
    assert status == 200 and data["need"]["status"] == "accepted"


async def test_a_viewer_gets_masked_data_from_the_api_and_cannot_act(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了,电话13812345678", building=3)
    api = await web.user()
    api.token = await _token(web, "guest")
    status, data = await api.api("GET", f"/api/needs/{code}")
    assert status == 200 and "138****5678" in data["text"] and data["requester"] is None
    assert data["requester_name"] == "张**" and data["events"][0]["actor_name"] == "张**"
    assert data["may_act"] is False
    status, data = await api.api("POST", f"/api/needs/{code}/actions", json={"action": "accept"})
    assert status == 403 and data["error"] == "read_only"
    assert (await api.api("GET", "/api/suggestions"))[0] == 403
    async with h.core.sessions() as s:
        assert [(v.username, v.action) for v in await M.views(s, need_code=code)] == [("guest", "api")]


async def test_openapi_describes_every_api_route(web) -> None:
    anon = await web.user()
    async with anon.http.get(web.base + "/api/openapi.json") as r:
        spec = await r.json()
    assert spec["openapi"].startswith("3.") and "bearer" in spec["components"]["securitySchemes"]
    routes = {(res.method, res.resource.canonical) for res in web.app.router.routes()
              if res.resource is not None and res.resource.canonical.startswith("/api/")
              and res.resource.canonical != "/api/openapi.json" and res.method != "HEAD"}
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    missing = {(m, p) for m, p in routes if (m, p) not in described and not p.endswith("{action}")}
    assert not missing, missing
    assert ("POST", "/api/needs/{code}/actions") in described and ("GET", "/api/needs") in described


async def _read_events(resp, want: int, timeout: float = 5.0) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    events: list[tuple[str, dict]] = []
    name = None

    async def read() -> None:
        nonlocal name
        while len(events) < want:
            line = (await resp.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name:
                events.append((name, json.loads(line[6:])))
                name = None
    await asyncio.wait_for(read(), timeout)
    return events


async def test_the_live_feed_tells_each_user_only_about_needs_they_may_see(web) -> None:
    h = web.h
    # 孙 works grid 3 and is grid 2's AB岗 (config.example.toml): grid 2's needs reach them, grid 1's never
    wang, sun = await web.user("wang"), await web.user("sun")
    async with wang.http.get(web.base + "/inbox/events") as rw, sun.http.get(web.base + "/inbox/events") as rs:
        assert rw.status == 200 and rw.headers["Content-Type"] == "text/event-stream"
        await asyncio.sleep(0.3)          # the poller has taken its starting point
        ours = await new_need(h, "2栋电梯困人了", building=2, urgent=True)
        theirs = await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
        got_wang = await _read_events(rw, 1)
        got_sun = await _read_events(rs, 1)
        assert got_wang == [("need", {"code": ours, "urgent": True, "new": True, "status": "dispatched",
                                      "updated": got_wang[0][1]["updated"]})]
        assert got_sun[0][1]["code"] == theirs and got_sun[0][1]["urgent"] is False
        # a state change reaches the page too (not new this time)
        await wang.post(f"/inbox/needs/{ours}/accept")
        (name, data), = await _read_events(rw, 1)
        assert (name, data["code"], data["new"], data["status"]) == ("need", ours, False, "accepted")
        # a new 未诉先办 suggestion of grid 1 reaches wang
        from models.db import transaction
        async with transaction(h.core.sessions) as s:
            await N.record_suggestion(s, h.clock.now(), grid=1, chat="网格1一家亲", sender_id="wx_zhang",
                                      sender_name="张阿姨", text="4栋下水道堵了", category="environment",
                                      urgent=True, building=4)
        (name, data), = await _read_events(rw, 1)
        assert name == "suggestion" and data["urgent"] is True and data["new"] is True


async def test_exports_by_role(web) -> None:
    from openpyxl import load_workbook

    h = web.h
    await new_need(h, "3栋楼道灯不亮了,电话13812345678", building=3)
    await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    li, wang = await web.user("li"), await web.user("wang")
    status, html = await li.get("/inbox/exports")
    assert status == 200 and "民情台账" in html and "/inbox/export/needs.xlsx" in html
    async with li.http.get(web.base + "/inbox/export/needs.xlsx") as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        data = await r.read()
    ws = load_workbook(io.BytesIO(data)).active
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert any("3栋楼道灯不亮了" in t for t in texts) and any("8栋水管爆了" in t for t in texts)
    assert any(t == "13812345678" for t in texts)             # an admin's ledger: phones in full
    async with wang.http.get(web.base + "/inbox/export/needs.json") as r:
        rows = json.loads(await r.read())
    assert [r["grid"] for r in rows] == [1]                   # a worker exports their own grid
    assert rows[0]["phone"] == "138****5678" and "13812345678" not in rows[0]["text"]   # … phones masked
    status, html = await wang.get("/inbox/export/bookings.csv")
    assert status == 403
    async with h.core.sessions() as s:
        assert [(v.username, v.action, v.detail) for v in await M.views(s)] == [
            ("wang", "export", "needs.json (1)"), ("li", "export", "needs.xlsx (2)")]


async def test_charts_are_server_side_svg(web) -> None:
    h = web.h
    await new_need(h, "3栋楼道灯不亮了", building=3)
    await new_need(h, "4栋楼道灯又不亮了", building=4)
    await new_need(h, "8栋垃圾没人收", building=8, category="environment", chat=G2, requester="wx_ma", name="马阿姨")
    li = await web.user("li")
    status, html = await li.get("/inbox/charts")
    assert status == 200
    svgs = html.split("<svg")[1:]
    assert len(svgs) >= 5
    for chunk in svgs:                                          # every chart is well-formed XML
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")
    assert "三率趋势" in html and ">维修</text>" in html and ">环境卫生</text>" in html and ">网格2</text>" in html
    assert "功能室使用率" in html and "钢琴房" in html          # models.booking_stats is present here
    assert "<script" not in html.split("<main>")[1]
    status, html = await (await web.user("wang")).get("/inbox/charts?days=7")
    assert status == 200 and "(网格1)" in html and ">环境卫生</text>" not in html


async def test_survey_results_appear_on_the_charts_page(web) -> None:
    from pathlib import Path

    from models import surveys as S
    from models.db import transaction

    h = web.h
    text = (Path(__file__).resolve().parents[1] / "examples" / "survey_monthly.toml").read_text(encoding="utf-8")
    async with transaction(h.core.sessions) as s:
        spec = S.parse_survey_toml(text, h.config, h.clock.now())
        await S.load_survey(s, h.clock.now(), h.config, spec)
    status, html = await (await web.user("li")).get("/inbox/charts")
    assert status == 200 and "问卷结果: 锦城社区服务直通车·月度需求问卷" in html and "共 0 份回答" in html


async def test_cursor_paging_sees_every_need_once_while_needs_arrive(web) -> None:
    h = web.h
    before = [await new_need(h, f"{b}栋楼道灯不亮了", building=b) for b in (1, 2, 3, 4, 5, 6, 7)]
    api = await web.user()
    api.token = await _token(web, "li")   # the whole community
    seen: list[str] = []
    status, data = await api.api("GET", "/api/needs?status=all&limit=3&after=")
    assert status == 200 and data["total"] == 7 and data["next"] is not None
    pages = 1
    while True:
        seen += [n["code"] for n in data["needs"]]
        # needs keep arriving between pages: they are newer than the first page, so never on a later one
        await new_need(h, "3栋电梯又坏了", building=3)
        if data["next"] is None:
            break
        status, data = await api.api("GET", f"/api/needs?status=all&limit=3&after={data['next']}")
        assert status == 200 and data["total"] is None
        pages += 1
    assert seen == list(reversed(before)) and pages == 3     # each need once, newest first
    # the offset paging of the inbox order still works
    status, data = await api.api("GET", "/api/needs?status=all&limit=2&offset=2")
    assert status == 200 and data["offset"] == 2 and len(data["needs"]) == 2
    status, data = await api.api("GET", "/api/needs?after=x")
    assert status == 400
