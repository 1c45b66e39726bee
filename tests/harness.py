"""A chat harness for tests: speak as anyone, move simulated time, see exactly what the bot sent.

Scenario scripts (`gridbot simulate` format) can carry expectations after a line:

    #> some text                 a message sent in reply to the line above contains it
    #> [私聊:wx_yang] some text   … and went to that chat ("[网格1一家亲] …" for a group)
    #> (nothing)                 the line above made the bot say nothing
    #>! some text                no message sent in reply to the line above contains it
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import Core, open_core
from bot.channels.scripted import Delivered, ScriptChannel
from kernel.clock import ManualClock
from kernel.config import Config
from bot.simulate import ADVANCE_RE, CLOCK_RE, LINE_RE, ScriptMessage, Simulation, parse_duration

EXPECT_RE = re.compile(r"^#>(?P<not>!?)\s*(?:\[(?P<to>[^\]]+)\]\s*)?(?P<text>.*)$")


class Harness:
    def __init__(self, sim: Simulation, channel: ScriptChannel) -> None:
        self.sim = sim
        self.channel = channel
        self.core: Core = sim.core
        self.clock: ManualClock = sim.clock
        self._seen = 0

    @classmethod
    async def create(cls, config: Config, db_url: str, start: str = "2026-11-23 09:00") -> "Harness":
        clock = ManualClock(datetime.fromisoformat(start).replace(tzinfo=config.timezone))
        core = await open_core(config, db_url, clock)
        channel = ScriptChannel(clock, config.timezone)
        sim = Simulation(core, clock, channel)
        channel.on_send = sim._remember_codes
        core.attach_channel(channel, instance="test")
        return cls(sim, channel)

    @property
    def config(self) -> Config:
        return self.core.config

    def _new(self) -> list[Delivered]:
        new = self.channel.delivered[self._seen:]
        self._seen = len(self.channel.delivered)
        return new

    async def say(self, chat: str, sender_id: str, text: str, name: str | None = None) -> list[Delivered]:
        """A message from `sender_id` in group `chat` (a topic) or "私聊"; returns what the bot sent."""
        await self.sim.say(ScriptMessage(chat, name or sender_id, sender_id, text))
        return self._new()

    async def advance(self, spec: str | timedelta) -> list[Delivered]:
        await self.sim.advance(parse_duration(spec) if isinstance(spec, str) else spec)
        return self._new()

    async def set_clock(self, when: str) -> list[Delivered]:
        await self.sim.set_clock(datetime.fromisoformat(when).replace(tzinfo=self.config.timezone))
        return self._new()

    @property
    def last_code(self) -> str | None:
        return self.sim.last_code

    async def close(self) -> None:
        await self.core.close()


async def replay_script(h: Harness, script: Path) -> list[str]:
    """Replay a `gridbot simulate` script and check its "#>" expectation lines (see EXPECT_RE);
    returns the failures, one line each."""
    last: list = []
    where = ""
    failures = []
    for no, raw in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#>"):
            m = EXPECT_RE.match(line)
            assert m is not None
            to, text = m.group("to"), m.group("text").strip()
            if m.group("not"):
                said = [(d.to, d.text) for d in last if text in d.text and (to is None or d.to == to)]
                if said:
                    failures.append(f"line {no} ({where}): expected no message containing {text!r}; got {said}")
                continue
            if text == "(nothing)":
                if last:
                    failures.append(f"line {no} ({where}): expected silence, got {[d.text for d in last]}")
                continue
            if not any(text in d.text and (to is None or d.to == to) for d in last):
                failures.append(f"line {no} ({where}): no message{' to ' + to if to else ''} containing "
                                f"{text!r}; got {[(d.to, d.text) for d in last]}")
            continue
        if line.startswith("#"):
            continue
        where = line
        if (m := CLOCK_RE.match(line)) is not None:
            last = await h.set_clock(f"{m.group(1)} {m.group(2)}")
        elif (m := ADVANCE_RE.match(line)) is not None:
            last = await h.advance(parse_duration(m.group(1)))
        elif (m := LINE_RE.match(line)) is not None:
            last = await h.say(m["chat"].strip(), m["id"].strip(), m["text"], name=m["name"].strip())
        else:
            raise AssertionError(f"{script.name}:{no}: not a script line: {line}")
    return failures
