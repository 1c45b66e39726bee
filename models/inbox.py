"""The web inbox's own tables: web users, login sessions (and API tokens), and the view audit log —
plus the read-only queries the inbox list needs over the needs table.

Passwords: hashlib.scrypt from the standard library (OpenSSL's scrypt, maintained with Python itself;
no extra dependency). Parameters N=2^15, r=8, p=1 (32 MiB, ≈ 0.15–0.2 s on the 2-core machines here —
one step above Django's default 2^14); they are stored inside each hash, so raising them later only
means new hashes get the new cost and old ones are re-hashed at the next login (`needs_rehash`).

Sessions: the cookie (or the API bearer token) is a random 256-bit token; only its SHA-256 is stored,
so a copy of the database does not let anyone log in. Each session has its own CSRF token, an idle
expiry that slides with use, and an absolute limit.

Nothing here changes a need: the lifecycle lives in models/needs.py and the web calls it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (Boolean, ColumnElement, Index, Integer, String, Text, and_, case, delete, false, func, or_,
                        select, update)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import SystemClock
from kernel.config import Config
from kernel.identity import Directory, Person, Role
from models.access import Scope  # noqa: F401  (the web's scope is the shared permission rule)
from models.base import Base


class WebRole(StrEnum):
    WORKER = "worker"          # 网格员: their own grid only
    ADMIN = "admin"            # 社区管理员/书记: the whole community
    DEPARTMENT = "department"  # 科室: needs handed to the department
    VIEWER = "viewer"          # 只读: personal data masked


ROLE_NAMES = {WebRole.WORKER: "网格员", WebRole.ADMIN: "社区管理员", WebRole.DEPARTMENT: "科室",
              WebRole.VIEWER: "只读"}


class InboxError(Exception):
    """A refused user-management operation; `code` picks the sentence (texts/inbox.py)."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code, data)
        self.code = code
        self.data = data


# ---------------------------------------------------------------- tables

class WebUser(Base):
    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # worker: a grid number ("2") or the worker's WeChat contact id ("wx_wang");
    # department: the department's name or contact id; admin: optionally the admin's contact id.
    ref: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))       # display name; default from the config
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)   # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(8))          # web (cookie) | api (bearer token)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    max_expires_at: Mapped[datetime]


class ViewLog(Base):
    """Who looked at which need (or exported what), when: for privacy audits."""

    __tablename__ = "web_view_log"
    __table_args__ = (Index("ix_web_view_log_need_at", "need_code", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))        # view (page) | api | export
    need_code: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))


# ---------------------------------------------------------------- who a web user acts as

def identity_of(config: Config, directory: Directory, user: WebUser) -> tuple[Person | None, Scope, str]:
    """(person, scope, display name) of a web user; InboxError('bad_ref') if its ref names nothing."""
    role, ref = WebRole(user.role), (user.ref or "").strip()
    known = directory.get(ref) if ref else None
    if role == WebRole.ADMIN:
        if known is not None and known.role == Role.ADMIN:
            person = known
        else:
            person = Person(f"web:{user.username}", user.name or user.username, Role.ADMIN)
        return person, Scope(role, contact_id=person.id), user.name or person.name
    if role == WebRole.WORKER:
        if known is not None and known.role == Role.WORKER and known.grid is not None:
            person = known
        elif ref.isdigit() and config.grid_by_number(int(ref)) is not None:
            person = Person(f"web:{user.username}", user.name or user.username, Role.WORKER, int(ref))
        else:
            raise InboxError("bad_ref", ref=ref)
        return person, Scope(role, grid=person.grid, contact_id=person.id), user.name or person.name
    if role == WebRole.DEPARTMENT:
        dept = config.department(ref) or next((d for d in config.departments if d.contact_id == ref), None)
        if dept is None:
            raise InboxError("bad_ref", ref=ref)
        person = Person(dept.contact_id, dept.name, Role.DEPARTMENT, department=dept.name)
        return person, Scope(role, department=dept.name, contact_id=dept.contact_id), user.name or dept.name
    return None, Scope(role), user.name or user.username


# ---------------------------------------------------------------- passwords

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
_MAXMEM = 128 * 1024 * 1024
MIN_PASSWORD = 8
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int | None = None, r: int | None = None, p: int | None = None) -> str:
    """'scrypt$N$r$p$salt$hash' (base64). CPU-heavy on purpose: call it off the event loop."""
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or (int(parts[1]), int(parts[2]), int(parts[3])) != (
        SCRYPT_N, SCRYPT_R, SCRYPT_P)


# A hash of nothing, verified against when the username is unknown: the answer takes as long either way.
_DUMMY_HASH: str | None = None

# At most two scrypt runs at once (32 MiB each): a burst of logins must not exhaust a small server.
# A thread semaphore, not an asyncio one: it must not be bound to one event loop.
_HASHING = threading.BoundedSemaphore(2)


def _limited(fn: Any, *args: Any) -> Any:
    with _HASHING:
        return fn(*args)


async def _in_thread(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(_limited, fn, *args)


# ---------------------------------------------------------------- users

def _now(now: datetime | None) -> datetime:
    return now if now is not None else SystemClock().now()


def check_user_fields(username: str, password: str, role: str, ref: str | None, *, allow_weak: bool = False) -> None:
    if not USERNAME_RE.match(username or ""):
        raise InboxError("bad_username", username=username)
    if role not in set(WebRole):
        raise InboxError("bad_role", role=role, roles="/".join(WebRole))
    if len(password or "") < (1 if allow_weak else MIN_PASSWORD):
        raise InboxError("weak_password", min=MIN_PASSWORD)
    if role in (WebRole.WORKER, WebRole.DEPARTMENT) and not (ref or "").strip():
        raise InboxError("ref_required", role=role)


async def create_user(session: AsyncSession, username: str, password: str, role: str, ref: str | None = None, *,
                      name: str | None = None, now: datetime | None = None, allow_weak: bool = False) -> WebUser:
    """A web login. `ref`: a worker's grid number or contact id; a department's name or contact id;
    an admin's contact id (optional). The caller's transaction commits it."""
    username = (username or "").strip()
    check_user_fields(username, password, role, ref, allow_weak=allow_weak)
    if (await session.scalars(select(WebUser.id).where(WebUser.username == username))).first() is not None:
        raise InboxError("user_exists", username=username)
    stamp = _now(now)
    user = WebUser(username=username, password_hash=await _in_thread(hash_password, password), role=str(role),
                   ref=(ref or "").strip() or None, name=name, active=True, created_at=stamp,
                   password_changed_at=stamp)
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, username: str) -> WebUser | None:
    return (await session.scalars(select(WebUser).where(WebUser.username == username))).first()


async def list_users(session: AsyncSession) -> list[WebUser]:
    return list((await session.scalars(select(WebUser).order_by(WebUser.username))).all())


async def set_password(session: AsyncSession, username: str, password: str, *, now: datetime | None = None) -> None:
    """New password; every session of the user ends (a stolen cookie stops working)."""
    user = await get_user(session, username)
    if user is None:
        raise InboxError("no_user", username=username)
    if len(password or "") < MIN_PASSWORD:
        raise InboxError("weak_password", min=MIN_PASSWORD)
    user.password_hash = await _in_thread(hash_password, password)
    user.password_changed_at = _now(now)
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))


async def set_active(session: AsyncSession, username: str, active: bool) -> None:
    user = await get_user(session, username)
    if user is None:
        raise InboxError("no_user", username=username)
    user.active = active
    if not active:
        await session.execute(delete(WebSession).where(WebSession.user_id == user.id))


async def authenticate(session: AsyncSession, username: str, password: str) -> WebUser | None:
    """The active user with this password, else None (same cost whether or not the name exists)."""
    global _DUMMY_HASH
    user = await get_user(session, (username or "").strip())
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = await _in_thread(hash_password, secrets.token_hex(8))
        await _in_thread(verify_password, password or "", _DUMMY_HASH)
        return None
    if not await _in_thread(verify_password, password or "", user.password_hash):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = await _in_thread(hash_password, password)
    return user


# ---------------------------------------------------------------- sessions and API tokens

WEB_IDLE = timedelta(hours=12)        # a worker's evening shift; slides while the page is open
WEB_MAX = timedelta(days=7)
API_TTL = timedelta(hours=12)        # default of [web] api_token_hours
_SLIDE_EVERY = timedelta(minutes=5)   # do not write the row on every request


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def open_session(session: AsyncSession, user: WebUser, now: datetime, *, kind: str = "web",
                       api_ttl: timedelta = API_TTL) -> tuple[str, WebSession]:
    """A fresh random token (returned once, never stored) and its row."""
    token = secrets.token_urlsafe(32)
    ttl, limit = (WEB_IDLE, WEB_MAX) if kind == "web" else (api_ttl, api_ttl)
    row = WebSession(token_hash=token_hash(token), user_id=user.id, kind=kind, csrf=secrets.token_urlsafe(24),
                     created_at=now, last_seen_at=now, expires_at=now + ttl, max_expires_at=now + limit)
    session.add(row)
    await session.flush()
    return token, row


def slide_due(row: WebSession, now: datetime) -> bool:
    """A web session's idle expiry is moved on at most every _SLIDE_EVERY: most requests write nothing."""
    return row.kind == "web" and now - row.last_seen_at >= _SLIDE_EVERY


async def slide_session(session: AsyncSession, row: WebSession, now: datetime) -> None:
    """Move a web session's idle expiry on (in a write transaction; `row` may come from a read session)."""
    row.last_seen_at, row.expires_at = now, min(now + WEB_IDLE, row.max_expires_at)
    await session.execute(update(WebSession).where(WebSession.token_hash == row.token_hash).values(
        last_seen_at=row.last_seen_at, expires_at=row.expires_at))


async def session_by_token(session: AsyncSession, token: str | None, now: datetime, *,
                           kind: str | None = None, slide: bool = True) -> tuple[WebSession, WebUser] | None:
    """The live session and its active user; slides a web session's idle expiry unless `slide` is False
    (a read-only session: the caller slides it with `slide_session` when `slide_due`)."""
    if not token or len(token) > 128:
        return None
    row = await session.get(WebSession, token_hash(token))
    if row is None or row.expires_at <= now or (kind is not None and row.kind != kind):
        return None
    user = await session.get(WebUser, row.user_id)
    if user is None or not user.active:
        return None
    if slide and slide_due(row, now):
        row.last_seen_at = now
        row.expires_at = min(now + WEB_IDLE, row.max_expires_at)
    return row, user


async def close_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


async def log_out(session: AsyncSession, token: str | None) -> int | None:
    """Logout: this session and every API token of its user end (a token copied to a script or a
    stolen laptop does not outlive the logout). The user's id, or None if the session was gone."""
    row = await session.get(WebSession, token_hash(token)) if token and len(token) <= 128 else None
    if row is None:
        return None
    await session.execute(delete(WebSession).where(
        (WebSession.token_hash == row.token_hash) | ((WebSession.user_id == row.user_id) & (WebSession.kind == "api"))))
    return row.user_id


async def revoke_all(session: AsyncSession, username: str) -> int:
    """Every web session and API token of a user ends (`gridbot user revoke`); how many there were."""
    user = await get_user(session, username)
    if user is None:
        raise InboxError("no_user", username=username)
    result = await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return result.rowcount or 0


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    return result.rowcount or 0


# ---------------------------------------------------------------- audit log

async def log_view(session: AsyncSession, now: datetime, *, user_id: int, username: str, role: str, action: str,
                   need_code: str | None, detail: str | None = None, ip: str | None = None) -> None:
    session.add(ViewLog(at=now, user_id=user_id, username=username, role=str(role), action=action,
                        need_code=need_code, detail=detail, ip=(ip or "")[:64] or None))


async def views(session: AsyncSession, *, need_code: str | None = None, username: str | None = None,
                limit: int = 200) -> list[ViewLog]:
    q = select(ViewLog)
    if need_code:
        q = q.where(ViewLog.need_code == need_code)
    if username:
        q = q.where(ViewLog.username == username)
    return list((await session.scalars(q.order_by(ViewLog.at.desc(), ViewLog.id.desc()).limit(limit))).all())


# ---------------------------------------------------------------- the inbox list (read-only)

@dataclass
class Filters:
    grid: int | None = None
    category: str | None = None
    status: str = "open"            # open | done | all | a Status value
    urgent: bool = False
    overdue: bool = False
    department: str | None = None
    date_from: date | None = None   # local dates, inclusive
    date_to: date | None = None
    q: str | None = None            # a code or words in the text


# The columns the list shows: no tokens, no long outcome texts — 10,000 rows must stay cheap.
def _list_columns() -> Sequence[Any]:
    from models.needs import Need

    return (Need.id, Need.code, Need.status, Need.source, Need.category, Need.urgent, Need.building, Need.grid,
            Need.text, Need.requester_name, Need.assignee, Need.assignee_name, Need.department, Need.clock_kind,
            Need.created_at, Need.updated_at, Need.due_at, Need.resolve_due_at, Need.overdue, Need.merged_into,
            Need.satisfaction)


def _where(scope: Scope, f: Filters, tz: Any, now: datetime) -> list[ColumnElement[bool]]:
    from models.needs import DONE_STATUSES, OPEN_STATUSES, Need

    conds: list[ColumnElement[bool]] = []
    clause = scope.clause()
    if clause is not None:
        conds.append(clause)
    if f.status == "open":
        conds.append(Need.status.in_([str(s) for s in OPEN_STATUSES]))
    elif f.status == "done":
        conds.append(Need.status.in_([str(s) for s in DONE_STATUSES]))
    elif f.status and f.status != "all":
        conds.append(Need.status == f.status)
    if f.grid is not None:
        conds.append(Need.grid == f.grid)
    if f.category:
        conds.append(Need.category == f.category)
    if f.urgent:
        conds.append(Need.urgent.is_(True))
    if f.overdue:
        conds.append(or_(Need.overdue.is_(True), Need.due_at < now, and_(
            Need.resolve_due_at < now, Need.status.in_([str(s) for s in OPEN_STATUSES]))))
    if f.department:
        conds.append(Need.department == f.department)
    if f.date_from is not None:
        conds.append(Need.created_at >= datetime.combine(f.date_from, time(0), tzinfo=tz))
    if f.date_to is not None:
        conds.append(Need.created_at < datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=tz))
    if f.q:
        words = f.q.strip()
        from models.needs import normalize_code

        code = normalize_code(words)
        if code:
            conds.append(or_(Need.code == code, Need.merged_into == code))
        else:
            escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conds.append(Need.text.like(f"%{escaped}%", escape="\\"))
    return conds


def _order(f: Filters, now: datetime) -> list[Any]:
    """Open needs: urgent first, then overdue, then the nearest (oldest) clock, then the oldest need.
    Anything else: newest first."""
    from models.needs import Need

    if f.status != "open":
        return [Need.created_at.desc(), Need.id.desc()]
    clock = case((Need.due_at.is_(None), Need.resolve_due_at), (Need.resolve_due_at.is_(None), Need.due_at),
                 (Need.due_at < Need.resolve_due_at, Need.due_at), else_=Need.resolve_due_at)
    # every row here is open (the status filter says so): urgent ones first need no status test
    group = case((Need.urgent.is_(True), 0),
                 (or_(Need.overdue.is_(True), Need.due_at < now, Need.resolve_due_at < now), 1), else_=2)
    return [group, case((clock.is_(None), 1), else_=0), clock, Need.created_at, Need.id]


@dataclass
class Page:
    rows: list[Any]        # Row objects with the _list_columns() attributes
    total: int
    urgent: int
    overdue: int
    photos: dict[int, list[Any]] = field(default_factory=dict)   # need id → photo links (bot/web/photos.py)


async def inbox_page(session: AsyncSession, scope: Scope, f: Filters, now: datetime, tz: Any, *,
                     limit: int = 200, offset: int = 0) -> Page:
    """One page of the list plus the counts above it (total, urgent, overdue) — two short queries.

    The page is chosen by ids first, sorted on ix_needs_list alone (a covering index: the open needs'
    wide rows are never read to sort them), and only then are its rows read by primary key; the counts
    read the same index. So GET /inbox costs the open needs' index entries, not their rows."""
    from models.needs import Need

    conds = _where(scope, f, tz, now)
    order = _order(f, now)
    chosen = select(Need.id).where(*conds).order_by(*order).limit(limit).offset(offset)
    q = select(*_list_columns()).where(Need.id.in_(chosen)).order_by(*order)
    rows = list((await session.execute(q)).all())
    total, urgent, overdue = await _counts(session, conds, f, now)
    return Page(rows, total, urgent, overdue)


async def _counts(session: AsyncSession, conds: list[ColumnElement[bool]], f: Filters,
                  now: datetime) -> tuple[int, int, int]:
    """(total, urgent and open, overdue and open) of the needs matching `conds`, in one query over
    ix_needs_list. FILTER rather than SUM(CASE …): PostgreSQL evaluates it a good deal faster."""
    from models.needs import OPEN_STATUSES, Need

    opens = [str(s) for s in OPEN_STATUSES]
    open_: ColumnElement[bool] | None = None if f.status == "open" or f.status in opens else Need.status.in_(opens)
    late = or_(Need.overdue.is_(True), Need.due_at < now, Need.resolve_due_at < now)
    urgent: ColumnElement[bool] = Need.urgent.is_(True)
    if open_ is not None:
        urgent, late = and_(urgent, open_), and_(late, open_)
    c = (await session.execute(select(func.count(), func.count().filter(urgent), func.count().filter(late))
                               .where(*conds))).one()
    return int(c[0] or 0), int(c[1] or 0), int(c[2] or 0)


async def changed_needs(session: AsyncSession, since: datetime, *, limit: int = 500) -> list[Any]:
    """Needs touched at or after `since` (every operation sets updated_at): the live feed's poll."""
    from models.needs import Need

    q = (select(Need.id, Need.code, Need.grid, Need.department, Need.assignee, Need.urgent, Need.status,
                Need.created_at, Need.updated_at)
         .where(Need.updated_at >= since).order_by(Need.updated_at, Need.id).limit(limit))
    return list((await session.execute(q)).all())


async def latest_update(session: AsyncSession) -> tuple[datetime | None, int, int]:
    """(newest updated_at, highest need id, highest suggestion id): where the live feed starts."""
    from models.needs import Need, Suggestion

    row = (await session.execute(select(func.max(Need.updated_at), func.max(Need.id)))).one()
    sug = await session.scalar(select(func.max(Suggestion.id)))
    at = row[0]
    if isinstance(at, str):          # in case a driver hands back the raw SQLite text
        at = datetime.fromisoformat(at)
    if isinstance(at, datetime) and at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at, int(row[1] or 0), int(sug or 0)


async def new_suggestions(session: AsyncSession, after_id: int, handled_since: datetime | None) -> list[Any]:
    from models.needs import Suggestion

    cond = Suggestion.id > after_id
    if handled_since is not None:
        cond = or_(cond, Suggestion.handled_at >= handled_since)
    q = select(Suggestion.id, Suggestion.grid, Suggestion.urgent, Suggestion.status).where(cond).order_by(Suggestion.id)
    return list((await session.execute(q.limit(500))).all())


async def open_suggestion_count(session: AsyncSession, scope: Scope) -> int:
    from models.needs import Suggestion, SuggestionStatus

    q = select(func.count()).select_from(Suggestion).where(Suggestion.status == str(SuggestionStatus.OPEN))
    if scope.role == WebRole.WORKER:
        q = q.where(Suggestion.grid == scope.grid) if scope.grid is not None else q.where(false())
    elif scope.role != WebRole.ADMIN:
        return 0
    return int(await session.scalar(q) or 0)


async def counts_by(session: AsyncSession, column: str, start: datetime, end: datetime, scope: Scope) -> list[tuple[Any, int]]:
    """Needs received in [start, end) per category or grid (merged duplicates not counted): the bars."""
    from models.needs import Need

    col = {"category": Need.category, "grid": Need.grid}[column]
    q = select(col, func.count()).where(Need.created_at >= start, Need.created_at < end, Need.merged_into.is_(None))
    clause = scope.clause()
    if clause is not None:
        q = q.where(clause)
    rows = (await session.execute(q.group_by(col).order_by(func.count().desc()))).all()
    return [(r[0], int(r[1])) for r in rows]


async def inbox_keyset_page(session: AsyncSession, scope: Scope, f: Filters, now: datetime, tz: Any, *,
                            limit: int = 100, before_id: int | None = None, counts: bool = True) -> Page:
    """One page in creation order, newest first, after a cursor (the last id of the previous page): the
    API's `?after=` paging. The inbox order moves with the clock (a need turns overdue) and offset paging
    costs the rows it skips; this order is fixed and the primary key finds the page at once, so a client
    walking all pages sees every need there was when it started exactly once, however many arrive
    meanwhile (they are newer: before its first page). `counts`: the totals (the first page only)."""
    from models.needs import Need

    conds = _where(scope, f, tz, now)
    q = select(*_list_columns()).where(*conds)
    if before_id is not None:
        q = q.where(Need.id < before_id)
    rows = list((await session.execute(q.order_by(Need.id.desc()).limit(limit))).all())
    if not counts:
        return Page(rows, -1, -1, -1)
    return Page(rows, *await _counts(session, conds, f, now))
