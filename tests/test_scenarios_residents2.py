"""Residents in their own words (issue 13, second round): replays tests/scenarios/resident2_*.txt and
checks their "#>" lines (tests/harness.py) — following up on one's own need (a late building, a
correction, more details, "算了 不用了"), progress in many wordings, ratings as scores, the knowledge
base asked the way people ask, and what the bot can do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("resident2_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_resident_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- the model operations behind them

from kernel.identity import Person, Role  # noqa: E402
from models import needs as N  # noqa: E402
from models.db import transaction  # noqa: E402

WANG = Person("wx_wang", "王网格员", Role.WORKER, 1)
ZHANG = Person("wx_zhang", "张阿姨", Role.RESIDENT)
MA = Person("wx_ma", "马阿姨", Role.RESIDENT)


async def _new(h, text: str, requester: str, building: int | None = 3) -> str:  # type: ignore[no-untyped-def]
    async with transaction(h.core.sessions) as s:
        intake = await N.create_need(s, h.clock.now(), h.config, text=text, category="repair", urgent=False,
                                     building=building, source=N.Source.GROUP, requester=requester,
                                     requester_name=requester, chat="网格1一家亲", chat_grid=1)
        return intake.need.code


async def test_withdraw_closes_without_rating_and_stops_the_clocks(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    code = await _new(h, "3栋楼道灯不亮", "wx_zhang")
    async with transaction(h.core.sessions) as s:
        with pytest.raises(N.NeedError):          # only the resident who raised it
            await N.withdraw(s, h.clock.now(), h.config, code, MA, "不用了")
        change = await N.withdraw(s, h.clock.now(), h.config, code, ZHANG, "自己修好了")
        need = change.need
        assert need.status == N.Status.CLOSED and need.satisfaction is None
        assert need.due_at is None and need.next_escalation_at is None and "自己修好了" in need.resolution
        assert code not in [n.code for n in await N.todo_for(s, WANG)]
        with pytest.raises(N.NeedError) as err:     # nothing left to withdraw
            await N.withdraw(s, h.clock.now(), h.config, code, ZHANG, "不用了")
        assert err.value.code == "illegal"


async def test_withdraw_keeps_a_need_neighbours_were_merged_into(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    parent = await _new(h, "3栋电梯坏了", "wx_zhang")
    child = await _new(h, "3栋电梯又坏了 下不了楼", "wx_ma")
    async with transaction(h.core.sessions) as s:
        assert (await N.get_need(s, child)).merged_into == parent
        change = await N.withdraw(s, h.clock.now(), h.config, parent, ZHANG, "好了")
        assert change.extra.get("kept") and (await N.get_need(s, parent)).status in N.OPEN_STATUSES
        # the merged neighbour leaves alone; the parent is untouched
        await N.withdraw(s, h.clock.now(), h.config, child, MA, "不用了")
        assert (await N.get_need(s, child)).status == N.Status.CLOSED
        assert (await N.get_need(s, parent)).status in N.OPEN_STATUSES


async def test_relocate_moves_an_untaken_need_to_the_right_grid(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    code = await _new(h, "3栋电梯坏了", "wx_zhang")
    async with transaction(h.core.sessions) as s:
        located = await N.relocate(s, h.clock.now(), h.config, code, 8, ZHANG)
        assert located.need.building == 8 and located.need.grid == 2 and located.need.assignee == "wx_zhao"
        assert located.previous_assignee == "wx_wang"
        with pytest.raises(N.NeedError):
            await N.relocate(s, h.clock.now(), h.config, code, 9, MA)     # not hers
