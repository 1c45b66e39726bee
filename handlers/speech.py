"""The things people naturally say to the bot, answered before anything tries to file them as a need:

- "我前天说的下水道弄好没", "我反映的问题怎么样了", "我的诉求" → the status of the sender's own needs;
- "社区几点开门", "医保怎么交" → the config's knowledge base ([knowledge], kernel/text/knowledge.py);
- "你好", "谢谢", "你是机器人吗", "[语音]" → a short, kind answer (only when addressed: a group line
  without @ is not for the bot).

Ratings in words ("满意满意 辛苦小李了🙏") are the needs capability's follow-up (handlers/needs.py);
detection of all of these lives in kernel/text/speech_acts.py. When the classifier supplies
`Understanding.speech_act`, it is preferred over the local reading."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from handlers.base import PASS, Context, Router, Stage, View
from handlers.needs import say
from kernel.text import speech_acts as S
from models import needs as N
from notices.needs import fmt_time, short
from texts import speech as T

router = Router("speech")

RECENT = timedelta(days=7)      # a need closed within this long still shows in "我的诉求"
MAX_LISTED = 5


def speech_act(view: View) -> str | None:
    """The classifier's reading when it gives one, else ours (progress / thanks / greeting / about_bot / media)."""
    # Reading `understanding` classifies the message: only when addressed (it is read anyway then).
    u = view.understanding if view.addressed else None
    act = getattr(u, "speech_act", None)
    if act in (S.PROGRESS, S.THANKS, S.GREETING, S.ABOUT_BOT) and u is not None and u.intent != "demand":
        return act
    if S.is_progress_question(view.text):
        return S.PROGRESS
    return S.small_talk(view.text)


# ---------------------------------------------------------------- progress ("我的诉求")

_MINE = re.compile(r"我|报修|反映|投诉|诉求")


def _progress_matcher(view: View) -> bool | None:
    """Addressed, or in private: any progress question. In a group without @, only one that is plainly
    about "my" request ("我反映的…怎么样了"); it is answered only if the sender has needs."""
    if not view.addressed and not _MINE.search(view.text):
        return None
    return True if S.is_progress_question(view.text) or (
        view.addressed and speech_act(view) == S.PROGRESS) else None


@router.route(Stage.RESIDENT_COMMAND, _progress_matcher)
async def progress(ctx: Context, _args: Any) -> Any:
    rows = await N.requester_needs(ctx.session, ctx.sender.id, ctx.now - RECENT)
    visible = [(n, s) for n in rows if (s := await _shown(ctx, n)) is not None]
    # In a group, only what was raised in that group: the rest may be private.
    shown = visible if ctx.msg.is_private else [(n, s) for n, s in visible if n.chat == ctx.msg.group_topic]
    elsewhere = len(visible) - len(shown)
    bot = ctx.config.bot_name
    if not shown:
        if not ctx.view.addressed:
            return PASS                       # group chatter that only sounded like a question to us
        if not elsewhere and ctx.view.understanding.intent == "demand" and not S.chases_only(ctx.text):
            return PASS                       # "我报的3栋电梯坏了怎么还没修" with nothing on record: file it
        await say(ctx, T.PROGRESS_ONLY_ELSEWHERE.format(n=elsewhere, bot=bot) if elsewhere
                  else T.PROGRESS_NONE.format(bot=bot))
        return None
    shown.sort(key=lambda ns: _overlap(ctx.text, ns[0].text), reverse=True)  # "下水道…" first
    text = T.PROGRESS_HEAD
    for need, status in shown[:MAX_LISTED]:
        text += _item(ctx, need, status)
    if any(code for code in (_code_given(n, s) for n, s in shown[:MAX_LISTED])):
        text += T.PROGRESS_FOOTER
    if elsewhere:
        text += T.PROGRESS_ELSEWHERE.format(n=elsewhere, bot=bot)
    await say(ctx, text)
    return None


async def _shown(ctx: Context, need: N.Need) -> N.Need | None:
    """The need whose progress the resident sees (the parent of a merged need); None when that one
    closed long ago."""
    shown = need
    if need.merged_into:
        try:
            shown = await N.get_need(ctx.session, need.merged_into)
        except N.NeedError:
            return None
    if shown.status not in N.OPEN_STATUSES and shown.updated_at < ctx.now - RECENT:
        return None
    return shown


def _code_given(need: N.Need, shown: N.Need) -> str | None:
    """The code the resident was told: their own, or the parent's they were merged into. A need a
    worker registered from group talk (未诉先办) was never announced to them: no code."""
    if need.source == N.Source.SUGGESTION:
        return None
    return shown.code


def _item(ctx: Context, need: N.Need, shown: N.Need) -> str:
    code = _code_given(need, shown)
    status = shown.status_name
    if shown.status in N.OPEN_STATUSES and (shown.department or shown.assignee_name):
        status += T.PROGRESS_HOLDER.format(holder=shown.department or shown.assignee_name)
    text = T.PROGRESS_ITEM.format(code=T.PROGRESS_CODE.format(code=code) if code else "",
                                  category=need.category_name, text=short(need.text, 24), status=status)
    if shown.last_reply:
        text += T.PROGRESS_REPLY.format(at=fmt_time(shown.last_reply_at, ctx.now, ctx.config),
                                        reply=short(shown.last_reply, 60))
    elif shown.resolution and shown.status in N.DONE_STATUSES:
        text += T.PROGRESS_RESOLUTION.format(resolution=short(shown.resolution, 60))
    return text


_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _overlap(question: str, text: str) -> int:
    """Two-character pieces the question shares with a need's text: "下水道弄好没" finds the drain."""
    grams = {run[i:i + 2] for run in _HAN.findall(question) for i in range(len(run) - 1)}
    return sum(1 for g in grams if g in text)


# ---------------------------------------------------------------- knowledge base

def _knowledge_matcher(view: View) -> str | None:
    if not view.addressed:
        return None
    return view.kb.answer(view.text)


@router.route(Stage.INTENT, _knowledge_matcher)
async def knowledge(ctx: Context, answer: str) -> None:
    await say(ctx, answer)


# ---------------------------------------------------------------- small talk

def _small_talk_matcher(view: View) -> str | None:
    if not view.addressed:
        return None           # a "谢谢" or a photo in the group is for the neighbours
    act = speech_act(view)
    return act if act in (S.THANKS, S.GREETING, S.ABOUT_BOT, S.MEDIA) else None


@router.route(Stage.INTENT, _small_talk_matcher)
async def small_talk(ctx: Context, act: str) -> None:
    c = ctx.config
    if act == S.GREETING:
        text = T.GREETING.format(bot=c.bot_name)
    elif act == S.THANKS:
        text = T.THANKS.format(bot=c.bot_name)
    elif act == S.MEDIA:
        text = T.MEDIA.format(bot=c.bot_name)
    else:
        worker = ctx.directory.worker_of_grid(ctx.grid.number) if ctx.grid else None
        text = (T.ABOUT_BOT.format(community=c.community, bot=c.bot_name, worker=worker.name) if worker
                else T.ABOUT_BOT_NO_WORKER.format(community=c.community, bot=c.bot_name))
    await ctx.reply(text)
