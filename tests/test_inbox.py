"""The web inbox (诉求工作台) over HTTP: the list and its order and clocks, roles, a need's page and its
actions (which must reach the resident in the chat's own words), CSRF, tree holes, merged needs,
未诉先办 suggestions and the view audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from texts import needs as T
from models import inbox as M
from models import needs as N
from models.db import transaction
from tests.inbox_helpers import CSRF_RE, codes_in, need, new_need, outbox, web  # noqa: F401  (web is a fixture)

G1, G2 = "网格1一家亲", "网格2一家亲"


async def test_the_list_shows_urgent_then_overdue_then_the_nearest_clock_with_colours(web) -> None:
    h = web.h                                                       # Monday 2026-11-23 09:00
    old = await new_need(h, "3栋楼道灯不亮了", building=3)            # due 11:00 (2 working hours)
    h.clock.advance(timedelta(minutes=30))     # the clock only: these rows are about the inbox, not 督办
    later = await new_need(h, "4栋门口垃圾没人收", building=4, category="environment")   # due 11:30
    urgent = await new_need(h, "2栋电梯困人了", building=2, urgent=True)                 # due 09:35
    other_grid = await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    wang = await web.user("wang")
    status, html = await wang.get("/inbox")
    assert status == 200
    assert codes_in(html) == [urgent, old, later]                   # grid 2's need is not wang's
    assert other_grid not in html
    assert 'class="need is-urgent c-green"' in html and "共 3 件 · 紧急 1 · 超时 0" in html

    h.clock.advance(timedelta(minutes=62))     # 10:32: the urgent clock ran out; the first need has 28 minutes left
    status, html = await wang.get("/inbox")
    assert codes_in(html) == [urgent, old, later]
    row = lambda code: re.search(rf'<a class="(need[^"]*)" href="/inbox/needs/{code}"', html).group(1)  # noqa: E731
    assert row(urgent).endswith("c-red") and row(old).endswith("c-amber") and row(later).endswith("c-green")
    assert "超时 1" in html and "响应剩28分" in html

    # an overdue normal need goes above one whose clock is still running, urgent stays first
    h.clock.advance(timedelta(minutes=30))     # 11:02: `old` is past its 11:00 deadline
    status, html = await wang.get("/inbox")
    assert codes_in(html) == [urgent, old, later]
    status, html = await wang.get("/inbox?overdue=1")
    assert codes_in(html) == [urgent, old]


async def test_filters_by_category_status_urgency_text_and_date(web) -> None:
    h = web.h
    a = await new_need(h, "3栋楼道灯不亮了", building=3)
    b = await new_need(h, "5栋门口垃圾堆满了", building=5, category="environment")
    c = await new_need(h, "1栋有煤气味", building=1, urgent=True, category="safety")
    li = await web.user("li")
    assert codes_in((await li.get("/inbox?category=environment"))[1]) == [b]
    assert codes_in((await li.get("/inbox?urgent=1"))[1]) == [c]
    assert codes_in((await li.get("/inbox?q=垃圾"))[1]) == [b]
    assert codes_in((await li.get(f"/inbox?q={a.lower()}"))[1]) == [a]
    assert codes_in((await li.get("/inbox?from=2026-11-24"))[1]) == []
    assert set(codes_in((await li.get("/inbox?from=2026-11-23&to=2026-11-23"))[1])) == {a, b, c}
    assert codes_in((await li.get("/inbox?grid=2"))[1]) == []
    status, html = await li.get("/inbox?status=done")
    assert status == 200 and codes_in(html) == [] and "没有符合条件的诉求" in html
    # the fragment the live page re-fetches applies the same filters
    async with li.http.get(web.base + "/inbox/rows?category=safety") as r:
        data = await r.json()
    assert data["codes"] == [c] and data["urgent"] == 1 and "Server-Timing" in r.headers


async def test_a_worker_cannot_open_or_act_on_another_grids_need(web) -> None:
    h = web.h
    theirs = await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    wang = await web.user("wang")
    status, html = await wang.get(f"/inbox/needs/{theirs}")
    assert status == 404 and f"没有找到诉求 {theirs}" in html and "8栋水管爆了" not in html
    status, html = await wang.post(f"/inbox/needs/{theirs}/accept")
    assert status == 404 and (await need(h, theirs)).status == N.Status.DISPATCHED
    # …while its own grid worker can
    zhao = await web.user("zhao")
    status, html = await zhao.get(f"/inbox/needs/{theirs}")
    assert status == 200 and "8栋水管爆了" in html and f'action="/inbox/needs/{theirs}/accept"' in html


async def test_actions_from_the_web_reach_the_resident_in_the_chat_commands_words(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang = await web.user("wang")
    status, html = await wang.post(f"/inbox/needs/{code}/accept")
    assert status == 200 and "已接单。" in html and "已签收" in html
    status, html = await wang.post(f"/inbox/needs/{code}/reply", {"text": "已联系电工,下午两点前到"})
    assert status == 200 and "已回复居民" in html
    status, html = await wang.post(f"/inbox/needs/{code}/resolve", {"note": "灯已换好"})
    assert status == 200 and "已办结,已请居民评价" in html and "已请居民评价,等待回复" in html

    n = await need(h, code)
    assert (n.status, n.assignee, n.acknowledged_by, n.resolution) == (N.Status.VISITING, "wx_wang", "wx_wang", "灯已换好")
    async with h.core.sessions() as s:
        events = await N.events_of(s, n)
    assert [(e.action, e.actor) for e in events][2:] == [("accept", "wx_wang"), ("reply", "wx_wang"),
                                                        ("resolve", "wx_wang"), ("visit", None)]
    to_group = [m for m in await outbox(h) if m.chat_id == G1]
    assert [m.text for m in to_group] == [
        T.REPLY_TO_RESIDENT.format(code=code, worker="王网格员", text="已联系电工,下午两点前到"),
        T.RESOLVED_TO_RESIDENT.format(code=code, note="灯已换好")]
    assert all(m.mentions == ["wx_zhang"] for m in to_group)
    assert [d.to for d in await h.advance("1s")] == [G1, G1]               # the outbox sender delivers them

    # the resident rates in chat, and the need page shows it
    out = await h.say(G1, "wx_zhang", "满意", name="张阿姨")
    assert "谢谢您的评价" in out[0].text
    status, html = await wang.get(f"/inbox/needs/{code}")
    assert "<h2>回访评价</h2>" in html and "<dd>满意</dd>" in html and "已关闭" in html
    actions = re.findall(r'action="/inbox/needs/[^/]+/(\w+)"', html.split("办理记录")[0].split("回访评价")[1])
    assert actions == ["reopen"]                                          # closed: only 重新打开 is left


async def test_two_web_replies_within_one_second_are_both_sent(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang = await web.user("wang")
    await wang.post(f"/inbox/needs/{code}/reply", {"text": "收到,马上来"})
    await wang.post(f"/inbox/needs/{code}/reply", {"text": "电工已到楼下"})    # same simulated second
    texts = [m.text for m in await outbox(h) if m.chat_id == G1]
    assert len(texts) == 2 and texts[1].endswith("电工已到楼下")


async def test_transfer_to_a_department_which_sees_only_its_needs_and_signs(web) -> None:
    h = web.h
    code = await new_need(h, "3栋门口有人占道摆摊", building=3, category="environment")
    other = await new_need(h, "2栋楼道灯不亮了", building=2)
    li, cg = await web.user("li"), await web.user("cg")
    assert codes_in((await cg.get("/inbox"))[1]) == []
    status, html = await li.post(f"/inbox/needs/{code}/transfer", {"department": "城管科", "note": "占道经营"})
    assert status == 200 and "已转派城管科,须在 09:30 前签收" in html
    notice = [m for m in await outbox(h) if m.chat_id == "wx_cg"]
    assert len(notice) == 1 and notice[0].text.startswith(f"【转派·请签收】{code}") and "占道经营" in notice[0].text

    status, html = await cg.get("/inbox")
    assert codes_in(html) == [code] and "签收剩" in html
    assert (await cg.get(f"/inbox/needs/{other}"))[0] == 404
    status, html = await cg.get(f"/inbox/needs/{code}")
    assert '>签收</button>' in html and "/transfer" not in html       # a department cannot transfer again
    status, html = await cg.post(f"/inbox/needs/{code}/accept")
    assert "已签收。" in html
    n = await need(h, code)
    assert (n.status, n.department, n.acknowledged_by) == (N.Status.ACCEPTED, "城管科", "wx_li")
    # a hand-back with a reason goes to whoever transferred it
    status, html = await cg.post(f"/inbox/needs/{code}/return", {"reason": "不属于城管职责"})
    assert status == 200 and f"{code} 已退单,它已不在您的列表中" in html   # back on the department's list page
    assert (await cg.get(f"/inbox/needs/{code}"))[0] == 404                # no longer the department's
    n = await need(h, code)
    assert (n.status, n.department, n.assignee) == (N.Status.DISPATCHED, None, "wx_li")
    assert any(m.chat_id == "wx_li" and "不属于城管职责" in m.text for m in await outbox(h))


async def test_refusals_use_the_chat_sentences_and_keep_the_typed_text(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang = await web.user("wang")
    status, html = await wang.post(f"/inbox/needs/{code}/resolve", {"note": "  "})
    assert status == 400 and T.ERRORS["no_note"].format(code=code) in html.replace("&quot;", '"')
    await wang.post(f"/inbox/needs/{code}/accept")
    status, html = await wang.post(f"/inbox/needs/{code}/accept")
    assert status == 409 and f"{code} 当前状态是「已签收」,不能接单。" in html
    status, html = await wang.post(f"/inbox/needs/{code}/transfer", {"department": ""})
    assert status == 400 and "请选择要转派的科室" in html
    status, html = await wang.post(f"/inbox/needs/{code}/return", {"reason": ""})
    assert status == 400 and "退单需要写明原因" in html
    status, html = await wang.post(f"/inbox/needs/{code}/nonsense")
    assert status == 404
    assert (await wang.get("/inbox/needs/D20990101-0001"))[0] == 404


async def test_a_post_without_the_csrf_token_is_refused(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang = await web.user("wang")
    status, html = await wang.post(f"/inbox/needs/{code}/accept", csrf=False)
    assert status == 403 and "缺少安全令牌" in html
    status, _ = await wang.post(f"/inbox/needs/{code}/accept", {"_csrf": "forged"}, csrf=False)
    assert status == 403
    assert (await need(h, code)).status == N.Status.DISPATCHED
    status, _ = await wang.post("/inbox/logout", csrf=False)
    assert status == 403 and (await wang.get("/inbox"))[0] == 200          # still logged in
    # the login form has its own token too
    anon = await web.user()
    async with anon.http.post(web.base + "/inbox/login", data={"username": "wang", "password": "demo"}) as r:
        assert r.status == 403


async def test_a_viewer_reads_with_personal_data_masked_and_cannot_act(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了,我电话13812345678", building=3)
    guest = await web.user("guest")
    status, html = await guest.get("/inbox")
    assert status == 200 and "138****5678" in html and "13812345678" not in html
    status, html = await guest.get(f"/inbox/needs/{code}")
    assert status == 200 and "138****5678" in html and "13812345678" not in html
    assert "张阿姨" not in html and "张**" in html
    assert "/accept" not in html and "<h2>办理</h2>" not in html
    status, html = await guest.post(f"/inbox/needs/{code}/accept")
    assert status == 403 and "只读账号不能办理诉求" in html
    assert (await guest.get("/inbox/exports"))[0] == 403 and (await guest.get("/inbox/suggestions"))[0] == 403
    # the worker of the grid sees the number: they have to call back
    status, html = await (await web.user("wang")).get(f"/inbox/needs/{code}")
    assert "13812345678" in html and "张阿姨" in html


async def test_a_tree_hole_need_never_shows_who_and_a_reply_is_kept_not_sent(web) -> None:
    h = web.h
    code = await new_need(h, "楼上邻居每天半夜很吵", building=None, category="neighbor", requester=None, name=None,
                          chat=None, source=N.Source.TREE_HOLE)
    li = await web.user("li")
    status, html = await li.get(f"/inbox/needs/{code}")
    assert status == 200 and "树洞(匿名)" in html
    status, html = await li.post(f"/inbox/needs/{code}/reply", {"text": "已和楼上沟通"})
    assert "树洞诉求的居民是匿名的" in html
    assert [m for m in await outbox(h) if "已和楼上沟通" in m.text] == []
    # …and the resident sees it with 查 and the follow-up code they were given (the need code reads nothing)
    out = await h.say("私聊", "wx_lin", f"查 {(await need(h, code)).follow_code}")
    assert "已和楼上沟通" in out[0].text
    out = await h.say("私聊", "wx_lin", f"查 {code}")
    assert "已和楼上沟通" not in out[0].text


async def test_merged_needs_are_listed_on_the_parent_and_followers_point_to_it(web) -> None:
    h = web.h
    parent = await new_need(h, "3栋楼道灯不亮了", building=3, merge=True)
    child = await new_need(h, "3栋楼道灯不亮了", building=3, requester="wx_qian", name="钱奶奶", merge=True)
    assert (await need(h, child)).merged_into == parent
    li = await web.user("li")
    status, html = await li.get(f"/inbox/needs/{parent}")
    assert "合并的同类诉求(1)" in html and f'href="/inbox/needs/{child}"' in html and "钱奶奶" in html
    status, html = await li.get(f"/inbox/needs/{child}")
    assert f'href="/inbox/needs/{parent}"' in html and "<h2>办理</h2>" not in html
    # resolving the parent tells both residents
    await li.post(f"/inbox/needs/{parent}/resolve", {"note": "灯已换好"})
    sent = [m for m in await outbox(h) if m.chat_id == G1]
    assert len(sent) == 1 and sorted(sent[0].mentions) == ["wx_qian", "wx_zhang"]


async def test_suggestions_confirm_into_a_need_or_dismiss_by_grid(web) -> None:
    h = web.h
    async with transaction(h.core.sessions) as s:
        mine = await N.record_suggestion(s, h.clock.now(), grid=1, chat=G1, sender_id="wx_zhang", sender_name="张阿姨",
                                         text="4栋下水道又堵了,臭死了", category="environment", urgent=False, building=4)
        theirs = await N.record_suggestion(s, h.clock.now(), grid=2, chat=G2, sender_id="wx_ma", sender_name="马阿姨",
                                           text="9栋路灯坏了好几天", category="repair", urgent=False, building=9)
        mine_id, theirs_id = mine.id, theirs.id
    wang = await web.user("wang")
    status, html = await wang.get("/inbox/suggestions")
    assert "4栋下水道又堵了" in html and "9栋路灯坏了" not in html
    assert '<a href="/inbox/suggestions">未诉先办 <b class="badge">1</b></a>' in (await wang.get("/inbox"))[1]
    status, html = await wang.post(f"/inbox/suggestions/{theirs_id}/dismiss")
    assert status == 403
    status, html = await wang.post(f"/inbox/suggestions/{mine_id}/confirm", {"category": "environment"})
    code = re.search(r"已登记为诉求 (D\d{8}-\d{4})", html).group(1)
    n = await need(h, code)
    assert (n.source, n.requester, n.grid, n.assignee, n.category) == ("suggestion", "wx_zhang", 1, "wx_wang", "environment")
    assert any(m.chat_id == "wx_wang" and code in m.text for m in await outbox(h))    # dispatch notice
    status, html = await wang.post(f"/inbox/suggestions/{mine_id}/confirm")
    assert status == 409 and "已经有人处理过了" in html
    zhao = await web.user("zhao")
    status, html = await zhao.post(f"/inbox/suggestions/{theirs_id}/dismiss")
    assert "已忽略" in html
    async with h.core.sessions() as s:
        assert (await s.get(N.Suggestion, theirs_id)).status == N.SuggestionStatus.DISMISSED


async def test_every_view_of_a_need_is_logged_for_audit(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    wang, li = await web.user("wang"), await web.user("li")
    await wang.get(f"/inbox/needs/{code}")
    await h.advance("1m")
    await wang.get(f"/inbox/needs/{code}")
    await li.get(f"/inbox/needs/{code}")
    async with h.core.sessions() as s:
        rows = await M.views(s, need_code=code)
    assert [(v.username, v.role, v.action) for v in rows] == [("li", "admin", "view"), ("wang", "worker", "view"),
                                                              ("wang", "worker", "view")]
    assert rows[0].ip == "127.0.0.1"
    status, html = await li.get(f"/inbox/audit?code={code}")
    assert status == 200 and html.count(f"<td>{code}</td>") == 3
    assert (await wang.get("/inbox/audit"))[0] == 403


async def test_script_in_a_need_is_shown_as_text(web) -> None:
    h = web.h
    code = await new_need(h, "<script>alert(1)</script>", building=3, name='<img src=x onerror="alert(2)">')
    li = await web.user("li")
    for path in ("/inbox", f"/inbox/needs/{code}"):
        status, html = await li.get(path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    async with li.http.get(web.base + "/inbox") as r:
        assert "script-src" in r.headers["Content-Security-Policy"] or "default-src 'self'" in r.headers[
            "Content-Security-Policy"]


async def test_login_logout_and_who_may_open_which_page(web) -> None:
    anon = await web.user()
    async with anon.http.get(web.base + "/inbox/needs/D20261123-0001", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/inbox/login?next=/inbox/needs/D20261123-0001"
    r = await anon.login("wang", "wrong")
    assert r.status == 401 and "用户名或密码不对" in await r.text()
    r = await anon.login("wang")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    token = re.search(r"gb_sid=([^;]+)", cookie).group(1)
    async with web.h.core.sessions() as s:
        stored = list((await s.scalars(select(M.WebSession))).all())
    assert len(stored) == 1 and stored[0].token_hash == M.token_hash(token) and token not in stored[0].token_hash
    # an open redirect is not possible through ?next=
    other = await web.user()
    async with other.http.get(web.base + "/inbox/login?next=//evil.example/") as r:
        form_token = CSRF_RE.search(await r.text()).group(1)
    async with other.http.post(web.base + "/inbox/login?next=//evil.example/", allow_redirects=False,
                               data={"_csrf": form_token, "username": "li", "password": "demo"}) as r:
        assert r.status == 303 and r.headers["Location"] == "/inbox"
    status, _ = await anon.post("/inbox/logout", follow=False)
    assert status == 303
    async with anon.http.get(web.base + "/inbox", allow_redirects=False) as r:
        assert r.status == 302
