"""A chat harness for tests: speak as anyone, move simulated time, see exactly what the bot sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import Core, open_core
from bot.channels.scripted import Delivered, ScriptChannel
from bot.clock import ManualClock
from bot.config import Config
from bot.simulate import ScriptMessage, Simulation, parse_duration


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
