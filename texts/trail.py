"""An audit trail as staff read it in chat (记录 B101, 记录 E101 张三): one line per move of a
booking, waitlist entry, event or signup — when, who, what, why. Each capability names its actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from kernel.text.normalize import clip

BOT = "小助手(自动)"
MAX_LINES = 30


def line(at: datetime, tz: ZoneInfo, actor: str | None, actor_name: str | None, action: str,
         labels: Mapping[str, str], note: str | None, who: str | None = None) -> str:
    """"11-24 09:05 王网格员 审批通过" — a move without an actor was the bot's (a job, a rule)."""
    by = actor_name or actor or BOT
    subject = f"[{clip(who, 12)}] " if who else ""
    why = f"({clip(note, 40)})" if note else ""
    return f"{at.astimezone(tz):%m-%d %H:%M} {subject}{by} {labels.get(action, action)}{why}"


def trail(header: str, lines: Sequence[str]) -> str:
    if not lines:
        return f"{header}\n(还没有记录)"
    shown = list(lines[-MAX_LINES:])
    more = f"\n……更早的{len(lines) - MAX_LINES}条未列出" if len(lines) > MAX_LINES else ""
    return f"{header}{more}\n" + "\n".join(shown)
