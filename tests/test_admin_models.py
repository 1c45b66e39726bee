"""The operations behind the admin pages (models/duty.py, models/staff.py, models/knowledge.py): the duty
roster in force decides who hears of urgent needs and 督办; account changes end sessions; the FAQ moves
from the config to the database on its first change and the bot answers from it at once."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from kernel.settings import Hours
from models import duty as D
from models import inbox as M
from models import knowledge as K
from models import staff as S
from models.admin_log import StaffError, changes
from models.db import transaction
from tests.test_needs import G1, code_of, to
from tests.test_needs_clocks import STAFF_GROUP


async def test_a_new_backup_hears_the_next_urgent_alert_at_once(harness) -> None:
    h = harness
    await h.set_clock("2026-11-23 22:10")      # 王网格员 (grid 1) is on duty 08:30-21:30: off now
    out = await h.say(G1, "wx_zhang", "@小助手 2栋楼道冒烟了,好像着火了")
    assert "私聊:wx_zhao" in {d.to for d in out}            # the config's AB岗
    async with transaction(h.core.sessions) as s:
        roster = await D.set_backup(s, h.clock.now(), h.config, 1, "wx_sun", actor="li")
    assert roster.backup_of(1) == "wx_sun"
    out = await h.say(G1, "wx_liu", "@小助手 4栋电梯困人了,快来人")
    assert {d.to for d in out} == {G1, "私聊:wx_wang", "私聊:wx_sun", STAFF_GROUP}
    assert "AB岗" in to(out, "私聊:wx_sun")[0].text
    # … and the new backup may act on the grid's needs (接单 as AB岗)
    code = code_of(to(out, "私聊:wx_sun")[0].text)
    reply = await h.say("私聊", "wx_sun", f"接单 {code}")
    assert f"已接单 {code}" in to(reply, "私聊:wx_sun")[0].text     # the config alone would refuse 孙 (grid 3)
    async with h.core.sessions() as s:
        log = await changes(s)
    assert [(c.action, c.subject, c.old, c.new, c.actor) for c in log] == [("backup", "1", "wx_zhao", "wx_sun", "li")]


async def test_longer_duty_hours_mean_no_backup_alert_and_the_ladder_follows_the_roster(harness) -> None:
    h = harness
    async with transaction(h.core.sessions) as s:
        await D.set_duty(s, h.clock.now(), h.config, "wx_wang", D.parse_duty("08:00-23:00"), actor="li")
        await D.set_backup(s, h.clock.now(), h.config, 1, "wx_li", actor="li")
    await h.set_clock("2026-11-23 22:10")
    out = await h.say(G1, "wx_zhang", "@小助手 2栋楼道冒烟了,好像着火了")
    assert {d.to for d in out} == {G1, "私聊:wx_wang", STAFF_GROUP}      # on duty till 23:00: nobody else
    out = await h.advance("5m")                                          # nobody answered: 督办 level 1
    assert "私聊:wx_li" in {d.to for d in out} and "私聊:wx_zhao" not in {d.to for d in out}
    async with h.core.sessions() as s:
        r = await D.roster(s, h.config)
    assert r.duty_of("wx_wang") == Hours(time(8, 0), time(23, 0))
    assert r.duty_of("wx_zhao") == h.config.workers[1].duty               # untouched: the config's


async def test_duty_changes_are_checked(harness) -> None:
    h = harness
    async with transaction(h.core.sessions) as s:
        now = h.clock.now()
        for grid, who, code in ((1, "wx_wang", "backup_is_worker"), (1, "wx_nobody", "bad_backup"),
                                (9, "wx_sun", "no_grid")):
            with pytest.raises(StaffError) as e:
                await D.set_backup(s, now, h.config, grid, who, actor="li")
            assert e.value.code == code
        for bad in ("8点到20点", "25:00-08:00", "08:00-08:00"):
            with pytest.raises(StaffError) as e:
                D.parse_duty(bad)
            assert e.value.code == "bad_hours"
        assert D.parse_duty("") is None and D.parse_duty("全天") is None
        r = await D.set_backup(s, now, h.config, 2, "", actor="li")            # no AB岗 at all
        assert r.backup_of(2) is None and r.backup_of(3) == "wx_wang"
        r = await D.set_duty(s, now, h.config, "wx_sun", None, actor="li")     # around the clock
        assert r.duty_of("wx_sun") is None and r.on_duty("wx_sun", now.replace(hour=3))


async def test_accounts_add_reset_disable_and_no_self_disable(harness, monkeypatch) -> None:
    monkeypatch.setattr(M, "SCRYPT_N", 2 ** 10)
    h = harness
    now = h.clock.now()
    async with transaction(h.core.sessions) as s:
        user, password = await S.add_account(s, now, h.config, h.core.directory, username="wang2", role="worker",
                                             ref="wx_wang", name="王二", actor="li")
        assert len(password) == 12 and user.password_hash.startswith("scrypt$")
        with pytest.raises(M.InboxError) as e:
            await S.add_account(s, now, h.config, h.core.directory, username="x9", role="worker", ref="9", actor="li")
        assert e.value.code == "bad_ref"
        with pytest.raises(M.InboxError) as e:
            await S.add_account(s, now, h.config, h.core.directory, username="wang2", role="viewer", ref=None,
                                actor="li")
        assert e.value.code == "user_exists"
    async with transaction(h.core.sessions) as s:
        assert await M.authenticate(s, "wang2", password) is not None
        token, _ = await M.open_session(s, user, now)
    async with transaction(h.core.sessions) as s:
        new = await S.reset_password(s, now + timedelta(minutes=1), "wang2", actor="li")
        assert new != password
        assert await M.session_by_token(s, token, now) is None           # the old login ended
        token, _ = await M.open_session(s, user, now)
    async with transaction(h.core.sessions) as s:
        await S.set_account_active(s, now, "wang2", False, actor="li")
        assert await M.session_by_token(s, token, now) is None           # at once
        assert await M.authenticate(s, "wang2", new) is None
        with pytest.raises(StaffError) as se:
            await S.set_account_active(s, now, "li", False, actor="li")
        assert se.value.code == "self_disable"
        rows = await S.account_rows(s)
    assert [(r.username, r.active) for r in rows] == [("wang2", False)]
    assert not any(hasattr(r, "password_hash") for r in rows)
    async with h.core.sessions() as s:
        assert [c.action for c in await changes(s)] == ["user_disable", "user_passwd", "user_add"]


async def test_faq_moves_to_the_database_on_the_first_change_and_the_bot_answers_at_once(harness) -> None:
    h = harness
    ask = "@小助手 垃圾分类怎么弄"
    assert "居住证" in (await h.say("私聊", "wx_zhang", "居住证怎么办"))[0].text      # the config's FAQ
    assert "厨余" not in (await h.say("私聊", "wx_zhang", ask))[0].text
    async with h.core.sessions() as s:
        items = await K.faq_items(s, h.config)
        assert not await K.seeded(s) and [i.ref for i in items][:2] == ["c0", "c1"]
    async with transaction(h.core.sessions) as s:
        await K.add_faq(s, h.clock.now(), h.config, "垃圾分类\n厨余垃圾怎么扔", "厨余垃圾请投放到绿色桶,每天7-9点、18-20点定时投放。",
                        actor="li")
    await h.core.reload_knowledge()
    assert "厨余垃圾请投放到绿色桶" in (await h.say("私聊", "wx_zhang", ask))[0].text
    async with h.core.sessions() as s:
        items = await K.faq_items(s, h.config)
    assert len(items) == len(h.config.knowledge.faq) + 1 and all(i.ref.isdigit() for i in items)
    # edit the config's first entry (居住证), then delete it: the bot follows each change
    first = items[0]
    async with transaction(h.core.sessions) as s:
        await K.edit_faq(s, h.clock.now(), h.config, first.ref, list(first.questions), "居住证请到二楼3号窗口办理。",
                         actor="li")
    await h.core.reload_knowledge()
    assert "二楼3号窗口" in (await h.say("私聊", "wx_zhang", "居住证怎么办"))[0].text
    async with transaction(h.core.sessions) as s:
        with pytest.raises(StaffError) as e:                  # one question, one answer
            await K.add_faq(s, h.clock.now(), h.config, "居住证", "另一个回答", actor="li")
        assert e.value.code == "faq_duplicate"
        await K.delete_faq(s, h.clock.now(), h.config, first.ref, actor="li")
    await h.core.reload_knowledge()
    assert "二楼3号窗口" not in (await h.say("私聊", "wx_zhang", "居住证怎么办"))[0].text
    # importing the config brings back what is missing, once
    async with transaction(h.core.sessions) as s:
        assert await K.import_config(s, h.clock.now(), h.config, actor="li") == 1
        assert await K.import_config(s, h.clock.now(), h.config, actor="li") == 0
    async with h.core.sessions() as s:
        assert [c.action for c in await changes(s, prefix="faq")] == [
            "faq_add", "faq_delete", "faq_edit", "faq_add", "faq_seed"]


async def test_faq_entries_are_checked(harness) -> None:
    h = harness
    async with transaction(h.core.sessions) as s:
        for qs, a, code in (("", "x", "faq_no_question"), ("问", " ", "faq_no_answer"),
                            ("问" * 41, "x", "faq_question_long"), ("问", "x" * 1001, "faq_answer_long")):
            with pytest.raises(StaffError) as e:
                await K.add_faq(s, h.clock.now(), h.config, qs, a, actor="li")
            assert e.value.code == code
        with pytest.raises(StaffError) as e:
            await K.edit_faq(s, h.clock.now(), h.config, "c999", "问", "答", actor="li")
        assert e.value.code == "faq_gone"


async def test_the_cli_uses_the_same_operations_and_is_logged(config, tmp_path, monkeypatch) -> None:
    """`gridbot user add/disable` go through models/staff.py: the page's change log shows them too."""
    import argparse
    import io

    from bot import user_cli
    from bot.app import open_core

    monkeypatch.setattr(M, "SCRYPT_N", 2 ** 10)
    db = str(tmp_path / "cli.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    add = argparse.Namespace(user_command="add", username="wu", role="viewer", ref=None, name="吴", password_stdin=True,
                             db=db)
    assert await user_cli.run(config, add) == 0
    assert await user_cli.run(config, argparse.Namespace(user_command="disable", username="wu", db=db)) == 0
    core = await open_core(config, db, warm_up=False)
    try:
        async with core.sessions() as s:
            log = await changes(s)
            rows = await S.account_rows(s)
    finally:
        await core.close()
    assert [(c.action, c.subject) for c in log] == [("user_disable", "wu"), ("user_add", "wu")]
    assert all(c.actor.startswith("cli:") for c in log)
    assert [(r.username, r.active) for r in rows] == [("wu", False)]
