"""An AB岗 backup may act on the covered grid's needs, so they also see them: in 待办 and 查 in chat, and in
their web inbox — following the roster in force (models/duty), not only the config."""

from __future__ import annotations

from models import duty as D
from models.db import transaction
from tests.inbox_helpers import codes_in, new_need, web  # noqa: F401  (web is a fixture)
from tests.test_needs import to

G1 = "网格1一家亲"


async def test_the_backup_sees_the_covered_grids_needs_in_chat_and_loses_them_when_replaced(harness) -> None:
    h = harness
    code = await new_need(h, "3栋楼道灯不亮了", building=3)           # grid 1: worker 王, AB岗 赵 (config)
    out = await h.say("私聊", "wx_zhao", "待办")
    assert code in to(out, "私聊:wx_zhao")[0].text
    out = await h.say("私聊", "wx_zhao", f"查 {code}")
    assert "3栋楼道灯不亮了" in to(out, "私聊:wx_zhao")[0].text
    # 孙 (grid 3) is nobody's backup for grid 1: neither list nor details
    out = await h.say("私聊", "wx_sun", f"查 {code}")
    assert "3栋楼道灯不亮了" not in to(out, "私聊:wx_sun")[0].text
    async with transaction(h.core.sessions) as s:
        await D.set_backup(s, h.clock.now(), h.config, 1, "wx_sun", actor="li")
    out = await h.say("私聊", "wx_sun", "待办")
    assert code in to(out, "私聊:wx_sun")[0].text
    out = await h.say("私聊", "wx_zhao", "待办")
    assert code not in to(out, "私聊:wx_zhao")[0].text               # no longer the backup


async def test_the_backup_sees_the_covered_grid_in_the_web_inbox(web) -> None:
    h = web.h
    code = await new_need(h, "3栋楼道灯不亮了", building=3)
    zhao, sun = await web.user("zhao"), await web.user("sun")
    _, html = await zhao.get("/inbox")
    assert code in codes_in(html)
    status, html = await zhao.get(f"/inbox/needs/{code}")
    assert status == 200 and f'action="/inbox/needs/{code}/accept"' in html
    status, _ = await sun.get(f"/inbox/needs/{code}")
    assert status == 404
    async with transaction(h.core.sessions) as s:
        await D.set_backup(s, h.clock.now(), h.config, 1, "wx_sun", actor="li")
    _, html = await sun.get("/inbox")
    assert code in codes_in(html)
    status, _ = await zhao.get(f"/inbox/needs/{code}")
    assert status == 404
