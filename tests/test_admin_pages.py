"""The admin pages over HTTP (the real app on the harness's core): 账号与值班 and 知识库. Only admins see
them; every POST needs the session's CSRF token; a new password is shown once and never a hash; a
disabled account is logged out at once; an admin cannot disable themself; a changed AB岗 gets the next
urgent alert; a new FAQ answer is given by the bot from the next message."""

from __future__ import annotations

import re
from html import unescape

from models import inbox as M
from models.db import transaction
from tests.inbox_helpers import web  # noqa: F401  (fixture)
from tests.test_needs import G1, to
from tests.test_needs_clocks import STAFF_GROUP

SECRET_RE = re.compile(r'<code class="secret" data-secret>([^<]+)</code>')


async def test_only_admins_see_and_open_the_admin_pages(web) -> None:
    li = await web.user("li")
    status, html = await li.get("/inbox")
    assert 'href="/inbox/admin/staff"' in html and 'href="/inbox/admin/faq"' in html
    for name in ("wang", "guest", "cg"):
        u = await web.user(name)
        status, html = await u.get("/inbox")
        assert "/inbox/admin/" not in html
        for path in ("/inbox/admin/staff", "/inbox/admin/faq"):
            status, html = await u.get(path)
            assert status == 403 and "无权访问" in html
        status, _ = await u.post("/inbox/admin/staff/users", {"username": "evil", "role": "admin"})
        assert status == 403
    stranger = await web.user()
    status, html = await stranger.get("/inbox/admin/staff")
    assert "/inbox/login" in html or 'name="password"' in html
    async with web.h.core.sessions() as s:
        assert await M.get_user(s, "evil") is None


async def test_an_admin_adds_an_account_sees_its_password_once_and_it_logs_in(web) -> None:
    li = await web.user("li")
    status, html = await li.get("/inbox/admin/staff")
    assert status == 200 and "网页账号" in html and "值班时间与AB岗" in html
    assert "scrypt$" not in html
    status, html = await li.post("/inbox/admin/staff/users", {"username": "wang2", "role": "worker",
                                                               "ref": "wx_wang", "name": "王二"})
    assert status == 200 and "已新建账号 wang2" in html
    password = SECRET_RE.search(html).group(1)  # type: ignore[union-attr]
    assert len(password) == 12
    status, html = await li.get("/inbox/admin/staff")
    assert "wang2" in html and password not in html and "scrypt$" not in html
    assert "新建账号 · wang2" in html                    # the change log
    u = await web.user()
    assert (await u.login("wang2", password)).status == 303
    status, html = await u.get("/inbox")
    assert "王二" in html
    # bad input: said in Chinese, nothing created, the form keeps what was typed
    status, html = await li.post("/inbox/admin/staff/users", {"username": "x9", "role": "worker", "ref": "9"})
    assert status == 400 and "找不到 '9' 对应的网格" in unescape(html) and 'value="x9"' in html
    status, html = await li.post("/inbox/admin/staff/users", {"username": "wang2", "role": "viewer"})
    assert status == 400 and "已存在" in html


async def test_posts_without_the_csrf_token_are_refused(web) -> None:
    li = await web.user("li")
    await li.get("/inbox/admin/staff")
    for path, data in (("/inbox/admin/staff/users", {"username": "sneaky", "role": "admin"}),
                       ("/inbox/admin/staff/users/wang/active", {"active": "0"}),
                       ("/inbox/admin/staff/users/wang/password", {}),
                       ("/inbox/admin/staff/duty/1", {"backup": "wx_sun", "duty": ""}),
                       ("/inbox/admin/faq", {"questions": "x", "answer": "y"})):
        status, html = await li.post(path, data, csrf=False)
        assert status == 403 and "安全令牌" in html, path
    wang = await web.user("wang")
    assert (await wang.get("/inbox"))[0] == 200                      # still active, same password
    async with web.h.core.sessions() as s:
        assert await M.get_user(s, "sneaky") is None


async def test_disable_ends_the_session_at_once_reset_ends_it_too_and_no_self_disable(web) -> None:
    li, wang = await web.user("li"), await web.user("wang")
    await li.get("/inbox/admin/staff")
    status, html = await li.post("/inbox/admin/staff/users/wang/active", {"active": "0"})
    assert status == 200 and "已停用账号 wang" in html
    status, html = await wang.get("/inbox")
    assert 'name="password"' in html                            # back at the login form
    assert (await (await web.user()).login("wang")).status != 303
    status, html = await li.post("/inbox/admin/staff/users/wang/active", {"active": "1"})
    assert "已启用账号 wang" in html
    wang = await web.user("wang")
    status, html = await li.post("/inbox/admin/staff/users/wang/password")
    new = SECRET_RE.search(html).group(1)  # type: ignore[union-attr]
    assert 'name="password"' in (await wang.get("/inbox"))[1]
    assert (await (await web.user()).login("wang", new)).status == 303
    # an admin cannot disable their own account (no button, and the POST is refused)
    status, html = await li.get("/inbox/admin/staff")
    own = html[html.index('data-user="li"'):]
    own = own[:own.index("</li>")]
    assert "/inbox/admin/staff/users/li/active" not in own
    status, html = await li.post("/inbox/admin/staff/users/li/active", {"active": "0"})
    assert status == 400 and "不能停用自己" in html
    assert (await li.get("/inbox"))[0] == 200


async def test_changing_the_backup_on_the_page_sends_the_next_urgent_alert_to_the_new_backup(web) -> None:
    h = web.h
    await h.set_clock("2026-11-23 22:10")             # 王网格员 (grid 1, on duty 08:30-21:30) is off
    li = await web.user("li")
    status, html = await li.get("/inbox/admin/staff")
    grid1 = html[html.index('data-grid="1"'):]
    assert "下班 · 赵网格员替岗" in grid1[:grid1.index("</li>")]
    status, html = await li.post("/inbox/admin/staff/duty/1", {"backup": "wx_sun", "duty": "08:30-21:30"})
    assert status == 200 and "网格1的值班安排已保存" in html
    grid1 = html[html.index('data-grid="1"'):]
    assert "孙网格员替岗" in grid1[:grid1.index("</li>")]
    out = await h.say(G1, "wx_zhang", "@小助手 2栋楼道冒烟了,好像着火了")
    assert {d.to for d in out} == {G1, "私聊:wx_wang", "私聊:wx_sun", STAFF_GROUP}
    assert "AB岗" in to(out, "私聊:wx_sun")[0].text
    # duty hours into the night: 王 is on duty again, nobody else is woken
    status, html = await li.post("/inbox/admin/staff/duty/1", {"backup": "wx_sun", "duty": "08:00-23:30"})
    assert "在岗" in html
    out = await h.say(G1, "wx_liu", "@小助手 4栋电梯困人了,快来人")
    assert {d.to for d in out} == {G1, "私聊:wx_wang", STAFF_GROUP}
    # refused input says why
    status, html = await li.post("/inbox/admin/staff/duty/1", {"backup": "wx_wang", "duty": ""})
    assert status == 400 and "不能是网格1的网格员本人" in html
    status, html = await li.post("/inbox/admin/staff/duty/1", {"backup": "wx_sun", "duty": "晚上"})
    assert status == 400 and "值班时间格式不对" in html
    for bogus in ("9", "²", "1" * 40):
        status, html = await li.post(f"/inbox/admin/staff/duty/{bogus}", {"backup": "", "duty": ""})
        assert status == 400 and "没有网格" in html
    status, html = await li.get("/inbox/admin/staff")
    assert "AB岗 · 1: wx_zhao → wx_sun" in html and "值班时间 · wx_wang: 08:30-21:30 → 08:00-23:30" in html


async def test_an_admin_edits_the_faq_and_the_bot_answers_from_it_at_once(web) -> None:
    h = web.h
    li = await web.user("li")
    status, html = await li.get("/inbox/admin/faq")
    assert status == 200 and "居住证" in html and "配置文件" in html and 'data-ref="c0"' in html
    status, html = await li.get("/inbox/admin/faq?q=" + "医保在哪交")
    assert "每年9月至12月" in html
    status, html = await li.post("/inbox/admin/faq", {"questions": "垃圾分类\n厨余垃圾怎么扔",
                                                      "answer": "厨余垃圾请投放到绿色桶。"})
    assert status == 200 and "已新增问答" in html and 'data-ref="c0"' not in html
    out = await h.say("私聊", "wx_zhang", "垃圾分类怎么弄")
    assert "厨余垃圾请投放到绿色桶" in out[0].text
    ref = re.findall(r'data-ref="(\d+)"', html)[-1]
    status, html = await li.post(f"/inbox/admin/faq/{ref}/edit", {"questions": "垃圾分类", "answer": "请按四色桶分类投放。"})
    assert "已保存修改" in html and "请按四色桶分类投放" in html
    assert "四色桶" in (await h.say("私聊", "wx_zhang", "垃圾分类怎么弄"))[0].text
    status, html = await li.post(f"/inbox/admin/faq/{ref}/edit", {"questions": "居住证", "answer": "x"})
    assert status == 400 and "已在另一条问答中" in html
    status, html = await li.post(f"/inbox/admin/faq/{ref}/delete")
    assert "已删除问答" in html and f'data-ref="{ref}"' not in html and "删除问答" in html
    assert "四色桶" not in (await h.say("私聊", "wx_zhang", "垃圾分类怎么弄"))[0].text
    for bogus in ("c99", "9" * 30, "x"):
        status, html = await li.post(f"/inbox/admin/faq/{bogus}/delete")
        assert status == 400 and "已不存在" in html
    wang = await web.user("wang")
    status, _ = await wang.post("/inbox/admin/faq/1/delete")
    assert status == 403
