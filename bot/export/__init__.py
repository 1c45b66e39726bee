"""Exports: `gridbot export KIND --format json|csv|xlsx|open311` (CONTRACTS §4), the inbox's downloads
and the API all go through `export()`:

    filters = parse_filter(config, "needs", date_from="2026-11-01", date_to="2026-11-30", grid="1",
                           status="open", category="repair")          # strings as typed; ExportError if bad
    result = await export(core.sessions, config, "needs", "xlsx", now=clock.now(), filters=filters,
                          audience=audience_for(actor.role, actor.scope))   # the web user's scope and masking
    result.data, result.rows, result.filename, result.content_type

`export()` reads in its own short session and builds the file after that session is closed, in a worker
thread, so a large xlsx holds no database lock or connection. Layers: models/*_export.py give typed
rows (filters and the inbox's permission scope applied in SQL, phones masked there); this package only
chooses columns and writes formats (cells.py: formula-safe cells; tabular.py: CSV and xlsx;
open311.py: GeoReport v2)."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.export.base import FORMATS, Audience, Column, ExportError, ExportKind, Rows, audience_for
from bot.export.kinds import KINDS
from bot.export.open311 import requests_json
from bot.export.tabular import to_csv, to_xlsx
from kernel.config import Config
from models.export_filter import ExportFilter
from models.needs import CATEGORY_NAMES
from texts import exports as X

__all__ = ["FORMATS", "KINDS", "Audience", "Column", "ExportError", "ExportFilter", "ExportKind", "ExportResult",
           "Rows", "audience_for", "export", "export_rows", "heading", "kind_of", "parse_filter", "render"]

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8", "json": "application/json", "open311": "application/json"}


@dataclass(frozen=True)
class ExportResult:
    kind: ExportKind
    fmt: str
    data: bytes
    rows: int
    filename: str          # 锦城社区民情台账-20261123.xlsx
    ascii_filename: str    # needs-20261123.xlsx (for clients that cannot read the UTF-8 name)
    content_type: str


def kind_of(name: str) -> ExportKind:
    kind = KINDS.get(name)
    if kind is None:
        raise ExportError(X.UNKNOWN_KIND.format(kind=name))
    return kind


# ---------------------------------------------------------------- filters, as typed on the CLI or a page

_WHAT = {"grid": "网格", "status": "状态", "category": "类别", "date_from": "日期", "date_to": "日期"}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(unicodedata.normalize("NFKC", value).strip().replace("/", "-").replace(".", "-"))
    except ValueError:
        raise ExportError(X.BAD_DATE.format(value=value)) from None


def _pick(value: str, names: dict[str, str]) -> str | None:
    """A code from its code or its Chinese name (case and width forgiven)."""
    word = unicodedata.normalize("NFKC", value).strip()
    for code, name in names.items():
        if word.lower() == code.lower() or word == name:
            return code
    return None


def parse_filter(config: Config, kind_name: str, *, date_from: str | None = None, date_to: str | None = None,
                 grid: str | None = None, status: str | None = None, category: str | None = None) -> ExportFilter:
    """An ExportFilter from the words a person typed (empty means no filter); ExportError names the
    first thing wrong in one line."""
    kind = kind_of(kind_name)
    given = {k: v.strip() for k, v in (("date_from", date_from), ("date_to", date_to), ("grid", grid),
                                       ("status", status), ("category", category)) if v and v.strip()}
    for key in given:
        if key not in kind.filters:
            raise ExportError(X.FILTER_NOT_FOR_KIND.format(kind=kind.sheet_title, what=_WHAT[key]))
    start = _date(given["date_from"]) if "date_from" in given else None
    end = _date(given["date_to"]) if "date_to" in given else None
    if start and end and start > end:
        raise ExportError(X.DATES_REVERSED.format(start=start, end=end))
    grid_no = None
    if "grid" in given:
        digits = unicodedata.normalize("NFKC", given["grid"]).removeprefix("网格").strip()
        grid_no = int(digits) if digits.isdigit() else None
        if grid_no is None or config.grid_by_number(grid_no) is None:
            raise ExportError(X.BAD_GRID.format(value=given["grid"], choices=", ".join(str(g.number) for g in config.grids)))
    status_code = None
    if "status" in given:
        status_code = _pick(given["status"], dict(kind.statuses))
        if status_code is None:
            raise ExportError(X.BAD_STATUS.format(kind=kind.sheet_title, value=given["status"],
                                                  choices=", ".join(kind.statuses)))
    category_code = None
    if "category" in given:
        category_code = _pick(given["category"], CATEGORY_NAMES)
        if category_code is None:
            raise ExportError(X.BAD_CATEGORY.format(value=given["category"], choices=", ".join(CATEGORY_NAMES)))
    return ExportFilter(date_from=start, date_to=end, grid=grid_no, status=status_code, category=category_code)


def heading(kind: ExportKind, config: Config, filters: ExportFilter = ExportFilter(), *,
            audience: Audience = Audience(), now: datetime | None = None) -> str:
    """The sheet's title line: community, ledger, the filters applied, when, and whether phones are masked."""
    parts = [X.TITLE.format(community=config.community, sheet=kind.sheet_title)]
    status = filters.status and kind.statuses.get(filters.status, filters.status)
    for key, value in (("from", filters.date_from), ("to", filters.date_to), ("grid", filters.grid),
                       ("status", status), ("category", CATEGORY_NAMES.get(filters.category or ""))):
        if value:
            parts.append(X.FILTER_PARTS[key].format(value=value))
    if now is not None:
        parts.append(X.EXPORTED_AT.format(at=now.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M")))
    if kind.open311 and not audience.full_phones:
        parts.append(X.PHONES_MASKED)
    return " · ".join(parts)


# ---------------------------------------------------------------- reading and writing

def _as_dict(row: Any) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in fields(row)}


def _check_format(kind: ExportKind, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(X.UNKNOWN_FORMAT.format(fmt=fmt))
    if fmt == "open311" and not kind.open311:
        raise ExportError(X.OPEN311_NEEDS_ONLY)


async def export_rows(session: AsyncSession, config: Config, kind_name: str, *,
                      filters: ExportFilter = ExportFilter(), audience: Audience = Audience()) -> tuple[ExportKind, Rows]:
    """The rows of an export as dicts (the JSON objects, datetimes still datetimes)."""
    kind = kind_of(kind_name)
    if audience.scope is not None and not kind.scoped:
        raise ExportError(X.SCOPE_NEEDS_ONLY)
    return kind, [_as_dict(r) for r in await kind.read(session, config, filters, audience)]


def _json_value(value: Any) -> Any:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def render(kind: ExportKind, rows: Rows, fmt: str, config: Config, *, title: str | None = None) -> bytes:
    """The file in `fmt`; `title` is the xlsx title line (default: community and ledger name)."""
    _check_format(kind, fmt)
    if fmt == "json":
        return json.dumps([{k: _json_value(v) for k, v in r.items()} for r in rows], ensure_ascii=False,
                          indent=1).encode("utf-8")
    if fmt == "open311":
        return json.dumps(requests_json(rows, config), ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        return to_csv(kind, rows, config)
    return to_xlsx(kind, rows, config, title or heading(kind, config))


async def export(sessions: async_sessionmaker[AsyncSession], config: Config, kind_name: str, fmt: str, *,
                 now: datetime, filters: ExportFilter = ExportFilter(), audience: Audience = Audience()) -> ExportResult:
    """Read the rows `audience` may see that pass `filters`, then build the file off the event loop."""
    kind = kind_of(kind_name)
    _check_format(kind, fmt)
    async with sessions() as session:
        _, rows = await export_rows(session, config, kind_name, filters=filters, audience=audience)
    title = heading(kind, config, filters, audience=audience, now=now)
    data = await asyncio.to_thread(render, kind, rows, fmt, config, title=title)
    stamp = now.astimezone(config.timezone).strftime("%Y%m%d")
    ext = "json" if fmt == "open311" else fmt
    return ExportResult(kind, fmt, data, len(rows), f"{config.community}{kind.sheet_title}-{stamp}.{ext}",
                        f"{kind.name}-{stamp}.{ext}", CONTENT_TYPES[fmt])
