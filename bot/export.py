"""`gridbot export KIND --format json|csv|xlsx|open311` (CONTRACTS §4) and the web downloads.

Each capability registers a kind: a function that reads rows (dicts with the contract's English keys)
and the Chinese column titles a community would print. This module only writes formats."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config


class ExportError(Exception):
    pass


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class ExportKind:
    name: str
    sheet_title: str                                   # e.g. 民情台账
    columns: tuple[tuple[str, str], ...]               # (key, 中文列名) in print order
    read: Callable[[AsyncSession, Config], Awaitable[Rows]]
    open311: Callable[[Rows, Config], list[dict[str, Any]]] | None = None


KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    KINDS[kind.name] = kind
    return kind


def _load_kinds() -> None:
    # Importing a capability's export module registers its kind (imported late: they import us).
    from models import booking_export, events_export, needs_export, surveys_export  # noqa: F401


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def render(kind: ExportKind, rows: Rows, fmt: str, config: Config) -> bytes:
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows], ensure_ascii=False,
                          indent=1).encode("utf-8")
    if fmt == "open311":
        if kind.open311 is None:
            raise ExportError(f"{kind.name} 不支持 open311 格式 / open311 is only for needs")
        return json.dumps(kind.open311(rows, config), ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([title for _, title in kind.columns])
        for r in rows:
            writer.writerow(["" if r.get(k) is None else _plain(r.get(k)) for k, _ in kind.columns])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")   # BOM: Excel opens Chinese CSV correctly
    if fmt == "xlsx":
        return _xlsx(kind, rows, config)
    raise ExportError(f"未知格式 {fmt} / unknown format")


def _xlsx(kind: ExportKind, rows: Rows, config: Config) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = kind.sheet_title[:31]
    ws.append([f"{config.community} {kind.sheet_title}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([title for _, title in kind.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        values = []
        for key, _ in kind.columns:
            v = r.get(key)
            if isinstance(v, datetime):
                v = v.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")
            elif isinstance(v, bool):
                v = "是" if v else "否"
            values.append(v)
        ws.append(values)
    for i, (_, title) in enumerate(kind.columns, 1):
        width = max([len(str(title)) * 2] + [min(60, len(str(ws.cell(row=j, column=i).value or "")) * 2)
                                             for j in range(3, ws.max_row + 1)])
        ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = max(8, min(60, width))
        for j in range(3, ws.max_row + 1):
            ws.cell(row=j, column=i).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def export_rows(session: AsyncSession, config: Config, kind_name: str) -> tuple[ExportKind, Rows]:
    _load_kinds()
    kind = KINDS.get(kind_name)
    if kind is None:
        raise ExportError(f"暂不支持导出 {kind_name} / export of {kind_name} is not available in this build")
    return kind, await kind.read(session, config)


async def export_to(config: Config, kind_name: str, fmt: str, *, db_url: str | None, out: str | None) -> None:
    from bot.app import default_db_url
    from models.db import make_engine, make_sessionmaker, migrate

    url = db_url or config.storage_url or default_db_url(config)
    await migrate(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            kind, rows = await export_rows(session, config, kind_name)
    finally:
        await engine.dispose()
    data = render(kind, rows, fmt, config)
    if out:
        Path(out).write_bytes(data)
    elif fmt == "xlsx":
        raise ExportError("xlsx 需要 --out 文件名 / xlsx needs --out FILE")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
