"""`gridbot simulate SCRIPT`: replay a chat script against the bot with simulated time (CONTRACTS §3).

    @clock 2026-11-23 09:00          set simulated time (config time zone)
    @advance 10m                     move time forward; due scheduled work runs on the way
    [网格1一家亲] 张阿姨(wx_zhang): @小助手 3栋电梯又坏了
    [私聊] 王网格员(wx_wang): 接单 {CODE}

`{CODE}` stands for the last need/booking/event code the bot printed, so a script can follow up on
what it created. Every message the bot sends is written as one JSON line on standard output; a long run
(`@advance 3d` takes minutes) reports its progress on standard error."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from bot.app import Core, open_core
from bot.channels.scripted import Delivered, ScriptChannel
from kernel.clock import ManualClock
from kernel.config import Config
from kernel.message import IncomingMessage, MessageKind
from bot.sample_media import media_of_script_text

LINE_RE = re.compile(r"^\[(?P<chat>[^\]]+)\]\s*(?P<name>[^():]+?)\s*\((?P<id>[^)]+)\)\s*[::]\s?(?P<text>.*)$")
CLOCK_RE = re.compile(r"^@clock\s+(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})(?::(\d{2}))?\s*$")
ADVANCE_RE = re.compile(r"^@advance\s+((?:\d+\s*[smhd]\s*)+)$")
CODE_RE = re.compile(r"(?<![0-9A-Za-z])([DBE]\d{8}-\d{3,4}|[BE]\d{3,8}|[SP]\d{1,6})(?![0-9A-Za-z])")
PRIVATE = "私聊"
STEP = timedelta(minutes=1)   # scheduled work runs at least once per simulated minute


class ScriptError(ValueError):
    def __init__(self, line_no: int, text: str, why: str) -> None:
        super().__init__(f"第 {line_no} 行无法识别 / line {line_no} not understood ({why}): {text}")


@dataclass
class ScriptMessage:
    chat: str
    name: str
    sender_id: str
    text: str


def parse_duration(spec: str) -> timedelta:
    total = timedelta()
    for amount, unit in re.findall(r"(\d+)\s*([smhd])", spec):
        total += timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: int(amount)})
    return total


@dataclass(frozen=True)
class Progress:
    line: int                   # script line being run
    done: int                   # steps finished
    steps: int                  # steps in the script
    at: datetime                # simulated time now
    until: datetime | None      # end of the @advance in progress


class ProgressReporter:
    """Writes a progress line to `out` at most every `every` seconds of wall time (none for a quick run)."""

    def __init__(self, out: TextIO, every: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.every = every
        self.monotonic = monotonic
        self.started = self.last = monotonic()

    def __call__(self, p: Progress) -> None:
        now = self.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        tz = p.at.tzinfo
        target = f" → {p.until.astimezone(tz):%Y-%m-%d %H:%M}" if p.until else ""
        self.out.write(f"模拟中 / simulating: 第 {p.line} 行 / line {p.line} ({p.done}/{p.steps} 步 / steps), "
                       f"模拟时间 / simulated {p.at:%Y-%m-%d %H:%M}{target}, 用时 / elapsed {now - self.started:.0f}s\n")
        self.out.flush()


class Simulation:
    def __init__(self, core: Core, clock: ManualClock, channel: ScriptChannel,
                 progress: Callable[[Progress], None] | None = None) -> None:
        self.core = core
        self.clock = clock
        self.channel = channel
        # Script lines arrive in frozen simulated time and no real account is at risk: as drain() skips the
        # anti-ban rate limit, a simulation skips the reply budget (tests/test_flood.py turns it on).
        core.dispatcher.budget = None
        self.seq = 0
        self.run = secrets.token_hex(4)   # message ids of a later run on the same database never collide
        self.last_code: str | None = None
        self.progress = progress
        self.line, self.done, self.steps = 0, 0, 0

    def report(self, until: datetime | None = None) -> None:
        if self.progress is not None:
            tz = self.core.config.timezone
            self.progress(Progress(self.line, self.done, self.steps, self.clock.now().astimezone(tz),
                                   until.astimezone(tz) if until else None))

    def _remember_codes(self, item: Delivered) -> None:
        codes = CODE_RE.findall(item.text)
        if codes:
            self.last_code = codes[-1]

    async def say(self, m: ScriptMessage) -> None:
        self.seq += 1
        text = m.text.replace("\\n", "\n")
        if self.last_code:
            text = text.replace("{CODE}", self.last_code)
        mention = "@" + self.core.config.bot_name
        private = m.chat == PRIVATE
        kind, media, heard = MessageKind.TEXT, (), False
        sample = media_of_script_text(text, self.core.config.photos.max_mb)
        if sample is not None:            # "[图片:…]", "[语音:…]", "[文件:…]" (bot/sample_media.py)
            kind, media, text, heard = sample
        msg = IncomingMessage(
            id=f"sim-{self.run}-{self.seq}", account=self.core.config.bot_id, channel="script", sender_id=m.sender_id,
            sender_name=m.name, text=text, at=self.clock.now(), group_id=None if private else m.chat,
            group_topic=None if private else m.chat, mentions_bot=not private and text.lstrip().startswith(mention),
            kind=kind, media=media, heard=heard)
        await self.core.dispatcher.handle(msg)
        await self.flush()

    async def flush(self) -> None:
        assert self.core.sender is not None
        await self.core.sender.drain()

    async def set_clock(self, when: datetime) -> None:
        self.clock.set(when)
        await self.core.ticker.tick()
        await self.flush()

    async def advance(self, delta: timedelta) -> None:
        end = self.clock.now() + delta
        while self.clock.now() < end:
            self.clock.set(min(end, self.clock.now() + STEP))
            await self.core.ticker.tick()
            await self.flush()
            self.report(end)


def parse_script(lines: Iterable[str]) -> Iterable[tuple[int, str, object]]:
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip("\n").rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("@clock"):
            m = CLOCK_RE.match(stripped)
            if not m:
                raise ScriptError(no, line, "@clock YYYY-MM-DD HH:MM")
            yield no, "clock", m
        elif stripped.startswith("@advance"):
            m = ADVANCE_RE.match(stripped)
            if not m:
                raise ScriptError(no, line, "@advance 10m / 2h / 1d / 30s")
            yield no, "advance", parse_duration(m.group(1))
        else:
            m = LINE_RE.match(stripped)
            if not m:
                raise ScriptError(no, line, "[群名] 名字(id): 内容")
            yield no, "say", ScriptMessage(m["chat"].strip(), m["name"].strip(), m["id"].strip(), m["text"])


async def run_script(config: Config, lines: Iterable[str], out: TextIO, *, db_url: str,
                     start: datetime | None = None, progress: Callable[[Progress], None] | None = None) -> Core:
    """Run a script; returns the (closed) core so callers can name the database it left behind."""
    steps = list(parse_script(lines))    # parse everything first: a typo on line 40 fails before line 1 runs
    clock = ManualClock(start or datetime.now(config.timezone).replace(second=0, microsecond=0))
    core = await open_core(config, db_url, clock)
    channel = ScriptChannel(clock, config.timezone, out)
    sim = Simulation(core, clock, channel, progress)
    sim.steps = len(steps)
    channel.on_send = sim._remember_codes
    core.attach_channel(channel, instance="simulate", every_account=True)
    try:
        for no, kind, arg in steps:
            sim.line = no
            if kind == "clock":
                m = arg  # type: ignore[assignment]
                when = datetime.fromisoformat(f"{m.group(1)} {m.group(2)}:{m.group(3) or '00'}")  # type: ignore[union-attr]
                await sim.set_clock(when.replace(tzinfo=config.timezone))
            elif kind == "advance":
                await sim.advance(arg)  # type: ignore[arg-type]
            else:
                await sim.say(arg)  # type: ignore[arg-type]
            sim.done += 1
            sim.report()
    finally:
        await core.close()
    return core
