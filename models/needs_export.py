"""`gridbot export needs` (CONTRACTS §4): the 民情台账.

JSON rows carry the contract keys (code, status, category, urgent, building, grid, text, requester —
null for a 树洞 need —, assignee, department, created_at, acknowledged_at, closed_at, satisfaction,
merged_into) plus Chinese renderings (*_name) that the printed columns (CSV, xlsx) use. Phone numbers
are masked in every format. `open311` is a GeoReport v2 requests.json list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from bot.export import ExportKind, Rows, register
from models import needs as N

CONTRACT_KEYS = ("code", "status", "category", "urgent", "building", "grid", "text", "requester", "assignee",
                 "department", "created_at", "acknowledged_at", "closed_at", "satisfaction", "merged_into")

# Print order of the ledger: (row key, 中文列名).
COLUMNS = (
    ("code", "诉求编号"),
    ("created_at", "受理时间"),
    ("grid_name", "网格"),
    ("building_name", "楼栋"),
    ("category_name", "类别"),
    ("urgent_name", "紧急"),
    ("text", "诉求内容"),
    ("requester_name", "诉求人"),
    ("source_name", "渠道"),
    ("status_name", "状态"),
    ("assignee_name", "承办人"),
    ("department", "转派科室"),
    ("acknowledged_at", "签收时间"),
    ("resolved_at", "办结时间"),
    ("resolution", "办理结果"),
    ("closed_at", "关闭时间"),
    ("satisfaction_name", "满意度"),
    ("rating_note", "居民意见"),
    ("overdue_name", "是否超时"),
    ("merged_into", "合并至"),
)

SOURCE_NAMES = {"group": "群聊", "private": "私聊", "tree_hole": "树洞", "suggestion": "未诉先办"}


def _local(value: datetime | None, config: Config) -> datetime | None:
    return value.astimezone(config.timezone) if value is not None else None


def need_row(need: N.Need, config: Config) -> dict[str, Any]:
    sat = N.Satisfaction(need.satisfaction) if need.satisfaction else None
    closed = need.closed_at
    return {
        "code": need.code,
        "status": need.status,
        "category": need.category,
        "urgent": bool(need.urgent),
        "building": need.building,
        "grid": need.grid,
        "text": N.mask_phones(need.text),
        "requester": None if need.tree_hole else need.requester,
        "assignee": need.assignee,
        "department": need.department,
        "created_at": _local(need.created_at, config),
        "acknowledged_at": _local(need.acknowledged_at, config),
        "closed_at": _local(closed, config),
        "satisfaction": need.satisfaction,
        "merged_into": need.merged_into,
        # beyond the contract
        "source": need.source,
        "resolved_at": _local(need.resolved_at, config),
        "updated_at": _local(need.updated_at, config),
        "resolution": N.mask_phones(need.resolution) if need.resolution else None,
        "rating_note": N.mask_phones(need.rating_note) if need.rating_note else None,
        "solved": need.solved,
        "overdue": bool(need.overdue),
        "last_reply": N.mask_phones(need.last_reply) if need.last_reply else None,
        "status_name": need.status_name,
        "category_name": need.category_name,
        "urgent_name": "是" if need.urgent else "",
        "overdue_name": "是" if need.overdue else "",
        "grid_name": f"网格{need.grid}" if need.grid is not None else "",
        "building_name": f"{need.building}栋" if need.building is not None else "",
        "requester_name": "(匿名)" if need.tree_hole else (need.requester_name or need.requester),
        "assignee_name": need.assignee_name,
        "source_name": SOURCE_NAMES.get(need.source, need.source),
        "satisfaction_name": N.SATISFACTION_NAMES[sat] if sat else None,
    }


async def read_needs(session: AsyncSession, config: Config) -> Rows:
    return [need_row(n, config) for n in await N.all_needs(session)]


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def open311(rows: Rows, config: Config) -> list[dict[str, Any]]:
    """GeoReport v2 requests.json: one service request per need."""
    out = []
    for r in rows:
        closed = r["status"] in (N.Status.RESOLVED, N.Status.VISITING, N.Status.CLOSED)
        notes = r["status_name"]
        if r.get("merged_into"):
            notes += f",与 {r['merged_into']} 合并办理"
        if r.get("resolution"):
            notes += f"。办理结果: {r['resolution']}"
        elif r.get("last_reply"):
            notes += f"。最新回复: {r['last_reply']}"
        address = r["building_name"] or (f"{config.community} {r['grid_name']}" if r["grid_name"] else config.community)
        out.append({
            "service_request_id": r["code"],
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_code": r["category"],
            "service_name": r["category_name"],
            "description": r["text"],
            "agency_responsible": r["department"] or (f"{config.community}{r['grid_name']}" if r["grid_name"]
                                                      else config.community),
            "service_notice": "紧急" if r["urgent"] else "",
            "requested_datetime": _iso(r["created_at"]),
            "updated_datetime": _iso(r["updated_at"]),
            "expected_datetime": None,
            "address": address,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        })
    return out


NEEDS = register(ExportKind(name="needs", sheet_title="民情台账", columns=COLUMNS, read=read_needs, open311=open311))
