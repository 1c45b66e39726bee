"""The inbox list's filters, read from a query string (the pages and the API share them)."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from bot.web.auth import WebActor
from models import inbox as M
from models import needs as N

STATUS_CHOICES = [("open", "未办结"), ("done", "已办结"), ("all", "全部")] + [
    (str(s), N.STATUS_NAMES[s]) for s in N.Status]


def parse_filters(query: Any, actor: WebActor, config: Any) -> M.Filters:
    f = M.Filters()
    grid = str(query.get("grid") or "")
    if grid.isdigit() and config.grid_by_number(int(grid)) is not None:
        f.grid = int(grid)
    category = query.get("category")
    if category in N.CATEGORY_NAMES:
        f.category = category
    status = query.get("status") or "open"
    f.status = status if status in {k for k, _ in STATUS_CHOICES} else "open"
    f.urgent = query.get("urgent") == "1"
    f.overdue = query.get("overdue") == "1"
    dept = query.get("department")
    if dept and config.department(dept) is not None:
        f.department = config.department(dept).name
    for attr in ("date_from", "date_to"):
        raw = query.get(attr.replace("date_", ""))
        if raw:
            with contextlib.suppress(ValueError):
                setattr(f, attr, date.fromisoformat(str(raw)[:10]))
    q = str(query.get("q") or "").strip()[:50]
    f.q = q or None
    return f
