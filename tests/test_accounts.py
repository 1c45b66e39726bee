"""Several accounts per deployment ([[bot.accounts]]): one process per account on one database, each
answering its own groups and sending only its own outbox rows; the scheduler runs in one process at a time
(PostgreSQL advisory lock); an FAQ edit or a 绑定 made through one process reaches the others.

Two `Core`s on one database stand for the two processes (as tests/test_reliability.py does for two
instances); each has its own recording channel, which plays that account's WeChat."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot.app import Core, open_core
from bot.channels.scripted import Delivered, ScriptChannel
from bot.cli import main
from bot.simulate import ScriptMessage, Simulation
from kernel.clock import ManualClock
from kernel.config import Config, ConfigError, parse_config
from kernel.message import IncomingMessage
from kernel.settings import SenderConfig
from models import knowledge as K
from models.db import transaction
from models.outbox import OutboxMessage
from models.people import create_invite, redeem_invite
from scheduler.ticker import TickContext

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Shanghai")
A, B = "wx_bot", "wx_bot2"
# wx_bot (the primary) keeps 网格1 and the staff group; wx_bot2 answers 网格2 and 网格3.
ACCOUNTS = '''
[[bot.accounts]]
id = "wx_bot2"
name = "小助手二号"
groups = ["网格2一家亲", "网格3一家亲"]
'''


def with_accounts(extra: str = ACCOUNTS) -> str:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    return text.replace("\n[channel]\n", "\n" + extra + "\n[channel]\n", 1)


@pytest.fixture(scope="module")
def two_accounts() -> Config:
    return parse_config(with_accounts(), ROOT / "config.example.toml")


@dataclass
class Process:
    """One account's `gridbot run`: its core, and the WeChat of that account (what it was asked to send)."""

    core: Core
    channel: ScriptChannel
    sim: Simulation

    @property
    def account(self) -> str:
        return self.core.config.bot_id

    def sent(self) -> list[Delivered]:
        return list(self.channel.delivered)


async def start(config: Config, account: str, db_url: str, clock: ManualClock, *, migrate: bool) -> Process:
    cfg = dataclasses.replace(config.for_account(account), sender=SenderConfig(min_interval_s=0.0, jitter_s=0.0))
    core = await open_core(cfg, db_url, clock, run_migrations=migrate, warm_up=False)
    channel = ScriptChannel(clock, cfg.timezone)
    sim = Simulation(core, clock, channel)
    core.attach_channel(channel, instance=f"host-{account}")
    core.lead_scheduler()
    return Process(core, channel, sim)


@pytest.fixture
async def procs(two_accounts: Config, db_url: str) -> AsyncIterator[tuple[Process, Process]]:
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    a = await start(two_accounts, A, db_url, clock, migrate=True)
    b = await start(two_accounts, B, db_url, clock, migrate=False)
    try:
        yield a, b
    finally:
        await a.core.close()
        await b.core.close()


async def arrives(procs: tuple[Process, ...], account: str, chat: str, sender: str, words: str) -> None:
    """A message as every process's channel hands it over: each account in a group receives it, a private
    one only the account it was written to. What the processes accept is handled; then everyone sends."""
    for p in procs:
        if chat == "私聊" and p.account != account:
            continue
        p.sim.seq += 1
        msg = IncomingMessage(id=f"m-{p.account}-{p.sim.seq}", account=p.account, channel="script", sender_id=sender,
                              sender_name=sender, text=words, at=p.sim.clock.now(),
                              group_id=None if chat == "私聊" else chat, group_topic=None if chat == "私聊" else chat,
                              mentions_bot=words.startswith("@"))
        if p.core.accepts(msg):
            await p.core.dispatcher.handle(msg)
    await settle(procs)


async def settle(procs: tuple[Process, ...]) -> None:
    for p in procs:
        if p.core.sightings is not None:
            await p.core.sightings.flush()
    for p in procs:
        await p.sim.flush()


async def tick_all(procs: tuple[Process, ...], when: str) -> None:
    for p in procs:
        p.sim.clock.set(datetime.fromisoformat(when).replace(tzinfo=TZ))
        await p.core.ticker.tick()
    await settle(procs)


# ---------------------------------------------------------------- config


def test_accounts_config_groups_go_to_their_owner_and_the_rest_to_the_primary(two_accounts: Config) -> None:
    c = two_accounts
    assert [a.id for a in c.accounts] == [A, B] and c.several_accounts
    assert c.account_of_group("网格2一家亲") == B and c.account_of_group("网格1一家亲") == A
    assert c.account_of_group("锦城社区工作群") == A and c.account_of_group("某个未登记的群") == A
    b = c.for_account(B)
    assert (b.bot_id, b.bot_name, b.primary_account) == (B, "小助手二号", A)


def test_old_single_account_config_is_unchanged(config: Config) -> None:
    assert not config.several_accounts
    assert [a.id for a in config.accounts] == [config.bot_id] == [config.primary_account]
    assert config.account_of_group("网格2一家亲") == config.bot_id


@pytest.mark.parametrize("extra, zh, en", [
    (ACCOUNTS + '\n[[bot.accounts]]\nid = "wx_bot3"\ngroups = ["网格3一家亲"]\n',
     "群 '网格3一家亲' 同时归账号 wx_bot2 和 wx_bot3 管", "owned by both account wx_bot2 and wx_bot3"),
    ('[[bot.accounts]]\nid = "wx_bot2"\ngroups = ["网格9一家亲"]\n',
     "群 '网格9一家亲' 不是配置中的网格群或工作群", "'网格9一家亲' is not a grid group or the staff group"),
    (ACCOUNTS + ACCOUNTS, "账号 wx_bot2 重复", "account wx_bot2 appears twice"),
    ('[[bot.accounts]]\nid = "wx_zhang"\n', "账号 wx_zhang 同时是网格员、书记、科室或居民的联系人 id",
     "account wx_zhang is also the contact id"),
])
def test_a_wrong_accounts_config_is_refused_with_its_line(extra: str, zh: str, en: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_config(with_accounts(extra), ROOT / "config.toml")
    problem = e.value.problems[-1]
    assert zh in problem.zh and en in problem.en
    assert problem.key.startswith("bot.accounts[") and problem.line is not None


def test_run_for_an_unknown_account_says_so_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(with_accounts(), encoding="utf-8")
    code = main(["run", "--config", str(cfg), "--db", str(tmp_path / "g.db"), "--account", "wx_nobody"])
    err = capsys.readouterr().err
    assert code != 0
    assert "配置中没有账号 'wx_nobody'(已配置: wx_bot, wx_bot2)" in err and "no account 'wx_nobody'" in err
    assert not (tmp_path / "g.db").exists()     # refused before anything started


def test_check_config_names_the_group_given_to_two_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(with_accounts(ACCOUNTS + '\n[[bot.accounts]]\nid = "wx_bot3"\ngroups = ["网格2一家亲"]\n'),
                   encoding="utf-8")
    assert main(["check-config", str(cfg)]) == 2
    lines = cfg.read_text(encoding="utf-8").splitlines()
    line = lines.index('groups = ["网格2一家亲"]') + 1        # the second owner's line
    assert (f"{cfg}:{line}: bot.accounts[1].groups: 群 '网格2一家亲' 同时归账号 wx_bot2 和 wx_bot3 管"
            in capsys.readouterr().err)


# ---------------------------------------------------------------- two processes, one database


async def test_a_push_to_groups_of_both_accounts_goes_once_through_each_groups_own_account(
        procs: tuple[Process, Process]) -> None:
    a, b = procs
    await arrives(procs, A, "私聊", "wx_wang", "定时通知 每周一 09:00 群 网格1,网格2,网格3 本周三上午社区义诊,请相互转告")
    assert "已设定定时通知" in a.sent()[-1].text and not b.sent()
    await tick_all(procs, "2026-11-30 09:00")
    notice = "【社区通知】本周三上午社区义诊,请相互转告"
    assert [d.to for d in a.sent() if d.text == notice] == ["网格1一家亲"]
    assert sorted(d.to for d in b.sent() if d.text == notice) == ["网格2一家亲", "网格3一家亲"]
    await tick_all(procs, "2026-11-30 09:05")         # a later tick in either process adds nothing
    assert sum(d.text == notice for p in procs for d in p.sent()) == 3
    async with a.core.sessions() as s:
        rows = (await s.execute(select(OutboxMessage.chat_id, OutboxMessage.account, OutboxMessage.status)
                                .where(OutboxMessage.text == notice))).all()
    assert sorted(rows) == [("网格1一家亲", A, "sent"), ("网格2一家亲", B, "sent"), ("网格3一家亲", B, "sent")]


async def test_each_group_is_answered_by_its_own_account_only(procs: tuple[Process, Process]) -> None:
    a, b = procs
    await arrives(procs, A, "网格2一家亲", "wx_zhang", "@小助手 帮助")       # both accounts are in the group
    assert not a.sent()
    assert [d.to for d in b.sent()] == ["网格2一家亲"] and b.sent()[0].mentions == ("wx_zhang",)
    await arrives(procs, A, "网格1一家亲", "wx_zhang", "@小助手 帮助")
    assert [d.to for d in a.sent()] == ["网格1一家亲"] and len(b.sent()) == 1


async def test_a_private_message_to_b_is_answered_through_b_and_later_notices_follow(
        procs: tuple[Process, Process]) -> None:
    a, b = procs
    await arrives(procs, B, "私聊", "wx_zhang", "居住证怎么办")
    assert [d.to for d in b.sent()] == ["私聊:wx_zhang"] and "居住证" in b.sent()[0].text
    assert not a.sent()
    # A notice to the resident written by the other process (a web action, a scheduled job) goes through
    # the account they last wrote to; someone who never wrote goes through the primary.
    async with transaction(a.core.sessions) as s:
        tc = TickContext(s, a.core.clock.now(), a.core.config, a.core.directory, a.core.config.bot_id)
        await tc.out.private("wx_zhang", "您反映的问题已处理", key="t:zhang")
        await tc.out.private("wx_ma", "您反映的问题已处理", key="t:ma")
    await settle(procs)
    assert [(d.to, d.text) for d in b.sent()][-1] == ("私聊:wx_zhang", "您反映的问题已处理")
    assert [(d.to, d.text) for d in a.sent()] == [("私聊:wx_ma", "您反映的问题已处理")]
    # … and once they write to A, A is their account
    await arrives(procs, A, "网格1一家亲", "wx_zhang", "@小助手 帮助")
    async with transaction(b.core.sessions) as s:
        tc = TickContext(s, b.core.clock.now(), b.core.config, b.core.directory, b.core.config.bot_id)
        await tc.out.private("wx_zhang", "活动提醒", key="t:zhang2")
    await settle(procs)
    assert a.sent()[-1].to == "私聊:wx_zhang" and a.sent()[-1].text == "活动提醒"
    assert all(d.text != "活动提醒" for d in b.sent())


async def test_an_faq_edit_and_a_binding_made_through_one_process_reach_the_other(
        procs: tuple[Process, Process]) -> None:
    a, b = procs
    async with transaction(a.core.sessions) as s:           # A's web page: 知识库 edit
        await K.add_faq(s, a.core.clock.now(), a.core.config, "垃圾分类", "厨余垃圾请投放到绿色桶。", actor="li")
        code = await create_invite(s, role="worker", ref="2", name="新网格员", created_by="li", now=a.core.clock.now())
    await a.core.reload_knowledge()
    async with transaction(a.core.sessions) as s:           # a 绑定 answered by A
        assert await redeem_invite(s, code, "wx_new", a.core.clock.now()) is not None
    await b.core.refresh()                                  # B's periodic check (every few seconds)
    await arrives(procs, B, "私聊", "wx_zhang", "垃圾分类怎么弄")
    assert "厨余垃圾请投放到绿色桶" in b.sent()[-1].text
    person = b.core.directory.get("wx_new")
    assert person is not None and person.is_staff


async def test_the_scheduler_runs_in_one_process_and_another_takes_over_when_it_dies(
        procs: tuple[Process, Process], db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the scheduler lock is PostgreSQL's (GRIDBOT_TEST_PG=1); one process per SQLite file")
    a, b = procs
    ran: list[str] = []

    def counting(name: str):  # type: ignore[no-untyped-def]
        async def job(tc: TickContext) -> None:
            ran.append(name)
        return [("count", job)]
    a.core.ticker.jobs, b.core.ticker.jobs = counting(A), counting(B)
    for _ in range(3):
        await a.core.ticker.tick()
        await b.core.ticker.tick()
    assert ran == [A, A, A]
    # A's database session dies (the process was killed): PostgreSQL frees the lock, B takes over
    assert a.core.ticker.leader is not None and b.core.ticker.leader is not None
    async with b.core.sessions() as s:
        await s.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                             "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"))
    await b.core.ticker.tick()
    await a.core.ticker.tick()                  # A notices it lost the lock, and does not run
    await b.core.ticker.tick()
    assert ran == [A, A, A, B, B]
    assert b.core.ticker.leader.leading and not a.core.ticker.leader.leading


# ---------------------------------------------------------------- two real services


async def test_two_services_each_logged_in_as_its_account_answer_their_own_groups(
        two_accounts: Config, db_url: str) -> None:
    """`gridbot run --account wx_bot` and `--account wx_bot2`: each service's gateway (the simulator) is
    logged in as its account; a message in B's group reaches both accounts and only B answers it; a
    private message to B is answered by B; on PostgreSQL one of the two leads the scheduler."""
    from bot.service import start_service

    services = []
    try:
        for account in (A, B):
            services.append(await start_service(two_accounts.for_account(account), db_url=db_url, port=0,
                                                demo=False, tick_seconds=3600))
        sim_a, sim_b = (s.simulator for s in services)
        assert (sim_a.community.bot_id, sim_b.community.bot_id) == (A, B)
        for sim in (sim_a, sim_b):
            await sim.inject("wx_zhang", "帮助", topic="网格2一家亲", mention_bot=True)
        await sim_a.inject("wx_zhang", "帮助", topic="网格1一家亲", mention_bot=True)
        sent_b = await sim_b.wait_sent(1, timeout=15)
        sent_a = await sim_a.wait_sent(1, timeout=15)
        # A got 网格2's message before 网格1's: had it answered it, that reply would have gone first
        assert [(r.chat_id, r.mention_ids) for r in sent_a] == [("网格1一家亲", ("wx_zhang",))]
        assert [(r.chat_id, r.mention_ids) for r in sent_b] == [("网格2一家亲", ("wx_zhang",))]
        await sim_b.inject("wx_ma", "帮助")
        sent_b = await sim_b.wait_sent(2, timeout=15)
        assert (sent_b[1].chat_kind, sent_b[1].chat_id) == ("private", "wx_ma")
        leaders = [s.core.ticker.leader for s in services]
        if db_url.startswith("postgresql"):
            assert sorted(leader.leading for leader in leaders if leader is not None) == [False, True]
        else:
            assert leaders == [None, None]
    finally:
        for s in services:
            await s.stop()


async def test_a_simulation_speaks_for_every_account(two_accounts: Config, db_url: str) -> None:
    """`gridbot simulate` is one process playing all accounts: a push to B's group is delivered too."""
    import io

    from bot.simulate import run_script

    out = io.StringIO()
    script = ["@clock 2026-11-23 09:00",
              "[私聊] 王网格员(wx_wang): 定时通知 每周一 09:00 群 网格1,网格2 周三义诊",
              "@clock 2026-11-30 09:00"]
    await run_script(two_accounts, script, out, db_url=db_url)
    assert sorted(line.split('"to": "')[1].split('"')[0] for line in out.getvalue().splitlines()
                  if "【社区通知】周三义诊" in line) == ["网格1一家亲", "网格2一家亲"]
