"""`gridbot user add|passwd|disable|enable|token|revoke|list`: web inbox accounts, from the command line.
The same model operations (models/staff.py) as the admin page 账号与值班 (bot/web/admin_staff.py).

Each sub-command takes --config and --db like every other command; passwords are asked twice on the
terminal, or read from one line of standard input with --password-stdin (scripts, `docker compose exec -T`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import timedelta
from collections.abc import Callable

from bot.app import open_core
from kernel.config import Config
from models import inbox as M
from models import staff as S
from models.db import transaction
from texts import inbox as X
from texts import ops as T

ROLES = [r.value for r in M.WebRole]


def cli_actor() -> str:
    """Who the admin_changes log records for the command line: "cli:<system user>" (a colon is never in a
    web user name, so the command line is never taken for the account it changes)."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli:?"


def add_parsers(sub: argparse._SubParsersAction, add_common: Callable[..., None],
                load: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("user", help="网页账号 / web inbox accounts: add, passwd, disable, enable, token, revoke, list",
                       description="诉求工作台账号 / web inbox accounts")
    users = p.add_subparsers(dest="user_command", metavar="SUBCOMMAND", required=True)

    q = users.add_parser("add", help="新建账号 / add an account")
    q.add_argument("username", help="登录名: 字母数字._- 2–32位 / login name")
    q.add_argument("role", choices=ROLES, help="admin 管理员 | worker 网格员 | department 科室 | viewer 只读")
    q.add_argument("ref", nargs="?", help="网格号或网格员id (worker) / 科室名 (department) / 管理员id (admin, 可选)")
    q.add_argument("--name", help="显示的姓名 / display name")
    _password_arg(q)
    q = users.add_parser("passwd", help="设置新密码(登录和令牌随之失效) / set a new password (ends sessions and tokens)")
    q.add_argument("username")
    _password_arg(q)
    q = users.add_parser("disable", help="停用账号(登录和令牌随之失效) / disable an account (ends sessions and tokens)")
    q.add_argument("username")
    q = users.add_parser("enable", help="重新启用账号 / enable an account again")
    q.add_argument("username")
    q = users.add_parser("token", help="生成 API 令牌 / create an API bearer token")
    q.add_argument("username")
    q = users.add_parser("revoke", help="注销全部登录和 API 令牌 / end every session and API token")
    q.add_argument("username")
    users.add_parser("list", help="列出账号 / list accounts")
    for q in users.choices.values():
        add_common(q)
        q.set_defaults(func=lambda args: asyncio.run(run(load(args), args)))


def _password_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--password-stdin", action="store_true",
                   help="从标准输入读一行作为密码 / read the password from one line of standard input")


def ask_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再输一次 / again: ") != first:
        raise SystemExit(T.PASSWORDS_DIFFER)
    return first


async def run(config: Config, args: argparse.Namespace) -> int:
    core = await open_core(config, args.db, warm_up=False)
    now = core.clock.now()
    try:
        async with transaction(core.sessions) as session:
            command, name = args.user_command, getattr(args, "username", None)
            if command == "add":
                S.check_ref(config, core.directory, args.role, args.ref, name)   # before asking for a password
                await S.add_account(session, now, config, core.directory, username=name, role=args.role, ref=args.ref,
                                    name=args.name, password=ask_password(args), actor=cli_actor())
                print(T.USER_ADDED.format(username=name, role=M.ROLE_NAMES[M.WebRole(args.role)]))
            elif command == "passwd":
                await S.reset_password(session, now, name, password=ask_password(args), actor=cli_actor())
                print(T.USER_PASSWORD_SET.format(username=name))
            elif command in ("disable", "enable"):
                await S.set_account_active(session, now, name, command == "enable", actor=cli_actor())
                print((T.USER_ENABLED if command == "enable" else T.USER_DISABLED).format(username=name))
            elif command == "token":
                user = await M.get_user(session, name)
                if user is None or not user.active:
                    raise M.InboxError("no_user", username=name)
                token, row = await M.open_session(session, user, now, kind="api",
                                                  api_ttl=timedelta(hours=config.web.api_token_hours))
                until = f"{row.expires_at.astimezone(config.timezone):%Y-%m-%d %H:%M}"
                print(T.USER_TOKEN.format(token=token, until=until))
            elif command == "revoke":
                print(T.USER_REVOKED.format(username=name, n=await M.revoke_all(session, name)))
            else:
                users = await S.account_rows(session)
                if not users:
                    print(T.NO_USERS, file=sys.stderr)
                for u in users:
                    state = "" if u.active else "停用/disabled"
                    print(f"{u.username}\t{u.role}\t{u.ref or '-'}\t{u.name or ''}\t{state}".rstrip())
    except M.InboxError as exc:
        print(X.USER_ERRORS.get(exc.code, exc.code).format(**exc.data), file=sys.stderr)
        return 2
    finally:
        await core.close()
    return 0
