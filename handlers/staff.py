"""Binding people to staff roles: an admin creates a one-time invite code (`邀请 网格员 2 刘网格员`,
`邀请 科室 城管科`, `邀请 管理员 张主任`), the person sends `绑定 CODE` to the bot privately.

The worker, department and admin commands on needs (接单, 签收, 回复, 转派, 退单, 办结, 待办, 查, 统计)
live with the needs capability in handlers/needs.py, next to the operations they call; an admin's
派单 (to a named person) and 督办 by hand are here (models/needs.assign / urge, the inbox's too)."""

from __future__ import annotations

import re

from typing import Any

from kernel.identity import DEPARTMENT_STAFF, STAFF, Role
from texts import needs as T
from handlers.base import PASS, Context, Router, Stage, View, command_matcher
from handlers import needs as needs_handlers
from handlers.needs import say
from models import access, duty
from models import needs as N
from models import people
from notices.needs import announce_change, error_text, fmt_time, short
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


# ---------------------------------------------------------------- 派单 / 督办 by hand (admins)

_ASSIGN_RE = re.compile(r"^(?:派单给?|派给|改派给?|指派给?)[\s:,，。、]*(.*)$", re.S)   # "派给老赵 D…"


def _ASSIGN(view: View) -> str | None:
    m = _ASSIGN_RE.match(view.text)
    return m.group(1).strip() if m is not None else None
_URGE = command_matcher("督办", "催办")


def _staff_only(matcher):  # type: ignore[no-untyped-def]
    def match(view: View) -> str | None:
        if view.sender.role == Role.RESIDENT and not view.addressed:
            return None      # "派单了吗" chatted in a group is not a command
        rest = matcher(view)
        if rest is None or (view.sender.role == Role.RESIDENT and N.normalize_code(rest) is None):
            return None
        return rest
    return match


async def _pick_person(ctx: Context, words: str) -> tuple[str, str] | str:
    """Whom "赵网格员" / "老赵" / "赵" / "网格2" names among the staff (contact id, name); else the reply."""
    people = await duty.staff_choices(ctx.session, ctx.config)
    words = re.sub(r"^(?:给|到)\s*", "", words).strip()
    if (m := re.match(r"^(?:网格|第)?(\d+)(?:网格|号网格)?$", words)) is not None:
        g = ctx.config.grid_by_number(int(m.group(1)))
        if g is not None:
            return g.worker, people.get(g.worker, g.worker)
    key = re.sub(r"^(?:老|小)", "", words)
    exact = [(i, n) for i, n in people.items() if n == words]
    found = exact or [(i, n) for i, n in people.items() if key and (n.startswith(key) or key in n)]
    listing = "、".join(people.values())
    if not words or not found:
        return T.ASSIGN_WHO.format(name=words or "(空)", people=listing)
    if len(found) > 1:
        return T.ASSIGN_WHICH.format(name=words, people="、".join(n for _, n in found))
    return found[0]


def _code_and_words(rest: str) -> tuple[str, str] | None:
    """The need code anywhere in a command's words, and the words around it ("派单 赵网格员 D…")."""
    m = N.CODE_RE.search(rest)
    if m is None:
        return None
    return f"D{m.group(1)}-{m.group(2)}", (rest[:m.start()] + " " + rest[m.end():]).strip(" ::,,")


@router.route(Stage.STAFF_COMMAND, _staff_only(_ASSIGN), roles=STAFF, private=True)
async def assign(ctx: Context, rest: str) -> None:
    """派单 D… 赵网格员 [说明] (the code and the person in either order)."""
    if (found := _code_and_words(rest)) is None:
        await say(ctx, T.ASSIGN_USAGE.format(example=T.EXAMPLE_CODE))
        return
    code, words = found
    who, _, note = words.partition(" ")
    picked = await _pick_person(ctx, who)
    if isinstance(picked, str):
        await say(ctx, picked)
        return
    try:
        ctx.private_in_staff_group = (await N.get_need(ctx.session, code)).tree_hole
        change = await N.assign(ctx.session, ctx.now, ctx.config, code, ctx.sender, picked[0], picked[1],
                                note.strip(" ::,,") or None)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, "dispatch"))
        return
    await say(ctx, T.ASSIGNED.format(worker=picked[1], code=change.need.code,
                                     due=fmt_time(change.need.due_at, ctx.now, ctx.config)))
    await announce_change(ctx.out, ctx.config, change)


@router.route(Stage.STAFF_COMMAND, _staff_only(_URGE), roles=STAFF, private=True)
async def urge(ctx: Context, rest: str) -> None:
    """督办 D… [说明]: the holder is pressed privately, the event kept."""
    if (found := _code_and_words(rest)) is None:
        await say(ctx, T.URGE_USAGE.format(example=T.EXAMPLE_CODE))
        return
    code, note = found
    try:
        need = await N.get_need(ctx.session, code)
        ctx.private_in_staff_group = need.tree_hole
        if need.assignee == ctx.sender.id and need.department is None and need.status in N.OPEN_STATUSES:
            await say(ctx, T.URGED_SELF.format(code=need.code))
            return
        change = await N.urge(ctx.session, ctx.now, ctx.config, code, ctx.sender, note or None)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, "escalate"))
        return
    await say(ctx, T.URGED.format(code=change.need.code,
                                  holder=change.need.department or change.need.assignee_name or "承办人"))
    await announce_change(ctx.out, ctx.config, change)


# ---------------------------------------------------------------- a need code with no command

_NOTICE_HEAD = re.compile(r"^【[^】]{1,12}】")     # a notice of the bot's, copied or forwarded back to it


_QUERY_AFTER = re.compile(r"^[\s:,，]*(?:查|查询|查看|进度|查一下|怎么样了?|啥情况|什么情况|到哪了)[\s??。]*$")
_QUERY_SHORT = re.compile(r"^(?:查|查询|查看|进度|查一下)[\s:,，]*((?:\d{4}-?|\d{8}-?)?\d{4})[\s??。]*$")


def _query_short(view: View) -> str | None:
    """查 0001 / 进度 1124-0001: a need by the digits someone remembers — staff: the needs they may see;
    a resident addressing the bot (or in private): their own."""
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    m = _QUERY_SHORT.match(view.text)
    return m.group(1) if m is not None else None


@router.route(Stage.STAFF_COMMAND, _query_short, private=True)
async def query_short(ctx: Context, digits: str) -> None:
    if ctx.sender.role == Role.RESIDENT:
        await needs_handlers.query(ctx, digits)    # their own needs only; anyone else's reads as missing
        return
    found, _after = await needs_handlers.short_code(ctx, digits) or ([], "")
    if len(found) == 1:
        await needs_handlers.query(ctx, found[0].code)
        return
    items = "".join(T.BARE_ITEM.format(code=n.code, text=short(n.text, 20)) for n in found[:5])
    await say(ctx, T.SHORT_CODE_MANY.format(n=len(found), items=items) if found
              else T.SHORT_CODE_NONE.format(digits=digits))


_QUERY_BUILDING = re.compile(r"^(?:查|查询|查看|查一下)[\s:,，]*(\d{1,3})\s*(?:栋|号楼|幢|座)(?:的)?(?:诉求|问题|工单)?[\s??。]*$")


def _query_building(view: View) -> int | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None     # a resident chatting "查3栋…" in the group is not asking the bot
    m = _QUERY_BUILDING.match(view.text)
    return int(m.group(1)) if m is not None else None


@router.route(Stage.STAFF_COMMAND, _query_building, roles=STAFF | DEPARTMENT_STAFF, private=True)
async def query_building(ctx: Context, building: int) -> None:
    """查 3栋: the open needs of a building the sender may see, nearest clock first."""
    scope = await duty.scope_for(ctx.session, ctx.config, ctx.sender)
    rows = [n for n in await N.todo_for(ctx.session, ctx.sender, scope.covers)
            if n.building == building and access.may_see(scope, n)]
    ctx.private_in_staff_group = any(n.tree_hole for n in rows)
    await needs_handlers.log_chat_view(ctx, None, f"查 {building}栋: " + " ".join(n.code for n in rows[:50]))
    if not rows:
        await say(ctx, T.BUILDING_NONE.format(building=building))
        return
    items = "".join(T.BUILDING_ITEM.format(code=n.code, status=n.status_name, text=short(n.text, 24))
                    for n in rows[:8])
    await say(ctx, T.BUILDING_HEAD.format(building=building, n=len(rows)) + items
              + (T.TODO_MORE.format(n=len(rows) - 8) if len(rows) > 8 else ""))


def _code_without_command(view: View) -> str | None:
    """Staff writing to the bot with a need code that no command took ("@小助手 D… 怎么样了", a
    【新诉求】 notice forwarded back): never a resident's need; the code and what can be done with it."""
    if view.sender.role == Role.RESIDENT or not view.addressed:
        return None
    m = N.CODE_RE.search(view.text)
    if m is None:
        return None
    return f"D{m.group(1)}-{m.group(2)}"


# After the staff and resident commands (接单 D…, 查 D… …), before plain language is read as a need.
@router.route(Stage.FOLLOW_UP, _code_without_command, roles=STAFF | DEPARTMENT_STAFF)
async def code_hint(ctx: Context, code: str) -> None:
    m = N.CODE_RE.search(ctx.text)
    if m is not None and m.start() < 2 and _QUERY_AFTER.match(ctx.text[m.end():]):
        ctx.privately = True
        await needs_handlers.query(ctx, code)        # "D… 查", "D… 怎么样了"
        return
    forwarded = bool(_NOTICE_HEAD.match(ctx.text))
    text = (T.CODE_HINT_FORWARDED if forwarded else T.CODE_HINT).format(code=code)
    if ctx.msg.is_private or ctx.view.scope == ctx.config.staff_group:
        await ctx.reply(text)
    else:
        await ctx.out.private(ctx.msg.sender_id, text)     # a resident group does not read staff hints
