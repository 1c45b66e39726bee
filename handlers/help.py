"""The last resort when the bot is addressed but nothing else understood the message: a short help."""

from __future__ import annotations

import re

from handlers.base import Context, Router, Stage, View
from kernel.identity import Role
from kernel.text.speech_acts import is_bare_ack

router = Router("help")

RESIDENT_HELP = (
    "您好,我是{bot},可以帮您:\n"
    "· 反映问题: @{bot} 3栋电梯坏了\n"
    "· 预约功能室: 预约 钢琴房 明天下午3点到5点\n"
    "· 活动报名: 报名 花灯 2人\n"
    "· 查看: 我的预约 / 我的报名 / 我的诉求(反映的问题办得怎样了)\n"
    "· 办事咨询: 社区几点开门 / 居住证怎么办 / 物业电话\n"
    "· 私聊我发「树洞 + 内容」可匿名反映"
)
STAFF_HELP = (
    "网格员指令:\n"
    "· 诉求: 待办 / 接单 代码 / 回复 代码 内容 / 转派 代码 科室 / 退单 代码 原因 / 办结 代码 说明 / 查 代码 / 统计 本周\n"
    "· 活动: 发布活动 标题 时间 地点 名额N [截止 时间] [费用 金额] [群 网格1,网格2]\n"
    "· 功能室: 今日预约 / 审批 / 通过 B代码 / 拒绝 B代码 原因 / 封闭 房间 时间 原因\n"
    "· 推送: 定时通知 时间 [群 …] 内容 / 推送列表 / 暂停推送 P代码 / 立即推送 P代码 / 问卷结果 S代码"
)

ADMIN_LINE = "\n· 管理员: 派单 代码 网格员 / 督办 代码 说明 / 月报 / 邀请 网格员 网格号 姓名"
DEPARTMENT_HELP = (
    "科室指令:\n"
    "· 待办: 看转派给本科室的诉求\n"
    "· 签收 代码 / 回复 代码 内容 / 办结 代码 说明\n"
    "· 不属本科室职责: 退单 代码 原因\n"
    "· 查 代码: 看一件诉求的进度和经过"
)

# The WeCom AI bot receives only group messages that @ it (and single chats): say so where it runs.
WECOM_NOTE = "· 在企业微信群里请先 @{bot} 再说(没有 @ 我的消息我收不到;接龙也请 @{bot} 后发)"


OK = "好的😊 有需要随时找{bot}。"
_NODS = ("是", "是的", "对", "对的", "好", "行", "可以")
GO_ON = "您请接着说,小助手听着呢😊 比如「3栋2单元楼道灯不亮」。"
_QUESTION = re.compile(r"[??]|吗|呢|什么|啥|怎么|咋|哪|几|多少")


def _fragment(view: View) -> bool:
    """A few words in private from a resident, no question in them: the start of what they mean to say."""
    t = view.text.strip()
    return view.is_private and not view.sender.is_staff and 2 <= len(t) <= 6 and not _QUESTION.search(t) \
        and not any(c.isascii() and c.isalnum() for c in t)


RESIDENT_HELP_POINTER = "(居民能用的功能: 发「帮助」查看)"


def _help_text(view: View, *, staff_only: bool = False) -> str:
    """Residents: their help. Staff: theirs too after 「帮助」; after a message not understood, only
    the staff commands first (a worker on a phone wants the command list, not the residents' one)."""
    if view.sender.role == Role.DEPARTMENT:
        return DEPARTMENT_HELP      # a department's duty person works needs only
    staff_help = STAFF_HELP + (ADMIN_LINE if view.sender.role == Role.ADMIN else "")
    if view.sender.is_staff and staff_only:
        return staff_help + "\n" + RESIDENT_HELP_POINTER
    text = RESIDENT_HELP.format(bot=view.config.bot_name)
    if view.msg.channel == "wecom":
        text += "\n" + WECOM_NOTE.format(bot=view.config.bot_name)
    return text + "\n" + staff_help if view.sender.is_staff else text


@router.command("帮助", "help", "菜单", "?", "?")
async def show_help(ctx: Context, _args: str) -> None:
    await ctx.reply(_help_text(ctx.view))


@router.route(Stage.FALLBACK, lambda view: True)
async def fallback(ctx: Context, _args: object) -> None:
    staff = ctx.sender.is_staff or ctx.sender.role == Role.DEPARTMENT
    if not ctx.text:
        text = _help_text(ctx.view)
    elif not staff and ctx.view.is_private and (is_bare_ack(ctx.text) or ctx.text.strip() in _NODS):
        await ctx.reply(OK.format(bot=ctx.config.bot_name))           # "是", "好的", "嗯" with nothing asked: no menu for a nod
        return
    elif not staff and _fragment(ctx.view):
        # "我家楼上" — the first words of several messages typed in a row: not a menu, just listening
        await ctx.reply(GO_ON)
        return
    else:
        text = "抱歉,小助手没太看懂。\n" + _help_text(ctx.view, staff_only=True)
    if staff and not ctx.msg.is_private and ctx.view.scope != ctx.config.staff_group:
        await ctx.out.private(ctx.msg.sender_id, text)    # the staff commands are no reading for a resident group
    else:
        await ctx.reply(text)
