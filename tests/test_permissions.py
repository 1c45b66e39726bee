"""Permissions: staff commands from people without the role, other people's codes, and the web server
without a session.

The staff commands are not a hand-kept list: every route the capability routers register with `roles`
is found in the dispatcher and tried with a representative text (CANDIDATES below; a new staff route
without one fails `test_every_staff_route_has_a_representative_text`). Each is sent, in private chat
and in a group with @, by every role the route does not allow; it must be refused politely and
change nothing in the database."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

from sqlalchemy import select

from kernel.identity import Person, Role
from kernel.message import IncomingMessage
from handlers.base import Route, View
from models.base import Base

# Who plays each role (config.example.toml).
AS_ROLE = {Role.RESIDENT: "wx_ma", Role.WORKER: "wx_wang", Role.ADMIN: "wx_li", Role.DEPARTMENT: "wx_cg"}

# CONTRACTS §5 (worker/admin and department words) and the staff commands the capabilities add.
# {need}: a resident's open need, {booking}: a confirmed booking, {pending}: one waiting for approval,
# {event}: a published event, {push}: a scheduled notice.
CANDIDATES = [
    "接单 {need}", "签收 {need}", "回复 {need} 已联系物业,明天上午来修", "转派 {need} 城管科 占道经营",
    "退单 {need} 不属于本网格", "办结 {need} 已修好", "待办", "统计", "统计 本周", "统计 今天", "统计 本月",
    "发布活动 花灯制作 明天下午3点 社区广场 名额20", "邀请 网格员 2 刘网格员", "邀请 科室 城管科",
    "审批 {pending}", "通过 {pending}", "拒绝 {pending} 时间冲突", "待审批", "今天预约", "明天的预约",
    "利用率 本周", "人气 周", "封场 多功能厅 明天下午2点到5点 消防检查", "每周二晚上7点 多功能厅 舞蹈队",
    "改活动 {event} 名额40", "取消活动 {event} 下雨改期", "移除报名 {event} 马阿姨", "名单 {event}",
    "爽约 马阿姨", "推送列表", "暂停推送 {push}", "恢复推送 {push}", "取消推送 {push}", "立即推送 {push}",
    "定时通知 每周一 09:00 群 网格1 本周三上午社区义诊", "问卷列表", "问卷结果 Q1", "结束问卷 Q1", "热词", "热词 本月",
    "记录 {booking}", "记录 {event}", "记录 {event} 马阿姨", "派单 {need} 孙网格员", "督办 {need} 尽快回复居民", "查 3栋",
]
# Tables a refused message may touch: its own dedup row and the refusal in the outbox.
BOOKKEEPING = {"processed_messages", "outbox"}


def staff_routes(harness) -> list[Route]:  # type: ignore[no-untyped-def]
    return [r for r in harness.core.dispatcher.routes if r.roles is not None]


def person(harness, role: Role) -> Person:  # type: ignore[no-untyped-def]
    contact = AS_ROLE[role]
    return harness.core.directory.resolve(contact, contact)


def view_of(harness, sender: Person, text: str, chat: str | None) -> View:  # type: ignore[no-untyped-def]
    config = harness.config
    msg = IncomingMessage(id="probe", account=config.bot_id, channel="test", sender_id=sender.id,
                          sender_name=sender.name, text=text, at=harness.clock.now(), group_id=chat,
                          group_topic=chat, mentions_bot=chat is not None)
    return View(msg, text, True, sender, config.grid_by_topic(chat), config)


async def snapshot(harness) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    """Every row of every table but the bookkeeping ones."""
    import models.all  # noqa: F401  (every model module, so metadata knows every table)

    state = {}
    async with harness.core.sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = (await s.execute(select(table))).all()
            state[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return state


def diff(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    return {t: {"before": len(before.get(t, [])), "after": len(after.get(t, []))}
            for t in set(before) | set(after) if before.get(t) != after.get(t)}


async def world(harness) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Something real behind every code, so that a missing refusal would visibly change it."""
    h = harness
    codes: dict[str, str] = {}
    out = await h.say("网格1一家亲", "wx_zhang", "@小助手 3栋电梯又坏了,困了好久")
    codes["need"] = _code(r"D\d{8}-\d{4}", out)
    out = await h.say("网格1一家亲", "wx_zhang", "预约 钢琴房 明天下午3点到5点")
    codes["booking"] = _code(r"B\d{3,}", out)
    out = await h.say("网格1一家亲", "wx_zhang", "预约 会议室 明天上午9点到11点")
    codes["pending"] = _code(r"B\d{3,}", out)
    out = await h.say("私聊", "wx_wang", "发布活动 反诈讲座 后天下午3点 社区广场 名额30 群 网格1,网格2,网格3")
    codes["event"] = _code(r"E\d{3,}", out)
    await h.say("网格1一家亲", "wx_ma", "报名 反诈讲座 2人")
    out = await h.say("私聊", "wx_li", "定时通知 每周一 09:00 群 网格1 本周三上午社区义诊")
    codes["push"] = _code(r"P\d+", out, default="P1")
    return codes


def _code(pattern: str, out: list[Any], default: str | None = None) -> str:
    for d in out:
        m = re.search(pattern, d.text)
        if m:
            return m.group(0)
    if default is not None:
        return default
    raise AssertionError(f"no {pattern} in {[d.text for d in out]}")


def representative(harness, route: Route, codes: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Candidate texts this staff route takes from someone it allows."""
    allowed = [person(harness, role) for role in AS_ROLE if role in route.roles]  # type: ignore[operator]
    texts = []
    for template in CANDIDATES:
        text = template.format(**codes)
        if any(route.match(view_of(harness, p, text, chat)) is not None
               for p in allowed for chat in (None, "网格1一家亲")):
            texts.append(text)
    return texts


async def test_every_staff_route_has_a_representative_text(harness) -> None:  # type: ignore[no-untyped-def]
    codes = await world(harness)
    routes = staff_routes(harness)
    assert routes, "no route registered with roles"
    missing = [r.name for r in routes if not representative(harness, r, codes)]
    assert not missing, f"add a representative text to CANDIDATES for: {missing}"


async def test_staff_commands_refused_for_other_roles_and_change_nothing(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    codes = await world(harness)
    refusals = {r.refusal for r in h.core.dispatcher.routes if r.roles is not None}
    ids = itertools.count(1)
    tried: list[tuple[str, str, str]] = []
    problems: list[str] = []
    for route in staff_routes(h):
        texts = representative(h, route, codes)
        before = await snapshot(h)
        for role in AS_ROLE:
            if role in route.roles:  # type: ignore[operator]
                continue
            sender = person(h, role)
            for chat in (None, "网格1一家亲"):
                for text in texts:
                    if route.match(view_of(h, sender, text, chat)) is None:
                        continue   # a role-aware matcher: for this person it is not that command at all
                    msg = IncomingMessage(
                        id=f"perm-{next(ids)}", account=h.config.bot_id, channel="test", sender_id=sender.id,
                        sender_name=sender.name, text=text if chat is None else f"@小助手 {text}",
                        at=h.clock.now(), group_id=chat, group_topic=chat, mentions_bot=chat is not None)
                    outcome = await h.core.dispatcher.handle(msg)
                    tried.append((route.name, role.value, text))
                    where = "私聊" if chat is None else chat
                    if len(outcome.replies) != 1 or outcome.replies[0] not in refusals:
                        problems.append(f"{route.name}: {role.value} in {where} «{text}» → {outcome.route} "
                                        f"{[r[:80] for r in outcome.replies]}")
        after = await snapshot(h)
        if before != after:
            problems.append(f"{route.name}: refused senders changed the database: {diff(before, after)}")
    assert tried, "no staff command was tried"
    assert not problems, "\n".join(problems)
    print(f"\n[permissions] {len({n for n, _, _ in tried})} staff routes, {len(tried)} refused attempts "
          f"({', '.join(f'{role} {n}' for role, n in sorted(Counter(r for _, r, _ in tried).items()))})")
    # a resident tried every staff route that takes residents' words at all
    assert {name for name, role, _ in tried if role == "resident"} >= {
        r.name for r in staff_routes(h)
        if any(r.match(view_of(h, person(h, Role.RESIDENT), t, None)) is not None
               for t in representative(h, r, codes))}


# Staff texts that are also a resident's own request when a resident says them (a weekly slot is a
# booking request from a resident): not expected to be refused.
RESIDENT_ALSO = {"每周二晚上7点 多功能厅 舞蹈队"}


async def test_staff_texts_from_a_resident(harness) -> None:  # type: ignore[no-untyped-def]
    """CONTRACTS §5 and every other staff text of CANDIDATES, as a resident types them — privately, in
    the group with @ and without: refused (or, a bare word in a group, ignored as chatter), never
    acted on — whatever the route's `roles` say (this catches a staff route that forgot them)."""
    h = harness
    codes = await world(harness)
    refusals = {r.refusal for r in h.core.dispatcher.routes if r.roles is not None}
    before = await snapshot(h)
    problems = []
    for template in CANDIDATES:
        if template in RESIDENT_ALSO:
            continue
        text = template.format(**codes)
        for chat, said in (("私聊", text), ("网格1一家亲", f"@小助手 {text}"), ("网格1一家亲", text)):
            out = await h.say(chat, "wx_ma", said)
            texts = [d.text for d in out]
            addressed = chat == "私聊" or said.startswith("@")
            if (addressed and not texts) or any(t not in refusals for t in texts):
                problems.append(f"{chat} «{said}» → {[t[:80] for t in texts]}")
            if any(d.to not in (chat, "私聊:wx_ma") for d in out):
                problems.append(f"{chat} «{said}» told someone else: {[d.to for d in out]}")
    assert not problems, "\n".join(problems)
    after = await snapshot(h)
    assert after == before, diff(before, after)


async def test_other_peoples_codes(harness) -> None:  # type: ignore[no-untyped-def]
    """A resident holding someone else's code can neither see nor change what is behind it."""
    h = harness
    codes = await world(harness)
    before = await snapshot(h)
    out = await h.say("网格1一家亲", "wx_yang", f"查 {codes['need']}")
    assert out and "电梯" not in out[0].text and "张阿姨" not in out[0].text, out[0].text
    for text in (f"取消 {codes['booking']}", f"签到 {codes['booking']}", f"取消预约 {codes['booking']}",
                 "满意", f"不满意 {codes['need']}", f"取消 {codes['event']}"):
        out = await h.say("网格1一家亲", "wx_yang", text)
        for d in out:
            assert d.to == "网格1一家亲" and d.mentions == ("wx_yang",), d   # nobody else is told anything
    assert await snapshot(h) == before


# ------------------------------------------------------------------ the web server without a session

# Routes anyone may call, and why:
EXEMPT = {
    "/": "the index page: links only, no data",
    "/healthz": "load balancers and monitoring probe it without credentials; counts only",
    "/metrics": "Prometheus scrapes it; counters only; served to direct loopback clients or with the bearer "
                "GRIDBOT_METRICS_TOKEN (tests/test_ops_service.py checks the refusals)",
    "/static": "stylesheets and scripts of the pages, no data",
    "/inbox/login": "the login form itself: how a session is obtained",
    "/api/token": "exchanges credentials for an API token: how an API client authenticates",
    "/api/openapi.json": "the API's machine-readable description, no data",
    "/sandbox": "demo only: mounted only with the built-in gateway simulator (gridbot demo); CSRF-protected",
    "/s/": "the public H5 survey pages: residents open them from a group link without an account "
           "(one answer per household is enforced by the form itself)",
}


def _url(resource: Any, info: dict[str, Any], path: str) -> str:
    """A concrete URL for a route: each path parameter gets a value its pattern accepts, or the first
    choice of `{name:a|b}`."""
    pattern = info.get("pattern")
    if pattern is None:
        return path
    values = {}
    for name, regex in re.findall(r"\(\?P<(\w+)>([^)]*)\)", pattern.pattern):
        if re.fullmatch(r"[\w|]+", regex):
            values[name] = regex.split("|")[0]
        else:   # a value the route accepts, so that the request reaches the route's guard
            values[name] = next((v for v in ("x", "1", "S1", "D20261123-0001") if re.fullmatch(regex, v)), "x")
    return str(resource.url_for(**values))


def _exempt(path: str) -> str | None:
    for prefix, why in EXEMPT.items():
        if path == prefix or (prefix != "/" and path.startswith(prefix)):
            return why
    return None


async def test_web_routes_refuse_without_a_session(harness) -> None:  # type: ignore[no-untyped-def]
    """GET/POST every route of the web app (with the simulator mounted: the largest set) without a
    session: anything not listed in EXEMPT must answer 401/403 or redirect to a login page."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web.app import make_app

    app = make_app(harness.core, simulator=object())
    checked: list[tuple[str, str, int]] = []
    exempted: set[str] = set()
    async with TestClient(TestServer(app)) as client:
        for resource in app.router.resources():
            info = resource.get_info()
            path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
            if _exempt(path):
                exempted.add(path)
                continue
            url = _url(resource, info, path)
            methods = {route.method for route in resource} - {"HEAD", "OPTIONS"}
            for method in methods or {"GET"}:
                method = "POST" if method == "*" else method
                async with client.request(method, url, allow_redirects=False, json={}) as r:
                    checked.append((method, path, r.status))
                    location = r.headers.get("Location", "")
                    refused = r.status in (401, 403) or (r.status in (302, 303) and "login" in location)
                    assert refused, f"{method} {path} answered {r.status} without a session"
    assert exempted >= {"/", "/healthz", "/metrics"}
    assert checked, "no web route needs a session: the inbox routes are missing"


def test_exempt_web_paths_are_explained() -> None:
    assert all(len(why) > 20 for why in EXEMPT.values())
    assert _exempt("/inbox") is None and _exempt("/api/needs") is None and _exempt("/s/Q1") is not None
