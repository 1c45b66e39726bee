"""The `gridbot` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

from kernel.config import Config, ConfigError, default_config_path, load_config


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config or default_config_path())
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    return config


def _add_common(p: argparse.ArgumentParser, *, db: bool = True) -> None:
    p.add_argument("--config", metavar="FILE", help="配置文件 / config file (默认: ./config.toml 或示例社区)")
    if db:
        p.add_argument("--db", metavar="URL", help="数据库 / database URL (sqlite:///path.db 或 postgresql://…)")


def cmd_check_config(args: argparse.Namespace) -> int:
    """Every error and warning of the file, one per line (file:line: key: 中文 / English); exit 2 on errors."""
    try:
        config = load_config(args.file or args.config or default_config_path())
    except ConfigError as exc:
        for problem in (*exc.problems, *exc.warnings):
            print(problem, file=sys.stderr)
        print(f"配置有 {len(exc.problems)} 处错误 / {len(exc.problems)} error(s) in the config", file=sys.stderr)
        return 2
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    print(f"配置正确 / config OK: {config.community}, {len(config.grids)} 个网格, "
          f"{len(config.workers)} 名网格员, {len(config.departments)} 个科室, {len(config.rooms)} 个功能室")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.app import default_db_url
    from models.db import migrate

    config = _config(args)
    url = args.db or config.storage_url or default_db_url(config)
    asyncio.run(migrate(url))
    print(f"数据库已是最新 / database migrated: {url}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from bot.simulate import ScriptError, run_script

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
        asyncio.run(run_script(config, text.splitlines(), sys.stdout, db_url=url))
    except ScriptError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not args.db:
        print(f"数据库 / database: {url}", file=sys.stderr)
    return 0


def cmd_classify(_args: argparse.Namespace) -> int:
    from kernel.text.classify_cli import run

    return run(sys.stdin, sys.stdout)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.export.command import run

    return run(_config(args), args)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.service import run_service

    return asyncio.run(run_service(_config(args), db_url=args.db, port=args.port, demo=False))


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.service import run_service

    return asyncio.run(run_service(_config(args), db_url=args.db, port=args.port, demo=True))


def cmd_invite(args: argparse.Namespace) -> int:
    from bot.service import create_invite_cli

    return asyncio.run(create_invite_cli(_config(args), args.db, args.role, args.ref, args.name))


def cmd_user(args: argparse.Namespace) -> int:
    from bot.web.auth import main as user_main

    return user_main(args.rest)


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="网格小助手 gridbot: 社区网格群的聊天机器人")
    parser.add_argument("-v", "--verbose", action="store_true", help="详细日志 / verbose logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="运行服务 / run the service (channel from config, scheduler, web)")
    _add_common(p)
    p.add_argument("--port", type=int, help="网页端口 / web port (0 = any free port)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="演示: 模拟微信网关 + 网页沙盒 / demo with simulated WeChat and web sandbox")
    _add_common(p)
    p.add_argument("--port", type=int, help="网页端口 / web port (0 = any free port)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("simulate", help="回放聊天脚本 / replay a chat script with simulated time")
    p.add_argument("script", help="脚本文件, - 为标准输入 / script file, - for stdin")
    _add_common(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("classify", help="理解消息 (每行一条) / classify messages, one per line, stdin → JSON lines")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("export", help="导出台账 / export needs, bookings, signups, surveys (README: 导出与民情台账)")
    p.add_argument("kind", choices=["needs", "bookings", "signups", "surveys"])
    p.add_argument("--format", default="json", choices=["json", "csv", "xlsx", "open311"])
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
    p.add_argument("file", nargs="?", help="配置文件 / config file")
    _add_common(p, db=False)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("invite", help="生成绑定邀请码 / one-time code binding a WeChat contact to a staff role")
    p.add_argument("role", choices=["worker", "admin", "department"])
    p.add_argument("name", help="姓名或科室名 / person or department name")
    p.add_argument("--ref", help="网格号(网格员)或科室名(科室) / grid number or department name")
    _add_common(p)
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("user", help="网页账号 / web inbox accounts: add, passwd, token, list (gridbot user -h)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_user)

    from bot.survey_cli import add_parsers as add_survey_parsers

    add_survey_parsers(sub, _add_common, _config)

    p = sub.add_parser("bench", help="性能测试 / benchmark (prints one JSON object)")
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--groups", type=int, default=2000)
    p.add_argument("--rate", type=float, default=0, help="offered load msg/s (0 = as fast as possible)")
    p.add_argument("--mode", choices=["router", "wechaty"], default="router")
    _add_common(p)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:
        for noisy in ("alembic", "jieba", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"配置错误 / config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
