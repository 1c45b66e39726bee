"""The `gridbot` command line.

Faults the operator can fix print one paragraph (Chinese, then English) and exit 2; a bug prints one
paragraph and exits 1; tracebacks only with -v. Commands that only read refuse a SQLite --db that does
not exist instead of creating an empty database."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

from bot.faults import EXIT_FAULT, EXIT_INTERNAL, OperatorError, database_fault, internal, require_existing
from bot.logs import json_wanted, set_timezone, setup_logging
from kernel.config import Config, ConfigError, default_config_path, load_config
from texts import ops as T

# Commands that may create a database; every other command with --db works on one that must exist (a
# mistyped path must not silently become an empty database).
CREATES_DB = frozenset({"run", "demo", "migrate", "simulate", "restore", "bench", "invite", "user add", "survey load"})


def _load(path: Path) -> Config:
    try:
        config = load_config(path)
    except (PermissionError, IsADirectoryError) as exc:
        raise OperatorError(T.CONFIG_UNREADABLE, path=path, error=exc.strerror or exc) from exc
    set_timezone(config.timezone)
    return config


def _config(args: argparse.Namespace) -> Config:
    """The config of this invocation, read once; its warnings are printed then."""
    if getattr(args, "loaded_config", None) is None:
        args.loaded_config = _load(Path(getattr(args, "config_file", None) or args.config or default_config_path()))
        for warning in args.loaded_config.warnings:
            print(warning, file=sys.stderr)
    return args.loaded_config  # type: ignore[no-any-return]


def _add_common(p: argparse.ArgumentParser, *, db: bool = True) -> None:
    p.add_argument("--config", metavar="FILE", help="配置文件 / config file (默认: ./config.toml 或示例社区)")
    if db:
        p.add_argument("--db", metavar="URL", help="数据库 / database URL (sqlite:///path.db 或 postgresql://…)")
    _add_output(p)


def _add_output(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: given after the sub-command they count, and they do not undo `gridbot -v run`.
    p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="详细日志和出错时的 traceback / verbose logs, tracebacks on errors")
    p.add_argument("--log-json", action="store_true", default=argparse.SUPPRESS,
                   help="日志为 JSON 行 / JSON log lines (or GRIDBOT_LOG_FORMAT=json)")


def cmd_check_config(args: argparse.Namespace) -> int:
    """Every error and warning of the file, one per line (file:line: key: 中文 / English); exit 2 on errors."""
    try:
        config = _config(args)
    except ConfigError as exc:
        for problem in (*exc.problems, *exc.warnings):
            print(problem, file=sys.stderr)
        print(f"配置有 {len(exc.problems)} 处错误 / {len(exc.problems)} error(s) in the config", file=sys.stderr)
        return 2
    print(f"配置正确 / config OK: {config.community}, {len(config.grids)} 个网格, "
          f"{len(config.workers)} 名网格员, {len(config.departments)} 个科室, {len(config.rooms)} 个功能室")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.app import migrate_database, resolve_db_url
    from bot.faults import safe_url

    url = resolve_db_url(_config(args), args.db)
    asyncio.run(migrate_database(url))
    print(f"数据库已是最新 / database migrated: {safe_url(url)}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot.simulate import ProgressReporter, ScriptError, run_script

    config = _config(args)
    if args.db:
        url = args.db
    else:
        fd, path = tempfile.mkstemp(prefix="gridbot-sim-", suffix=".db")
        os.close(fd)
        url = f"sqlite+aiosqlite:///{path}"
    try:
        text = sys.stdin.read() if args.script == "-" else Path(args.script).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"无法读取脚本 / cannot read script: {exc}", file=sys.stderr)
        return 2
    try:
        progress = ProgressReporter(sys.stderr, args.progress) if args.progress > 0 else None
        asyncio.run(run_script(config, text.splitlines(), sys.stdout, db_url=url, progress=progress))
    except ScriptError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not args.db:
        print(f"数据库 / database: {url}", file=sys.stderr)
    return 0


def cmd_classify(_args: argparse.Namespace) -> int:
    from kernel.text.classify_cli import run

    return run(sys.stdin, sys.stdout)


def _iso_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是 ISO-8601 时间 / not an ISO-8601 time: {value!r} "
                                         "(例如 / e.g. 2026-12-03T10:00)") from None


def cmd_parse_time(args: argparse.Namespace) -> int:
    from bot.parse_time import run

    config = _config(args)
    now = args.now or datetime.now(config.timezone)
    return run(config, now if now.tzinfo else now.replace(tzinfo=config.timezone), sys.stdin, sys.stdout)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.export.command import run

    return run(_config(args), args)


def _served(args: argparse.Namespace) -> Config:
    config = _config(args)
    return dataclasses.replace(config, web=dataclasses.replace(config.web, host=args.host)) if args.host else config


def cmd_run(args: argparse.Namespace) -> int:
    from bot.service import run_service

    config = _served(args)
    account = args.account or os.environ.get("GRIDBOT_ACCOUNT", "").strip()
    if account:     # several accounts ([[bot.accounts]]): this process speaks as that one
        config = config.for_account(account)
    return asyncio.run(run_service(config, db_url=args.db, port=args.port, demo=False))


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.service import run_service

    return asyncio.run(run_service(_served(args), db_url=args.db, port=args.port, demo=True,
                                   demo_channel=args.channel))


def cmd_invite(args: argparse.Namespace) -> int:
    from bot.service import create_invite_cli

    return asyncio.run(create_invite_cli(_config(args), args.db, args.role, args.ref, args.name))


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.app import resolve_db_url
    from bot.backup import backup, default_out

    config = _config(args)
    now = datetime.now(config.timezone)
    out = Path(args.out) if args.out else default_out(config.data_dir, now)
    result = backup(resolve_db_url(config, args.db), out, config.data_dir, now)
    print(T.BACKUP_DONE.format(path=result.path, size=_size(result.path.stat().st_size), what=result.what))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.app import resolve_db_url
    from bot.backup import restore
    from bot.faults import safe_url, sqlite_path

    config = _config(args)
    url = resolve_db_url(config, args.db)
    kept, taken = restore(Path(args.archive), url, config.data_dir, datetime.now(config.timezone))
    if sqlite_path(url) is not None:
        print(T.RESTORE_DONE.format(path=sqlite_path(url), backup=args.archive, taken=taken, kept=kept or "-"))
    else:
        print(T.RESTORE_DONE_PG.format(url=safe_url(url), backup=args.archive, taken=taken))
    return 0


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="网格小助手 gridbot: 社区网格群的聊天机器人")
    parser.add_argument("-v", "--verbose", action="store_true", help="详细日志和 traceback / verbose logs, tracebacks")
    parser.add_argument("--log-json", action="store_true", help="日志为 JSON 行 / JSON log lines (or GRIDBOT_LOG_FORMAT=json)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="运行服务 / run the service (channel from config, scheduler, web)")
    _add_common(p)
    p.add_argument("--port", type=int, help="网页端口 / web port (0 = any free port)")
    p.add_argument("--host", help="网页监听地址, 覆盖 [web] host / web listen address (0.0.0.0 in a container)")
    p.add_argument("--account", help="多账号时本进程登录的账号 id([[bot.accounts]]),或环境变量 GRIDBOT_ACCOUNT;"
                                     "默认主账号 / with several accounts: the account this process runs as "
                                     "(or GRIDBOT_ACCOUNT); default the primary [bot] contact_id")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="演示: 模拟微信网关 + 网页沙盒 / demo with simulated WeChat and web sandbox")
    _add_common(p)
    p.add_argument("--port", type=int, help="网页端口 / web port (0 = any free port)")
    p.add_argument("--host", help="网页监听地址 / web listen address")
    p.add_argument("--channel", choices=("wechaty", "wecom"), default="wechaty",
                   help="模拟哪种通道: wechaty 网关 或 企业微信智能机器人 / simulate a wechaty gateway (default) "
                        "or the WeCom AI bot's long connection")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("simulate", help="回放聊天脚本 / replay a chat script with simulated time")
    p.add_argument("script", help="脚本文件, - 为标准输入 / script file, - for stdin")
    p.add_argument("--progress", type=float, default=5.0, metavar="SECONDS",
                   help="长时间运行时每隔几秒在标准错误输出进度 (0 = 不输出) / progress on stderr every N s (0 = off)")
    _add_common(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("classify", help="理解消息 (每行一条) / classify messages, one per line, stdin → JSON lines")
    _add_output(p)
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("parse-time", help="读时间说法 (每行一条) / read booking time phrases, one per line, stdin → JSON lines")
    p.add_argument("--now", type=_iso_time, metavar="ISO-8601",
                   help="以此时刻为“现在” (无时区则按配置时区) / read relative to this time (default: now, config time zone)")
    _add_common(p, db=False)
    p.set_defaults(func=cmd_parse_time)

    p = sub.add_parser("export", help="导出台账 / export needs, bookings, signups, surveys (README: 导出与民情台账)")
    p.add_argument("kind", choices=["needs", "bookings", "signups", "surveys", "monthly"])
    p.add_argument("--format", default="json", choices=["json", "csv", "xlsx", "open311"])
    p.add_argument("--month", metavar="YYYY-MM", help="月报的月份(默认上月) / the 月报's month (monthly; default last month)")
    p.add_argument("--out", metavar="FILE", help="输出文件 (默认标准输出) / output file (default stdout)")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="起始日期(含) / first day")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="截止日期(含) / last day")
    p.add_argument("--grid", metavar="N", help="网格号 / grid number")
    p.add_argument("--status", help="状态: open, done 或状态代码/中文, 如 resolved、已办结 / status")
    p.add_argument("--category", help="类别, 如 repair 或 维修 (仅诉求) / need category")
    p.add_argument("--phones", choices=["masked", "full"], default="masked",
                   help="联系电话打码(默认)或完整 / phone numbers masked (default) or in full")
    _add_common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("migrate", help="升级数据库结构 / migrate the database")
    _add_common(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-config", help="检查配置文件 / validate a config file")
    p.add_argument("config_file", nargs="?", metavar="FILE", help="配置文件 / config file")
    _add_common(p, db=False)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("invite", help="生成绑定邀请码 / one-time code binding a WeChat contact to a staff role")
    p.add_argument("role", choices=["worker", "admin", "department"])
    p.add_argument("name", help="姓名或科室名 / person or department name")
    p.add_argument("--ref", help="网格号(网格员)或科室名(科室) / grid number or department name")
    _add_common(p)
    p.set_defaults(func=cmd_invite)

    from bot.user_cli import add_parsers as add_user_parsers

    add_user_parsers(sub, _add_common, _config)

    p = sub.add_parser("backup", help="备份数据库(和数据目录) / back up the database (and data files) to one .tar.gz")
    p.add_argument("--out", metavar="FILE", help="备份文件 (默认 数据目录/backups/gridbot-日期-时间.tar.gz)")
    _add_common(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复 (先停止服务) / restore a backup (stop the service first)")
    p.add_argument("archive", metavar="FILE", help="gridbot backup 生成的 .tar.gz / a .tar.gz made by gridbot backup")
    _add_common(p)
    p.set_defaults(func=cmd_restore)

    from bot.survey_cli import add_parsers as add_survey_parsers

    add_survey_parsers(sub, _add_common, _config)

    p = sub.add_parser("bench", help="性能测试 / benchmark (prints one JSON object)")
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--groups", type=int, default=2000)
    p.add_argument("--rate", type=float, default=0, help="offered load msg/s (0 = as fast as possible)")
    p.add_argument("--mode", choices=["router", "wechaty", "capacity"], default="router",
                   help="capacity: one account's reply latency under the anti-ban send policy (simulated time)")
    p.add_argument("--seconds", type=float, default=600, help="capacity: simulated seconds of traffic per rate")
    p.add_argument("--reply-ratio", type=float, default=0.15, help="capacity: replies per incoming message")
    p.add_argument("--target-s", type=float, default=10.0, help="capacity: reply p99 that counts as keeping up")
    p.add_argument("--seed", type=int, default=7)
    _add_common(p)
    p.set_defaults(func=cmd_bench)
    return parser


def _preflight(args: argparse.Namespace) -> str | None:
    """The database URL of this command (for explaining its faults); a read command's must exist."""
    if not hasattr(args, "db") or (args.command in ("simulate", "bench") and not args.db):   # a fresh temp file
        return None
    from bot.app import resolve_db_url

    url = resolve_db_url(_config(args), args.db)
    sub = getattr(args, "user_command", None) or getattr(args, "survey_action", None)
    if args.command not in CREATES_DB and f"{args.command} {sub}" not in CREATES_DB:
        require_existing(url)
    args.db = url
    return url


def _fail(paragraph: str, verbose: bool, code: int) -> int:
    if verbose:
        traceback.print_exc()
    print(paragraph, file=sys.stderr, flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    setup_logging(verbose=verbose, json_mode=json_wanted(bool(getattr(args, "log_json", False))))
    url: str | None = None
    try:
        url = _preflight(args)
        return int(args.func(args) or 0)
    except OperatorError as exc:
        return _fail(exc.paragraph(), verbose, EXIT_FAULT)
    except ConfigError as exc:
        hint = ("\n用 --config 指定配置文件,或把 config.example.toml 复制为 config.toml 再修改。 / Pass --config FILE, "
                "or copy config.example.toml to config.toml and edit it.") if exc.key == "(file)" else ""
        return _fail(f"配置错误 / config error: {exc}{hint}", verbose, EXIT_FAULT)
    except KeyboardInterrupt:
        print(T.STOPPED, file=sys.stderr)
        return 130
    except Exception as exc:
        fault = database_fault(exc, url) if url else None
        if fault is not None:
            return _fail(fault.paragraph(), verbose, EXIT_FAULT)
        return _fail(internal(exc), verbose, EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
