"""Needs as Open311 GeoReport v2 `requests.json`: one service request per need."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.export.base import Rows
from kernel.config import Config
from models import needs as N


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _photo_url(config: Config, photo_id: int) -> str:
    path = f"/inbox/photos/{photo_id}"
    return config.web.base_url.rstrip("/") + path if config.web.base_url else path


def requests_json(rows: Rows, config: Config) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        closed = r["status"] in N.DONE_STATUSES
        notes = r["status_name"]
        if r["merged_into"]:
            notes += f",与 {r['merged_into']} 合并办理"
        if r["resolution"]:
            notes += f"。办理结果: {r['resolution']}"
        elif r["last_reply"]:
            notes += f"。最新回复: {r['last_reply']}"
        place = f"{config.community}{r['grid_name']}" if r["grid_name"] else config.community
        out.append({
            "service_request_id": r["code"],
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_code": r["category"],
            "service_name": r["category_name"],
            "description": r["text"],
            "agency_responsible": r["department"] or place,
            "service_notice": "紧急" if r["urgent"] else "",
            "requested_datetime": _iso(r["created_at"]),
            "updated_datetime": _iso(r["updated_at"]),
            "expected_datetime": None if closed else _iso(r["deadline"]),
            "address": r["address"] or place,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            # an authenticated link: the inbox serves it only to staff who may see the need
            "media_url": _photo_url(config, r["photo_ids"][0]) if r.get("photo_ids") else None,
        })
    return out
