"""Who is using the web inbox: login, sessions (cookie HttpOnly, SameSite=Lax), API bearer tokens,
roles, CSRF, and the demo users.

A web user maps to the Person the need operations are done as: a worker or department account
linked to its WeChat contact in the config acts as that contact (so 接单 on the web and in chat are
the same person); a worker account given only a grid number acts as "web:<username>" on that grid.
A viewer never acts.

Operators manage accounts with `gridbot user add|passwd|disable|enable|token|list` (bot/user_cli.py)."""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from kernel import metrics
from kernel.config import Config
from kernel.identity import Directory, Person
from kernel.logevent import log_event
from texts import inbox as X
from models import inbox as M
from models.db import transaction
from models.duty import roster as duty_roster
from bot.web.keys import CORE, THROTTLE

COOKIE = "gb_sid"
PRE_COOKIE = "gb_pre"          # the login form's CSRF nonce (before there is a session)
ACTOR = web.RequestKey("inbox_actor", object)   # the logged-in WebActor (or None) of a request
ALL_ROLES = frozenset(M.WebRole)
STAFF_ROLES = frozenset({M.WebRole.WORKER, M.WebRole.ADMIN, M.WebRole.DEPARTMENT})
log = logging.getLogger("gridbot.web")


@dataclass(frozen=True)
class WebActor:
    """The logged-in user as pages and the API see them."""

    user_id: int
    username: str
    role: M.WebRole
    name: str
    scope: M.Scope
    person: Person | None          # who need operations are done as; None for a viewer
    csrf: str
    via: str                       # cookie | token
    expires_at: datetime

    @property
    def masked(self) -> bool:
        return self.role == M.WebRole.VIEWER

    @property
    def can_act(self) -> bool:
        return self.person is not None and self.role != M.WebRole.VIEWER

    @property
    def sees_suggestions(self) -> bool:
        return self.role in (M.WebRole.ADMIN, M.WebRole.WORKER)

    @property
    def role_name(self) -> str:
        return M.ROLE_NAMES[self.role]


def identity_for(config: Config, directory: Directory, user: M.WebUser) -> tuple[Person | None, M.Scope, str]:
    """(person, scope, display name) of a web user; InboxError('bad_ref') if its ref names nothing
    (the rule is models.inbox.identity_of, which account management checks too)."""
    return M.identity_of(config, directory, user)


def _actor(config: Config, directory: Directory, row: M.WebSession, user: M.WebUser, via: str) -> WebActor | None:
    try:
        person, scope, name = identity_for(config, directory, user)
    except M.InboxError:
        return None
    return WebActor(user.id, user.username, M.WebRole(user.role), name, scope, person, row.csrf, via, row.expires_at)


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


async def load_actor(request: web.Request, core: Any) -> WebActor | None:
    """The request's user from its bearer token or session cookie (cached on the request)."""
    if ACTOR in request:
        return request[ACTOR]  # type: ignore[no-any-return]
    token, via = bearer(request), "token"
    if token is None:
        token, via = request.cookies.get(COOKIE), "cookie"
    actor = None
    if token:
        now = core.clock.now()
        found = await _live_session(core, token, now, kind="api" if via == "token" else "web")
        if found is not None:
            actor = _actor(core.config, core.directory, found[0], found[1], via)
        if actor is not None and actor.scope.role == M.WebRole.WORKER and actor.person is not None:
            # the AB岗 grids this worker backs up: they may act on those needs, so they see them
            async with core.reads() as session:
                covers = (await duty_roster(session, core.config)).grids_backed_by(actor.person.id)
            if covers:
                actor = replace(actor, scope=replace(actor.scope, covers=covers))
    request[ACTOR] = actor
    return actor


def request_token(request: web.Request) -> tuple[str | None, str]:
    """The request's credential and its session kind: a bearer token ("api") or the cookie ("web")."""
    token = bearer(request)
    return (token, "api") if token is not None else (request.cookies.get(COOKIE), "web")


async def session_expiry(request: web.Request, core: Any) -> datetime | None:
    """The request's session expiry as of now (it slides while the user works in other tabs); None when
    it has ended (logout, revoke, idle). For long-lived responses (the live feed), which read it without
    sliding it, in a read-only session: an open stream alone does not keep a session alive."""
    token, kind = request_token(request)
    async with core.reads() as session:
        found = await M.session_by_token(session, token, core.clock.now(), kind=kind, slide=False)
    return found[0].expires_at if found is not None else None


async def _live_session(core: Any, token: str | None, now: datetime,
                        kind: str) -> tuple[M.WebSession, M.WebUser] | None:
    """Read in a read-only session (no write lock: a GET never waits behind a burst of messages); write
    only when the idle expiry is due to slide, at most every few minutes per session."""
    async with core.reads() as session:
        found = await M.session_by_token(session, token, now, kind=kind, slide=False)
    if found is not None and M.slide_due(found[0], now):
        async with transaction(core.sessions) as session:
            await M.slide_session(session, found[0], now)
    return found


def csrf_ok(request: web.Request, actor: WebActor, form: Any = None) -> bool:
    """A bearer-token call carries no ambient credentials: no CSRF token needed. A cookie call must
    echo its session's token, in the form field _csrf or the X-CSRF-Token header."""
    if actor.via == "token":
        return True
    sent = request.headers.get("X-CSRF-Token") or (form.get("_csrf") if form is not None else None) or ""
    return hmac.compare_digest(str(sent), actor.csrf)


Handler = Callable[..., Awaitable[web.StreamResponse]]


def page(roles: frozenset[str] = ALL_ROLES, *, api: bool = False,
         forbidden: Callable[[web.Request, WebActor, str], web.StreamResponse] | None = None
         ) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Login and role check in front of a handler(request, actor), with the core read from
    `request.app[CORE]`. Pages send strangers to the login form; the API answers 401 JSON."""

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def inner(request: web.Request) -> web.StreamResponse:
            actor = await load_actor(request, request.app[CORE])
            if actor is None:
                if api:
                    return web.json_response({"error": "unauthorized", "message": X.LOGIN_EXPIRED}, status=401,
                                             headers={"WWW-Authenticate": "Bearer"})
                target = request.path_qs if request.method == "GET" else "/inbox"
                raise web.HTTPFound(f"/inbox/login?next={_quote(target)}")
            if actor.role not in roles:
                message = X.FORBIDDEN_PAGE.format(role=actor.role_name)
                if api:
                    return web.json_response({"error": "forbidden", "message": message}, status=403)
                if forbidden is not None:
                    return forbidden(request, actor, message)
                raise web.HTTPForbidden(text=message)
            return await handler(request, actor)
        return inner
    return wrap


def _quote(path: str) -> str:
    return quote(path, safe="/")


def safe_next(value: str | None) -> str:
    """Only a path on this site, else /inbox: never //evil, /\\evil, https://evil, nor a path with a tab, a
    newline or a space, which browsers drop ("/\t/evil.example" is opened as //evil.example)."""
    if (not value or len(value) > 2000 or not value.startswith("/") or value[1:2] in ("/", "\\")
            or any(c.isspace() or not c.isprintable() or c == "\\" for c in value)):
        return "/inbox"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/inbox"


# ---------------------------------------------------------------- login form CSRF (no session yet)

def login_token(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"login:{nonce}".encode(), "sha256").hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


# ---------------------------------------------------------------- logging in (page and API alike)

@dataclass(frozen=True)
class Login:
    """The outcome of one login try: a new session token, or why not (throttled | failed | bad_account)."""

    username: str
    token: str | None = None
    expires_at: datetime | None = None
    role: str = ""
    error: str = ""
    wait: int = 0            # minutes, when throttled


async def log_in(request: web.Request, core: Any, username: str, password: str, *, via: str) -> Login:
    """Check a password behind the app's one throttle and open a session (via "page": a cookie session,
    "api": a bearer token). Logged and counted either way."""
    name = unicodedata.normalize("NFKC", username.strip())[:64]
    now = core.clock.now()
    ticket = request.app[THROTTLE].begin(name, request.remote, now)
    if ticket.wait:
        record_login(request, name, "throttled", via)
        return Login(name, error="throttled", wait=ticket.wait)
    async with transaction(core.sessions) as session:
        user = await M.authenticate(session, name, password[:256])
        if user is None:
            record_login(request, name, "failed", via)
            return Login(name, error="failed")
        try:
            identity_for(core.config, core.directory, user)
        except M.InboxError:
            record_login(request, name, "failed", via)
            return Login(name, error="bad_account")
        await M.purge_expired(session, now)
        token, row = await M.open_session(session, user, now, kind="web" if via == "page" else "api",
                                          api_ttl=timedelta(hours=core.config.web.api_token_hours))
    request.app[THROTTLE].succeeded(ticket)
    record_login(request, name, "ok", via)
    return Login(name, token, row.expires_at, user.role)


def record_login(request: web.Request, username: str, result: str, via: str) -> None:
    """One log line and a metric per login attempt: ok, failed or throttled. The name only if it could be
    a user name (a password typed into the name field must not reach the log)."""
    metrics.LOGINS.labels(result).inc()
    shown = username if M.USERNAME_RE.match(username or "") else "<invalid>"
    log_event(log, "web.login", log_level=logging.INFO if result == "ok" else logging.WARNING,
              result=result, user=shown, via=via, ip=request.remote or "")


def secure_cookies(request: web.Request, config: Config) -> bool:
    """Cookies only over TLS when the public address is https: behind a TLS proxy the request reaching us
    is plain http, so its own scheme cannot tell."""
    base = config.web.base_url or ""
    return request.secure or base.lower().startswith("https://")


def set_session_cookie(response: web.StreamResponse, request: web.Request, core: Any, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=secure_cookies(request, core.config),
                        max_age=int(M.WEB_MAX.total_seconds()))


# ---------------------------------------------------------------- demo users

# username, role, ref, label — the demo community of config.example.toml.
DEMO_USERS = (
    ("li", M.WebRole.ADMIN, "wx_li", "李书记"),
    ("wang", M.WebRole.WORKER, "wx_wang", "王网格员·网格1"),
    ("zhao", M.WebRole.WORKER, "wx_zhao", "赵网格员·网格2"),
    ("sun", M.WebRole.WORKER, "wx_sun", "孙网格员·网格3"),
    ("cg", M.WebRole.DEPARTMENT, "城管科", "城管科"),
    ("guest", M.WebRole.VIEWER, None, "只读访客"),
)
DEMO_PASSWORD = "demo"


async def ensure_demo_users(core: Any) -> list[str]:
    """Create the demo logins (password "demo") that the config can back; existing users are left
    alone. Returns "username(label)" of every demo login available, for the demo to print."""
    config: Config = core.config
    out: list[str] = []
    async with transaction(core.sessions) as session:
        for username, role, ref, label in DEMO_USERS:
            existing = await M.get_user(session, username)
            if existing is None:
                probe = M.WebUser(username=username, role=str(role), ref=ref, name=None, password_hash="", active=True)
                try:
                    identity_for(config, core.directory, probe)
                except M.InboxError:
                    continue                     # not the demo community: this login would map to nothing
                await M.create_user(session, username, DEMO_PASSWORD, role, ref, now=core.clock.now(), allow_weak=True)
            out.append(f"{username}({label})")
    return out


async def demo_accounts_present(core: Any) -> list[str]:
    """The demo logins in this database that still take the public password (what `gridbot run` refuses)."""
    found: list[str] = []
    async with core.sessions() as session:
        for username, *_ in DEMO_USERS:
            user = await M.get_user(session, username)
            if user is not None and user.active and await asyncio.to_thread(
                    M.verify_password, DEMO_PASSWORD, user.password_hash):
                found.append(username)
    return found


def demo_logins_text(users: list[str]) -> str:
    return X.DEMO_LOGINS.format(users=" ".join(users))
