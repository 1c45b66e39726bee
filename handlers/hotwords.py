"""`热词 [今天|本周|本月]` for grid workers and admins: the words residents' needs are about, per grid
(a worker sees their grid, an admin every grid). Answered privately: a group is no place for it."""

from __future__ import annotations

import re

from handlers.base import Context, Router, Stage, View, command_matcher
from handlers.needs import say
from kernel.identity import STAFF, Role
from models import needs as N
from texts import speech as T

router = Router("hotwords")

PERIODS = ("", "今天", "本周", "这周", "本月", "这个月", "昨天", "上周", "上月", "上个月")
TOP = 8


_HOTWORDS = command_matcher("热词", "高频词", "热点词")   # compiled once, not per message


# The period before the word or stuck to it, as typed: "本周热词", "这个月的热词", "热词本月"
_AROUND = re.compile(r"^(?P<before>%s)?的?(?:热词|高频词|热点词)(?P<after>%s)?(?:的|是啥|有哪些)?[\s??。]*$"
                     % (("|".join(sorted((p for p in PERIODS if p), key=len, reverse=True)),) * 2))


def _matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None          # a resident chatting "热词…" in the group is not asking the bot
    rest = _HOTWORDS(view)
    if rest is None and (m := _AROUND.match(view.text)) is not None:
        rest = m.group("before") or m.group("after") or ""
    return rest if rest is not None and rest in PERIODS else None


@router.route(Stage.STAFF_COMMAND, _matcher, roles=STAFF, private=True)
async def hot_words(ctx: Context, rest: str) -> None:
    start, end, label = N.period_bounds(rest or "本周", ctx.now, ctx.config)
    mine = ctx.sender.grid if ctx.sender.role == Role.WORKER else None
    grids = [mine] if mine is not None else [g.number for g in ctx.config.grids]
    text = T.HOT_HEAD.format(label=label, scope=T.HOT_SCOPE_GRID.format(grid=mine) if mine is not None else "")
    for grid in grids:
        words = await N.hot_words(ctx.session, start, end, grid=grid, top=TOP)
        shown = " ".join(T.HOT_WORD.format(word=w, count=c) for w, c in words) or T.HOT_NONE
        text += T.HOT_GRID.format(grid=grid, words=shown)
    await say(ctx, text + T.HOT_FOOTER)
