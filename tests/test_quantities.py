"""Numbers people type in commands (issue 11 §7): a count or an amount is read as typed, sign and
size included (kernel/text/numbers.py), and each capability refuses what is out of its range with
its own sentence — "-5人" never signs up 5. Long 接龙 lists are read to the last line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.router import MAX_TEXT
from handlers.jielong import parse_party
from kernel.text.numbers import read_count, read_yuan
from kernel.message import IncomingMessage
from models import events as ev
from models.db import transaction
from tests.harness import replay_script

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.mark.parametrize("text, value", [("5", 5), ("-5", -5), ("－5", -5), ("负三", -3), ("１２", 12),
                                         ("99999999999999", 99999999999999), ("两", 2)])
def test_counts_keep_their_sign_and_size(text: str, value: int) -> None:
    assert read_count(text) == value


@pytest.mark.parametrize("text, cents", [("29.9元", 2990), ("20", 2000), ("-5元", -500), ("0.05元", 5),
                                         ("99999999999999元", 9999999999999900)])
def test_amounts_in_cents(text: str, cents: int) -> None:
    assert read_yuan(text) == cents


@pytest.mark.parametrize("text, size", [("报名 花灯 -5人", -5), ("1000人", 1000), ("3-2-401 2人", 2),
                                        ("张三+1", 2), ("0人", 0)])
def test_party_sizes_keep_sign_and_size(text: str, size: int) -> None:
    # A range or an address dash is not a minus; the model refuses what is out of range.
    assert parse_party(text, entry=True).size == size


async def test_negative_and_absurd_numbers_are_refused(harness) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, SCENARIOS / "numbers_refused.txt")
    assert not failures, "\n".join(failures)


def _list(title: str, n: int) -> str:
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
    lines = [f"#接龙 {title}"] + [f"{i}. {surnames[i % len(surnames)]}阿姨{i} {1 + i % 2}人" for i in range(1, n + 1)]
    return "\n".join(lines)


async def _signed_up(harness, event_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with transaction(harness.core.sessions) as session:
        rows = await ev.signups(session, event_id)
        return len(rows), sum(s.party_size for s in rows)


async def test_a_long_jielong_list_is_read_to_the_last_line(harness) -> None:  # type: ignore[no-untyped-def]
    await harness.say("私聊", "wx_li", "发布活动 中秋花灯 11月28日14:30 社区活动室 名额300", name="李书记")
    text = _list("中秋花灯", 120)
    assert len(text) > MAX_TEXT
    out = await harness.say("网格1一家亲", "wx_zhang", text, name="张阿姨")
    assert len(out) == 1 and "接龙已登记「中秋花灯」" in out[0].text
    assert "等120人" in out[0].text
    assert await _signed_up(harness, 1) == (120, 180)
    # The next re-post with one more line adds exactly that line.
    out = await harness.say("网格1一家亲", "wx_he", _list("中秋花灯", 121), name="何大爷")
    assert "曹***1(2人)" in out[0].text      # the new line (曹阿姨121), its name masked for the group
    assert (await _signed_up(harness, 1))[0] == 121


async def test_over_long_text_that_is_no_list_still_gets_the_short_answer(harness) -> None:  # type: ignore[no-untyped-def]
    out = await harness.say("私聊", "wx_zhang", "楼道灯坏了" * 300, name="张阿姨")
    assert len(out) == 1 and "内容有点长" in out[0].text


async def test_a_500_line_list_is_planned_for_the_list_route(harness) -> None:  # type: ignore[no-untyped-def]
    # Importing 500 lines is slow on a busy test box; that the router hands all of them to the
    # list route (and none to the too-long answer) is what used to fail.
    text = _list("中秋花灯", 500)
    msg = IncomingMessage("m-500", "wx_bot", "test", "wx_zhang", "张阿姨", text, harness.clock.now(),
                          group_id="网格1一家亲", group_topic="网格1一家亲")
    planned = harness.core.dispatcher.plan(msg)
    assert planned is not None
    route, lst = planned.routes[0]
    assert route.name == "events.jielong_list" and len(lst.entries) == 500


async def test_a_list_longer_than_500_lines_gets_an_answer_not_silence(harness) -> None:  # type: ignore[no-untyped-def]
    await harness.say("私聊", "wx_li", "发布活动 中秋花灯 11月28日14:30 社区活动室 名额800", name="李书记")
    out = await harness.say("网格1一家亲", "wx_zhang", _list("中秋花灯", 600), name="张阿姨")
    assert len(out) == 1 and "超过500行" in out[0].text and "分成几条" in out[0].text
    assert await _signed_up(harness, 1) == (0, 0)
