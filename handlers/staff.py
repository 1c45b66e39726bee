"""Binding people to staff roles: an admin creates a one-time invite code (`邀请 网格员 2 刘网格员`,
`邀请 科室 城管科`, `邀请 管理员 张主任`), the person sends `绑定 CODE` to the bot privately.

The worker, department and admin commands on needs (接单, 签收, 回复, 转派, 退单, 办结, 待办, 查, 统计)
live with the needs capability in handlers/needs.py, next to the operations they call."""

from __future__ import annotations

import re

from typing import Any

from kernel.identity import Role
from texts import needs as T
from handlers.base import PASS, Context, Router, Stage, View, command_matcher
from models import people
from models.outbox import Priority
from models.people import all_bindings, create_invite, redeem_invite

router = Router("staff")


def _leak_matcher(view: View) -> list[str] | None:
    """Any group message with a word shaped like an invite code (no database here)."""
    if view.is_private:
        return None
    return people.invite_tokens(view.text) or None


@router.route(Stage.STAFF_COMMAND, _leak_matcher)
async def invite_leaked(ctx: Context, tokens: list[str]) -> Any:
    """A live invite code posted in a group is public: revoke it at once and tell the admins privately
    (whoever posted it, whatever else the message says)."""
    leaked = await people.revoke_leaked(ctx.session, tokens, ctx.now)
    if not leaked:
        return PASS
    admins = {a.id for a in ctx.config.admins}
    for invite in leaked:
        text = T.INVITE_LEAKED_ADMIN.format(invite=invite.code, role=T.ROLE_NAMES.get(invite.role, invite.role),
                                            name=invite.name, chat=ctx.msg.group_topic or "", bot=ctx.config.bot_name)
        for admin in sorted(admins | {invite.created_by}):
            await ctx.out.private(admin, text, priority=Priority.URGENT)
    await ctx.reply(T.INVITE_LEAKED_GROUP)
    return None

ADMINS = frozenset({Role.ADMIN})
_ROLE_WORDS = {"网格员": "worker", "科室": "department", "管理员": "admin", "书记": "admin"}
_INVITE_RE = re.compile(r"^(网格员|科室|管理员|书记)[\s:,，、。]*(.*)$")
_INVITE_STUCK = re.compile(r"^邀请(?=网格员|科室|管理员|书记)(.*)$", re.S)     # "邀请网格员 3 陈晓"


_INVITE = command_matcher("邀请")   # compiled once, not per message
_BIND = command_matcher("绑定")


def _invite_matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    rest = _INVITE(view)
    if rest is None and view.sender.role == Role.ADMIN and (m := _INVITE_STUCK.match(view.text)) is not None:
        rest = m.group(1)
    return rest


# private: typed in a group, the new code still goes to the admin privately (a code in a group is void).
@router.route(Stage.STAFF_COMMAND, _invite_matcher, roles=ADMINS, private=True,
              refusal="抱歉,只有社区管理员可以生成邀请码。")
async def invite(ctx: Context, rest: str) -> None:
    config = ctx.config
    m = _INVITE_RE.match(rest.strip())
    if m is None:
        await ctx.reply(T.INVITE_USAGE)
        return
    role = _ROLE_WORDS[m.group(1)]
    args = m.group(2).strip()
    ref: str | None = None
    if role == "worker":
        gm = re.match(r"^(?:网格)?(\d+)\s*(.*)$", args)
        if gm is None or not gm.group(2).strip():
            await ctx.reply(T.INVITE_USAGE)
            return
        grid = int(gm.group(1))
        if config.grid_by_number(grid) is None:
            await ctx.reply(T.INVITE_NO_GRID.format(grid=grid, grids="、".join(str(g.number) for g in config.grids)))
            return
        ref, name = str(grid), gm.group(2).strip()[:30]
    elif role == "department":
        dept = config.department(args.split(" ")[0]) if args else None
        if dept is None:
            await ctx.reply(T.INVITE_NO_DEPARTMENT.format(name=args[:20] or "(空)",
                                                          departments="、".join(d.name for d in config.departments)))
            return
        ref = name = dept.name
    else:
        if not args:
            await ctx.reply(T.INVITE_USAGE)
            return
        name = args[:30]
    code = await create_invite(ctx.session, role=role, ref=ref, name=name, created_by=ctx.sender.id, now=ctx.now)
    await ctx.reply(T.INVITE_CREATED.format(role=T.ROLE_NAMES[role], invite=code, name=name, bot=config.bot_name))


def _bind_matcher(view: View) -> str | None:
    rest = _BIND(view)
    if rest is None:
        return None
    if not view.is_private and not view.addressed:
        return rest if re.fullmatch(r"[A-Za-z0-9]{6}", rest) else None
    return rest


@router.route(Stage.RESIDENT_COMMAND, _bind_matcher)
async def bind(ctx: Context, rest: str) -> None:
    bot = ctx.config.bot_name
    if not ctx.msg.is_private:
        await ctx.reply(T.BIND_IN_GROUP.format(bot=bot))
        return
    code = rest.strip().upper()
    if not code:
        await ctx.reply(T.BIND_USAGE.format(bot=bot))
        return
    gate = await people.bind_gate(ctx.session, ctx.sender.id, ctx.now)
    if not gate.open:       # guessing: one polite answer per lock, then silence
        if gate.tell:
            limits = people.LIMITS
            window = limits.person_window if gate.why == "person" else limits.global_window
            await ctx.reply((T.BIND_LOCKED if gate.why == "person" else T.BIND_PAUSED)
                            .format(minutes=int(window.total_seconds() // 60)))
        return
    binding = await redeem_invite(ctx.session, code, ctx.sender.id, ctx.now)
    if binding is None:
        if await people.bind_failed(ctx.session, ctx.sender.id, ctx.now):
            limits = people.LIMITS
            minutes = int(limits.global_window.total_seconds() // 60)
            for admin in ctx.config.admins:
                await ctx.out.private(admin.id, T.BIND_FLOOD_ADMIN.format(
                    minutes=minutes, n=limits.global_failures, pause=minutes), priority=Priority.URGENT)
        await ctx.reply(T.BIND_FAILED)
        return
    await ctx.session.flush()
    bindings = await all_bindings(ctx.session)
    directory = ctx.directory
    # The in-memory directory learns the new role only once the binding is committed.
    ctx.after_commit.append(lambda: directory.reload(bindings))
    if binding.role == "worker":
        what = T.BOUND_WHAT_WORKER.format(grid=binding.ref, name=binding.name)
    elif binding.role == "department":
        what = T.BOUND_WHAT_DEPARTMENT.format(department=binding.ref)
    else:
        what = T.BOUND_WHAT_ADMIN.format(name=binding.name)
    await ctx.reply(T.BOUND.format(what=what))
