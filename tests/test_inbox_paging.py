"""The inbox list when there are more needs than one page shows: the first page is the head of the whole
order (urgent, then overdue, then the nearest clock, then the oldest), and the counts above it are those
of every need the user may see, not of the page — for the whole community and for one grid's worker."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from kernel.config import Config, load_config
from kernel.settings import InboxSettings
from models import needs as N
from models.db import transaction
from tests.conftest import ROOT
from tests.inbox_helpers import codes_in, need, new_need, web  # noqa: F401  (web is a fixture)

PAGE = 10
G1, G2 = "网格1一家亲", "网格2一家亲"


@pytest.fixture
def config() -> Config:
    return dataclasses.replace(load_config(ROOT / "config.example.toml"), inbox=InboxSettings(list_limit=PAGE))


def is_late(n: N.Need, now: datetime) -> bool:
    return n.overdue or any(c is not None and c < now for c in (n.due_at, n.resolve_due_at))


def expected_order(needs: list[N.Need], now: datetime) -> list[N.Need]:
    """The inbox order, written out independently of the SQL that implements it."""
    def key(n: N.Need) -> tuple[object, ...]:
        clocks = [c for c in (n.due_at, n.resolve_due_at) if c is not None]
        clock = min(clocks) if clocks else None
        group = 0 if n.urgent else 1 if is_late(n, now) else 2
        return (group, clock is None, clock or now, n.created_at, n.id)
    return sorted((n for n in needs if n.is_open), key=key)


def summary(html: str) -> tuple[int, int, int]:
    m = re.search(r"共 (\d+) 件 · 紧急 (\d+) · 超时 (\d+)", html)
    assert m is not None, html[:400]
    return int(m[1]), int(m[2]), int(m[3])


async def test_the_first_page_and_the_counts_when_there_are_more_needs_than_one_page(web) -> None:
    h = web.h                                                       # Monday 2026-11-23 09:00
    codes = []
    for i in range(6):                                              # these run out of time below
        codes.append(await new_need(h, f"{i + 1}栋楼道灯不亮了", building=i % 4 + 1))
        h.clock.advance(timedelta(minutes=3))
    codes.append(await new_need(h, "2栋电梯困人了", building=2, urgent=True))
    codes.append(await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨"))
    h.clock.advance(timedelta(hours=3))
    for i in range(9):
        codes.append(await new_need(h, f"{i % 4 + 1}栋门口垃圾没人收", building=i % 4 + 1, category="environment"))
        h.clock.advance(timedelta(minutes=2))
    codes.append(await new_need(h, "3栋有煤气味", building=3, urgent=True, category="safety"))
    for i in range(5):
        codes.append(await new_need(h, f"{i + 7}栋路灯坏了", building=i + 7, chat=G2, requester="wx_ma",
                                    name="马阿姨"))
    async with transaction(h.core.sessions) as s:                  # two are done: never in the open list
        await s.execute(update(N.Need).where(N.Need.code.in_(codes[1:3])).values(status="closed"))
    needs = [await need(h, c) for c in codes]
    now = h.clock.now()

    # 王 works grid 1 and is grid 3's AB岗 (config.example.toml): he sees both
    for username, sees in (("li", lambda n: True), ("wang", lambda n: n.grid in (1, 3))):
        visible = expected_order([n for n in needs if sees(n)], now)
        assert len(visible) > PAGE
        user = await web.user(username)
        status, html = await user.get("/inbox")
        assert status == 200
        assert codes_in(html) == [n.code for n in visible[:PAGE]], username
        late = sum(1 for n in visible if is_late(n, now))
        assert summary(html) == (len(visible), sum(1 for n in visible if n.urgent), late)
        assert late > 0 and f"还有 {len(visible) - PAGE} 件未显示" in html
        async with user.http.get(web.base + "/inbox/rows") as r:   # the live refresh: the same page
            data = await r.json()
        assert data["codes"] == [n.code for n in visible[:PAGE]]
        assert (data["total"], data["urgent"], data["overdue"]) == summary(html)

    # a filter narrows both the page and the counts
    li = await web.user("li")
    status, html = await li.get("/inbox?category=environment")
    environment = expected_order([n for n in needs if n.category == "environment"], now)
    assert codes_in(html) == [n.code for n in environment] and summary(html)[0] == len(environment) == 9
