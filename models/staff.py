"""Web accounts as the admin page (bot/web/admin_staff.py) and `gridbot user` (bot/user_cli.py) both
manage them: one set of operations, every change an `admin_changes` row.

Passwords are set by the system on the page, never typed by the admin: a new account and a reset get a
random password shown once. Hashes never leave models/inbox.py; `account_rows` is what a listing shows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from kernel.identity import Directory
from models import inbox as M
from models.admin_log import StaffError, log_change


# ---------------------------------------------------------------- web accounts

PASSWORD_CHARS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/l/I


def new_password(length: int = 12) -> str:
    """A random password to read out or copy once (≈ 69 bits)."""
    return "".join(secrets.choice(PASSWORD_CHARS) for _ in range(length))


def check_ref(config: Config, directory: Directory, role: str, ref: str | None, username: str = "?") -> None:
    """Refuse a grid, worker or department that is not there (InboxError "bad_ref")."""
    probe = M.WebUser(username=username, role=role, ref=ref, name=None, password_hash="", active=True)
    M.identity_of(config, directory, probe)


@dataclass(frozen=True)
class AccountRow:
    """What a listing shows of an account: never the hash."""

    username: str
    role: str
    role_name: str
    ref: str | None
    name: str | None
    active: bool
    created_at: datetime
    password_changed_at: datetime


async def account_rows(session: AsyncSession) -> list[AccountRow]:
    return [AccountRow(u.username, u.role, M.ROLE_NAMES.get(M.WebRole(u.role), u.role), u.ref, u.name, u.active,
                       u.created_at, u.password_changed_at) for u in await M.list_users(session)]


async def add_account(session: AsyncSession, now: datetime, config: Config, directory: Directory, *, username: str,
                      role: str, ref: str | None, name: str | None = None, password: str | None = None,
                      actor: str) -> tuple[M.WebUser, str]:
    """A new web login bound to a grid / worker / department / admin contact; the password is the one
    given (the CLI asks it twice) or a random one. Returns the user and the password, to show once."""
    username = (username or "").strip()
    ref = (ref or "").strip() or None
    name = (name or "").strip() or None
    M.check_user_fields(username, password if password is not None else "x" * M.MIN_PASSWORD, role, ref)
    check_ref(config, directory, role, ref, username)
    password = password if password is not None else new_password()
    user = await M.create_user(session, username, password, role, ref, name=name, now=now)
    log_change(session, now, actor, "user_add", username, None, f"{role} {ref or ''}".strip())
    return user, password


async def reset_password(session: AsyncSession, now: datetime, username: str, *, password: str | None = None,
                         actor: str) -> str:
    """A new password (given, or random); every session and token of the account ends."""
    password = password if password is not None else new_password()
    await M.set_password(session, username, password, now=now)
    log_change(session, now, actor, "user_passwd", username, None, None)
    return password


async def set_account_active(session: AsyncSession, now: datetime, username: str, active: bool, *,
                             actor: str) -> None:
    """Disable (every session and token ends at once) or enable an account. Nobody disables themself
    from the page: an admin locked out of their own account could not undo it."""
    if not active and actor == username:
        raise StaffError("self_disable")
    user = await M.get_user(session, username)
    if user is None:
        raise M.InboxError("no_user", username=username)
    if user.active != active:
        await M.set_active(session, username, active)
        log_change(session, now, actor, "user_enable" if active else "user_disable", username, None, None)
