"""tests/scenarios/need_lifecycle.txt replayed as `gridbot simulate` does, then the database checked."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import select

from bot.simulate import run_script
from models.db import make_engine, make_sessionmaker
from models.needs import Need, NeedEvent

SCRIPT = Path(__file__).resolve().parent / "scenarios" / "need_lifecycle.txt"


async def test_need_lifecycle_scenario(config, db_url) -> None:
    out = io.StringIO()
    await run_script(config, SCRIPT.read_text(encoding="utf-8").splitlines(), out, db_url=db_url)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    texts = [(x["to"], x["text"]) for x in lines]
    assert any(to == "网格2一家亲" and "D20261124-0001" in t and "赵网格员" in t for to, t in texts)
    assert any("已有邻居反映" in t and "D20261124-0001" in t for _, t in texts)
    assert any(to == "私聊:wx_zhao" and "已接单 D20261124-0001" in t for to, t in texts)
    assert any(to == "网格2一家亲" and "基本满意" in t and "已关闭" in t for to, t in texts)
    assert any(to == "私聊:wx_zhao" and "已关闭" in t and "不能办结" in t for to, t in texts)
    assert any(to == "私聊:wx_zhao" and "督办" in t and "D20261125-0001" in t for to, t in texts)
    assert any(to == "私聊:wx_li" and "督办" in t and "签收" in t for to, t in texts)
    assert all("13812345678" not in t for to, t in texts if not to.startswith("私聊"))
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as s:
            needs = {n.code: n for n in (await s.scalars(select(Need))).all()}
            first = needs["D20261124-0001"]
            assert (first.status, first.satisfaction, first.rating_note) == ("closed", "basic", "就是来得有点慢")
            assert needs["D20261124-0002"].merged_into == "D20261124-0001"
            urgent = needs["D20261125-0001"]
            assert urgent.overdue and urgent.department == "城管科" and urgent.resolved_at is not None
            tree = needs["D20261125-0002"]
            assert tree.requester is None and tree.last_reply
            actors = (await s.scalars(select(NeedEvent.actor).where(NeedEvent.need_id == tree.id))).all()
            assert "wx_lin" not in actors
    finally:
        await engine.dispose()
