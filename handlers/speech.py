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
from handlers.help import _help_text
from handlers.needs import fit, overlap as _overlap, say
from kernel.privacy import public_numbers
from kernel.identity import Role
from kernel.text import speech_acts as S
from kernel.text.normalize import clean
from kernel.text.urgent import told
from models import needs as N
from notices.needs import fmt_time, short
from texts import speech as T

router = Router("speech")

RECENT = timedelta(days=7)      # a need closed within this long still shows in "我的诉求"
MAX_LISTED = 5


def is_progress(text: str, view: View | None = None) -> bool:
    """A progress question (kernel/text/speech_acts.is_progress_question) the knowledge base does not
    answer ("居住证能办了吗" is for the knowledge base)."""
    return S.is_progress_question(text) and (view is None or view.kb.answer(text) is None)


def speech_act(view: View) -> str | None:
    """The classifier's reading when it gives one, else ours (progress / thanks / greeting / about_bot / media)."""
    # Reading `understanding` classifies the message: only when addressed (it is read anyway then).
    u = view.understanding if view.addressed else None
    act = getattr(u, "speech_act", None)
    if act in (S.PROGRESS, S.THANKS, S.GREETING, S.ABOUT_BOT) and u is not None and u.intent != "demand" \
            and not (act in (S.THANKS, S.GREETING) and S.still_wrong(view.text)):
        return act            # "谢谢 辛苦了 但是水管还是在滴" is no thanks: a need (handlers/needs.still_wrong)
    if is_progress(view.text, view):
        return S.PROGRESS
    return S.small_talk(view.text)


# ---------------------------------------------------------------- progress ("我的诉求")

_MINE = re.compile(r"我|报修|反映|投诉|诉求")


def _progress_matcher(view: View) -> bool | None:
    """Addressed, or in private: any progress question. In a group without @, only one that is plainly
    about "my" request ("我反映的…怎么样了"); it is answered only if the sender has needs."""
    if not view.addressed and not _MINE.search(view.text):
        return None
    return True if is_progress(view.text, view) or (
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


# ---------------------------------------------------------------- knowledge base

def _knowledge_matcher(view: View) -> str | None:
    if not view.addressed:
        return None
    return view.kb.answer(view.text)


@router.route(Stage.INTENT, _knowledge_matcher)
async def knowledge(ctx: Context, answer: str) -> None:
    # The community's hotlines ([knowledge] phones) read in clear in a group; any other number in an answer
    # would be masked there (models/outbox.py), so such an answer goes to the asker privately, in full.
    public = public_numbers(tuple(ctx.config.knowledge.phones.values()))
    if not ctx.msg.is_private and any(re.sub(r"\D", "", p) not in public for p in N.find_phones(answer)):
        await ctx.out.private(ctx.msg.sender_id, fit(answer))
        await ctx.reply(T.PHONES_PRIVATELY.format(bot=ctx.config.bot_name))
        return
    await ctx.reply(fit(answer))


# ---------------------------------------------------------------- small talk

# "你都能帮我们做什么呀", "你会干啥", "怎么用你": the help, without "没看懂" first.
_CAPABILITIES = re.compile(r"(?:你|小助手)\w{0,4}(?:能|会|可以)\w{0,4}(?:做|干|帮)\w{0,4}(?:什么|啥|哪些)|"
                           r"(?:怎么|咋)(?:用|使用)(?:你|小助手)|(?:有|能)(?:什么|啥|哪些)(?:功能|用处|用)")
# "我想匿名反映个事", "可以匿名吗", "不想让人知道是我说的"
_ANONYMOUS = re.compile(r"匿名|不想让\w{0,4}知道是我|不想暴露|保密吗|悄悄(?:反映|说)")
# "有没有人啊", "有人吗", "在不在啊": someone checking the bot is there
_ANYONE = re.compile(r"^(?:喂|请问|你好)?[,, ]*(?:有没有人|有人吗|有人没|有人在吗|在不在|人呢)[啊呀吗呢嘛??!!~]*$")
# "5星好评", "给你点个赞", "小助手真棒", "满意" — nothing (left) to rate, but kindly answered
_PRAISE = re.compile(r"^(?:给你|给小助手)?(?:[五5]\s*星|好评|点赞|点个赞|真棒|好棒|真厉害|好厉害|太棒了|厉害了|👍+|(?:很|非常|挺|都)?满意)\w{0,6}[!!~。👍🙏]*$")


def _more_talk(view: View) -> str | None:
    if not view.addressed or view.msg.media or speech_act(view) in (S.ABOUT_BOT, S.GREETING, S.THANKS):
        return None          # "你能干啥" is answered as "你是机器人吗" (small_talk)
    if _CAPABILITIES.search(view.text):
        return "capabilities"
    if _ANONYMOUS.search(view.text) and (view.is_private or len(view.text) <= 20):
        return "anonymous"           # never filed under their name when they asked for anonymity
    if _PRAISE.match(view.text.strip()):
        return "praise"
    if _ANYONE.match(view.text.strip()):
        return "anyone"
    return None


@router.route(Stage.INTENT, _more_talk)
async def more_talk(ctx: Context, kind: str) -> None:
    bot = ctx.config.bot_name
    if kind == "capabilities":
        await ctx.reply(_help_text(ctx.view))
    elif kind == "anonymous":
        await ctx.reply(T.ANONYMOUS_HOW if ctx.msg.is_private else T.ANONYMOUS_IN_GROUP.format(bot=bot))
    elif kind == "anyone":
        await ctx.reply(T.GREETING.format(bot=bot))
    else:
        await ctx.reply(T.PRAISE.format(bot=bot))


TOLD = "told"          # "刚才是虚惊一场 火灭了": an emergency that is over, only told (kernel/text/urgent.told)


def _small_talk_matcher(view: View) -> str | None:
    if not view.addressed:
        return None           # a "谢谢", a "👍" or a photo in the group is for the neighbours
    act = speech_act(view)
    if act == S.ACK and (view.sender.is_staff or view.sender.role == Role.DEPARTMENT):
        return None           # a worker's "收到" to the bot: the staff commands (handlers/help.fallback), privately
    if act in (S.THANKS, S.GREETING, S.ABOUT_BOT, S.MEDIA, S.ACK):
        return act
    if len(view.text) <= 60 and told(clean(view.text).lower()):
        return TOLD
    return None


@router.route(Stage.INTENT, _small_talk_matcher)
async def small_talk(ctx: Context, act: str) -> None:
    c = ctx.config
    if act == S.GREETING:
        text = T.GREETING.format(bot=c.bot_name)
    elif act == S.THANKS:
        text = T.THANKS.format(bot=c.bot_name)
    elif act == S.MEDIA:
        text = T.MEDIA.format(bot=c.bot_name)
    elif act == S.ACK:
        text = T.ACK.format(bot=c.bot_name)
    elif act == TOLD:
        text = T.TOLD.format(bot=c.bot_name)
    else:
        worker = ctx.directory.worker_of_grid(ctx.grid.number) if ctx.grid else None
        text = (T.ABOUT_BOT.format(community=c.community, bot=c.bot_name, worker=worker.name) if worker
                else T.ABOUT_BOT_NO_WORKER.format(community=c.community, bot=c.bot_name))
    await ctx.reply(text)
