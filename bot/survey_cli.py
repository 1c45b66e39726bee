"""`gridbot survey load FILE | list` and `gridbot push list | pause | resume | send-now | cancel ID`.

Wiring for bot/cli.py (the lead's file):

    from bot.survey_cli import add_parsers
    add_parsers(sub, _add_common, _config)        # inside build_parser(), after the other sub-commands
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime, timezone

from kernel.config import Config


def _now() -> datetime:
    # The command line is the one place that reads the wall clock: it runs now, for real.
    return datetime.now(timezone.utc)


async def _sessions(config: Config, db_url: str | None):  # type: ignore[no-untyped-def]
    from bot.app import default_db_url
    from models.db import make_engine, make_sessionmaker, migrate

    url = db_url or config.storage_url or default_db_url(config)
    await migrate(url)
    engine = make_engine(url)
    return engine, make_sessionmaker(engine)


async def load_file(config: Config, db_url: str | None, path: str) -> int:
    from texts import surveys as T
    from models import surveys as S
    from models.db import transaction

    try:
        text = open(path, encoding="utf-8").read()
    except OSError as exc:
        print(f"无法读取问卷文件 / cannot read {path}: {exc}", file=sys.stderr)
        return 2
    now = _now()
    try:
        spec = S.parse_survey_toml(text, config, now)
    except S.SurveyDefinitionError as exc:
        print(f"问卷文件有误 / survey file has problems: {path}", file=sys.stderr)
        for p in exc.problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    engine, sessions = await _sessions(config, db_url)
    try:
        async with transaction(sessions) as session:
            survey, sched = await S.load_survey(session, now, config, spec, created_by="cli")
            code, title, pcode, label = survey.code, survey.title, sched.code, sched.label
            first = sched.next_slot
    except S.SurveyError as exc:
        print(T.ERRORS.get(exc.code, exc.code).format(**{"code": "", "count": 0, **exc.details}), file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    tz = config.timezone
    print(f"已导入问卷 {code}「{title}」,{len(spec.questions)}题,发往 {T.groups_label(spec.groups)}。")
    print(f"推送 {pcode}: {label},首次 {T.when_text(first, tz)}。查看: gridbot push list")
    return 0


async def list_surveys(config: Config, db_url: str | None) -> int:
    from texts import surveys as T
    from models import surveys as S

    engine, sessions = await _sessions(config, db_url)
    try:
        async with sessions() as session:
            rows = []
            for s in await S.list_surveys(session):
                counts = await S.group_counts(session, s)
                rows.append(f"{s.code}\t{T.STATUS_WORD.get(s.status, s.status)}\t第{s.round}期\t"
                            f"{sum(counts.values())}份\t{s.title}")
    finally:
        await engine.dispose()
    print("\n".join(rows) if rows else "目前没有问卷 / no surveys")
    return 0


async def push_command(config: Config, db_url: str | None, action: str, push_id: int | None = None, *,
                       urgent: bool = False) -> int:
    from texts import surveys as T
    from models import pushes as P
    from models.db import transaction

    now = _now()
    tz = config.timezone
    engine, sessions = await _sessions(config, db_url)
    try:
        async with transaction(sessions) as session:
            if action == "list":
                schedules = await P.list_schedules(session, include_finished=True)
                for s in schedules:
                    print(f"{s.code}\t{s.kind}\t{s.status}\t{s.label}\t下次 {T.when_text(s.next_slot, tz)}\t"
                          f"{T.groups_label(s.groups)}\t{s.title}")
                for r in await P.pending_runs(session):
                    print(f"  待发 P{r.schedule_id} 原定 {T.when_text(r.slot, tz)} → {T.when_text(r.due_at, tz)} {r.reason or ''}")
                if not schedules:
                    print("目前没有定时推送 / no pushes")
                return 0
            if push_id is None:
                print("需要推送编号 / push ID required, e.g. P3", file=sys.stderr)
                return 2
            if action == "pause":
                s = await P.pause(session, now, push_id)
                print(f"已暂停 {s.code} / paused")
            elif action == "resume":
                s = await P.resume(session, now, push_id, tz)
                print(f"已恢复 {s.code},下次 {T.when_text(s.next_slot, tz)} / resumed")
            elif action == "cancel":
                s = await P.cancel(session, now, push_id)
                print(f"已取消 {s.code} / cancelled")
            elif action == "send-now":
                run = await P.send_now(session, now, push_id, urgent=urgent)
                print(f"P{run.schedule_id} 将由运行中的服务在下一次调度时发送 / queued for the next tick")
            else:
                print(f"unknown action {action}", file=sys.stderr)
                return 2
    except P.PushError as exc:
        status = T.FINISHED_WORD.get(str(exc.details.get("status", "")), "结束")
        print(T.PUSH_ERRORS.get(exc.code, exc.code).format(**{**exc.details, "status": status}), file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    return 0


def add_parsers(sub: argparse._SubParsersAction, add_common: Callable[[argparse.ArgumentParser], None],
                get_config: Callable[[argparse.Namespace], Config]) -> None:
    """Register `survey` and `push` on the gridbot command line."""
    from models.pushes import parse_push_id

    p = sub.add_parser("survey", help="问卷 / surveys: load FILE, list")
    ssub = p.add_subparsers(dest="survey_action", metavar="ACTION", required=True)
    q = ssub.add_parser("load", help="导入问卷文件 / load a survey TOML file")
    q.add_argument("file")
    add_common(q)
    q.set_defaults(func=lambda a: asyncio.run(load_file(get_config(a), a.db, a.file)))
    q = ssub.add_parser("list", help="列出问卷 / list surveys")
    add_common(q)
    q.set_defaults(func=lambda a: asyncio.run(list_surveys(get_config(a), a.db)))

    p = sub.add_parser("push", help="定时推送 / scheduled pushes: list, pause, resume, send-now, cancel")
    psub = p.add_subparsers(dest="push_action", metavar="ACTION", required=True)
    q = psub.add_parser("list", help="列出推送 / list pushes")
    add_common(q)
    q.set_defaults(func=lambda a: asyncio.run(push_command(get_config(a), a.db, "list")))
    for action, zh in (("pause", "暂停"), ("resume", "恢复"), ("send-now", "立即推送"), ("cancel", "取消")):
        q = psub.add_parser(action, help=f"{zh} / {action} a push")
        q.add_argument("id", help="推送编号, 如 P3 / push ID")
        if action == "send-now":
            q.add_argument("--urgent", action="store_true", help="免打扰时段也发送 / ignore quiet hours")
        add_common(q)
        q.set_defaults(func=lambda a, act=action: asyncio.run(push_command(
            get_config(a), a.db, act, parse_push_id(a.id), urgent=getattr(a, "urgent", False))))
