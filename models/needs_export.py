"""The 民情台账's rows: one typed row per need, selected by the inbox's own scope and filter rules.

The first fifteen fields are the JSON keys of CONTRACTS §4, exactly; the rest are what the printed
ledger shows (Chinese statuses and categories, 房号/地址, 联系电话, 办理时限, 回访时间 …). Formats live
in the shell (bot/export); this module only decides what a row says and who may read it:

* Phones (联系电话 and numbers inside texts) are in full only when `full_phones` is set — the shell sets
  it for the roles that may see them (bot/export/audience.py); everyone else gets 138****5678.
* A 树洞 need names nobody: requester null, requester_name 匿名, no phone, no 房号 beyond the building,
  phones and ID numbers masked in its text whoever exports it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from kernel.text.normalize import clean
from kernel.text.numbers import cn_to_int
from models import inbox as M
from models import needs as N
from models import photos as P
from models.export_filter import ExportFilter, within
from texts import exports as X

CONTRACT_KEYS = ("code", "status", "category", "urgent", "building", "grid", "text", "requester", "assignee",
                 "department", "created_at", "acknowledged_at", "closed_at", "satisfaction", "merged_into")


@dataclass(frozen=True)
class NeedRow:
    # CONTRACTS §4 (exact keys)
    code: str
    status: str
    category: str
    urgent: bool
    building: int | None
    grid: int | None
    text: str
    requester: str | None          # contact id; None for a 树洞 need
    assignee: str | None
    department: str | None
    created_at: datetime           # aware, in the config's time zone
    acknowledged_at: datetime | None
    closed_at: datetime | None
    satisfaction: str | None       # satisfied | basic | dissatisfied
    merged_into: str | None
    # the ledger
    status_name: str
    category_name: str
    source: str
    source_name: str
    grid_name: str | None
    address: str | None            # 房号/地址: 7栋2单元602室, or the building alone
    requester_name: str | None
    phone: str | None              # 联系电话: the numbers the need mentions, 、-joined
    assignee_name: str | None
    deadline: datetime | None      # 办理时限: urgent → the 办结 deadline; otherwise the response deadline
    overdue: bool
    resolved_at: datetime | None
    resolution: str | None
    visited_at: datetime | None    # 回访时间: when the resident was asked to rate
    rated_at: datetime | None
    satisfaction_name: str | None
    rating_note: str | None
    solved: bool | None
    updated_at: datetime
    last_reply: str | None
    photo_ids: tuple[int, ...] = ()   # 随手拍: the need's photos (served at /inbox/photos/{id} to who may see it)
    photo_count: int = 0


# ---------------------------------------------------------------- 房号/地址 from what is stored

_CN_NUM = "〇零一二两三四五六七八九十百"
_BUILDING_RE = re.compile(rf"第?(\d{{1,3}}|[{_CN_NUM}]{{1,4}})\s*(?:号楼(?!梯)|号栋|栋|幢|座(?![位椅机谈子])|#楼?)")
_ROOM = r"(\d{3,4})(?![\d.:]|\s*[年月日点时分元块个人次岁])\s*[室号房]?"
_AFTER_BUILDING_RE = re.compile(rf"\s*(?:(\d{{1,2}})\s*单元)?\s*(?:(\d{{1,2}})\s*[楼层](?!道|梯|下|上|顶))?\s*(?:{_ROOM})?")
_DASH_RE = re.compile(r"(?<![\d:./\-])(\d{1,2})-(?:(\d{1,2})-)?(\d{3,4})(?![\d:\-])")
_BARE_ROOM_RE = re.compile(r"(?<!\d)(\d{3,4})\s*室")


def _format(building: int, unit: str | None, floor: str | None, room: str | None) -> str:
    place = f"{building}栋" + (f"{int(unit)}单元" if unit else "")
    return place + (f"{room}室" if room else f"{int(floor)}楼" if floor else "")


def address_of(text: str, building: int | None) -> str | None:
    """房号/地址 as far as the text tells it: "7栋602" → 7栋602室, "3号楼2单元401" → 3栋2单元401室,
    "7-2-602" → 7栋2单元602室; the building alone when no room is named; None when nothing is known."""
    s = clean(text)
    for m in _BUILDING_RE.finditer(s):
        try:
            number = cn_to_int(m.group(1))
        except ValueError:
            continue
        if building is not None and number != building:
            continue
        unit, floor, room = _AFTER_BUILDING_RE.match(s, m.end()).groups()  # type: ignore[union-attr]
        if unit or floor or room:
            return _format(number, unit, floor, room)
    for m in _DASH_RE.finditer(s):
        if building is None or int(m.group(1)) == building:
            return _format(int(m.group(1)), m.group(2), None, m.group(3))
    if building is None:
        return None
    bare = _BARE_ROOM_RE.search(s)
    return _format(building, None, None, bare.group(1) if bare else None)


# ---------------------------------------------------------------- rows

def _local(value: datetime | None, config: Config) -> datetime | None:
    return value.astimezone(config.timezone) if value is not None else None


def need_row(need: N.Need, config: Config, *, full_phones: bool = False) -> NeedRow:
    tree_hole = need.tree_hole
    show = (lambda t: t) if full_phones and not tree_hole else N.mask_phones

    def shown(value: str | None) -> str | None:
        return show(value) if value else None

    phones = [] if tree_hole else [p for p in [need.caller_phone] if p] + [
        p for p in N.find_phones(need.text) if p != need.caller_phone]
    sat = N.Satisfaction(need.satisfaction) if need.satisfaction else None
    return NeedRow(
        code=need.code, status=need.status, category=need.category, urgent=bool(need.urgent),
        building=need.building, grid=need.grid, text=show(need.text),
        requester=None if tree_hole else need.requester, assignee=need.assignee, department=need.department,
        created_at=need.created_at.astimezone(config.timezone),
        acknowledged_at=_local(need.acknowledged_at, config), closed_at=_local(need.closed_at, config),
        satisfaction=need.satisfaction, merged_into=need.merged_into,
        status_name=need.status_name, category_name=need.category_name,
        source=need.source, source_name=X.NEED_SOURCES.get(need.source, need.source),
        grid_name=f"网格{need.grid}" if need.grid is not None else None,
        address=(f"{need.building}栋" if need.building is not None else None) if tree_hole
        else address_of(need.text, need.building),
        requester_name=X.ANONYMOUS if tree_hole else (need.requester_name or need.requester),
        phone="、".join(show(p) for p in phones) or None,
        assignee_name=need.assignee_name,
        deadline=_local(need.resolve_due_at or need.response_due_at, config),
        overdue=bool(need.overdue),
        resolved_at=_local(need.resolved_at, config), resolution=shown(need.resolution),
        visited_at=_local(need.visited_at, config), rated_at=_local(need.rated_at, config),
        satisfaction_name=N.SATISFACTION_NAMES[sat] if sat else None, rating_note=shown(need.rating_note),
        solved=need.solved, updated_at=need.updated_at.astimezone(config.timezone),
        last_reply=shown(need.last_reply),
    )


def _conditions(f: ExportFilter, config: Config) -> list[Any]:
    conds = within(N.Need.created_at, f, config.timezone)
    if f.status == "open":
        conds.append(N.Need.status.in_([str(s) for s in N.OPEN_STATUSES]))
    elif f.status == "done":
        conds.append(N.Need.status.in_([str(s) for s in N.DONE_STATUSES]))
    elif f.status and f.status != "all":
        conds.append(N.Need.status == f.status)
    if f.grid is not None:
        conds.append(N.Need.grid == f.grid)
    if f.category:
        conds.append(N.Need.category == f.category)
    return conds


async def ledger_rows(session: AsyncSession, config: Config, *, filters: ExportFilter = ExportFilter(),
                      scope: M.Scope | None = None, full_phones: bool = False) -> list[NeedRow]:
    """The needs `scope` may see (the inbox's rule; None: all) that pass `filters`, oldest first.
    `filters.status` is a status code, or open (not yet 办结), done (办结, 回访, 关闭) or all."""
    q = select(N.Need).where(*_conditions(filters, config))
    clause = scope.clause() if scope is not None else None
    if clause is not None:
        q = q.where(clause)
    needs = (await session.scalars(q.order_by(N.Need.created_at, N.Need.id))).all()
    photos = await P.photos_of(session, [n.id for n in needs])
    return [dataclasses.replace(row, photo_ids=ids, photo_count=len(ids))
            if (ids := tuple(p.id for p in photos.get(n.id, ()))) else row
            for n, row in ((n, need_row(n, config, full_phones=full_phones)) for n in needs)]
