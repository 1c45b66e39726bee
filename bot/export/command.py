"""`gridbot export`: the data on stdout (or in --out), one line on stderr saying how many rows went
where, and one clear line with exit code 2 for anything wrong — a mistyped --db is an error, never a
silently created empty database."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import asyncpg
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.app import default_db_url
from bot.export import monthly as XM
from bot.export import Audience, ExportError, ExportResult, export, parse_filter
from kernel.clock import SystemClock
from kernel.config import Config
from models import monthly_report as MR
from models.db import make_engine, make_sessionmaker, migrate
from texts import exports as X


def _shown(url: str) -> str:
    """The URL without its password (it goes to a terminal, maybe a log)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


async def _monthly(sessions: Any, config: Config, args: argparse.Namespace) -> tuple[bytes, int]:
    """`export monthly`: the 月报 of the web page, as xlsx or JSON (the typed rows); rows = needs received."""
    now = SystemClock().now()
    try:
        month = MR.parse_month(args.month) if args.month else MR.previous_month(now, config)
    except MR.MonthError as exc:
        raise ExportError(str(exc)) from None
    if args.format not in ("xlsx", "json"):
        raise ExportError(X.MONTHLY_FORMATS)
    async with sessions() as session:
        report = await MR.monthly_report(session, config, month, now)
    if args.format == "xlsx":
        data = XM.report_xlsx(report, config)
    else:
        data = json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=1, default=str).encode()
    return data, report.total.received


async def _export(config: Config, args: argparse.Namespace, url: str) -> ExportResult | tuple[bytes, int]:
    if args.kind != "monthly":
        filters = parse_filter(config, args.kind, date_from=args.date_from, date_to=args.date_to, grid=args.grid,
                               status=args.status, category=args.category)
    try:
        await migrate(url)        # an export of an older database reads the columns it has now
        engine = make_engine(url)
        try:
            if args.kind == "monthly":
                return await _monthly(make_sessionmaker(engine), config, args)
            return await export(make_sessionmaker(engine), config, args.kind, args.format, now=SystemClock().now(),
                                filters=filters, audience=Audience(full_phones=args.phones == "full"))
        finally:
            await engine.dispose()
    except (SQLAlchemyError, OSError, CommandError, asyncpg.PostgresError) as exc:
        if args.verbose:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(X.DATABASE_UNREACHABLE.format(url=_shown(url), error=first)) from None


def run(config: Config, args: argparse.Namespace) -> int:
    url = args.db or config.storage_url or default_db_url(config)
    try:
        if args.format == "xlsx" and not args.out and sys.stdout.isatty():
            raise ExportError(X.XLSX_NEEDS_FILE)
        result = asyncio.run(_export(config, args, url))
        data, rows = result if isinstance(result, tuple) else (result.data, result.rows)
        if args.out:
            try:
                Path(args.out).write_bytes(data)
            except OSError as exc:
                raise ExportError(X.CANNOT_WRITE.format(path=args.out, error=exc.strerror or exc)) from None
            where = str(Path(args.out).resolve())
        else:
            sys.stdout.buffer.write(data)
            if args.format in ("json", "open311"):      # CSV already ends its last line
                sys.stdout.buffer.write(b"\n")
            sys.stdout.flush()
            where = X.STDOUT
    except ExportError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(X.DONE.format(rows=rows, path=where), file=sys.stderr)
    return 0
