"""Logs: local time with the zone offset, a JSON mode, one line per need transition / escalation / send /
login, and nothing in them — even with -v — that leads back to a 树洞 sender or repeats what residents wrote."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from kernel import metrics
from bot.logs import QUIET, json_wanted, setup_logging
from bot.service import start_service
from kernel.config import Config
from kernel.logevent import log_event
from tests.harness import Harness

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def logs() -> Iterator[tuple[io.StringIO, dict[str, object]]]:
    """gridbot's own logging set up on a buffer (as `gridbot -v` does); pytest's handlers come back after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {name: logging.getLogger(name).level for name in ("gridbot", *QUIET)})
    buffer = io.StringIO()
    options: dict[str, object] = {"stream": buffer}
    try:
        yield buffer, options
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


def test_text_lines_carry_local_time_with_the_offset(logs) -> None:  # type: ignore[no-untyped-def]
    buffer, options = logs
    setup_logging(tz=SHANGHAI, **options)  # type: ignore[arg-type]
    log_event(logging.getLogger("gridbot.test"), "outbox.sent", row=12, chat="group", note="two words")
    line = buffer.getvalue().strip()
    stamp, level, name, rest = line.split(" ", 3)
    assert stamp.endswith("+08:00") and level == "INFO" and name == "gridbot.test:"
    assert rest == 'outbox.sent row=12 chat=group note="two words"'


def test_json_mode_one_object_per_line_and_exceptions_in_one_field(logs) -> None:  # type: ignore[no-untyped-def]
    buffer, options = logs
    setup_logging(json_mode=True, tz=SHANGHAI, **options)  # type: ignore[arg-type]
    log = logging.getLogger("gridbot.test")
    log_event(log, "web.login", log_level=logging.WARNING, result="failed", user="wang")
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("job failed")
    first, second = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert first["event"] == "web.login" and first["result"] == "failed" and first["level"] == "WARNING"
    assert first["time"].endswith("+08:00")
    assert second["msg"] == "job failed" and second["exc"].startswith("ValueError: boom second line")
    assert "Traceback" not in second["exc"]                      # one line without -v


def test_json_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_LOG_FORMAT", "json")
    assert json_wanted(False)
    monkeypatch.setenv("GRIDBOT_LOG_FORMAT", "text")
    assert not json_wanted(False) and json_wanted(True)


async def test_need_lifecycle_and_escalation_lines_and_counter(config: Config, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gridbot")
    h = await Harness.create(config, f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    escalated = sum(s.value for s in metrics.ESCALATIONS.collect()[0].samples if s.name.endswith("_total"))
    try:
        await h.say("网格1一家亲", "wx_zhang", "@小助手 3栋电梯坏了有人被困在里面", name="张阿姨")
        code = h.last_code
        await h.advance("20m")                                  # nobody responds: 督办
    finally:
        await h.close()
    events = [(r.event, r.fields) for r in caplog.records if getattr(r, "event", None)]
    dispatched = [f for e, f in events if e == "need.dispatch" and f["code"] == code]
    assert dispatched == [{"code": code, "from": "received", "to": "dispatched", "actor": "system"}]
    assert any(e == "need.escalate" and f["code"] == code for e, f in events)
    assert sum(s.value for s in metrics.ESCALATIONS.collect()[0].samples if s.name.endswith("_total")) > escalated
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "电梯" not in text and "张阿姨" not in text and "wx_zhang" not in text


async def test_verbose_logs_never_name_a_tree_hole_sender_nor_repeat_the_text(
        config: Config, tmp_path: Path, logs) -> None:  # type: ignore[no-untyped-def]
    buffer, options = logs
    setup_logging(verbose=True, tz=SHANGHAI, **options)  # type: ignore[arg-type]
    running = await start_service(config, db_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", port=0, demo=True,
                                  tick_seconds=3600)
    try:
        sim = running.simulator
        sim.add_contact("wx_secret_77", "匿名的人")
        sim.fail_sends(1)                                       # the first reply fails once: the retry is logged
        await sim.inject("wx_secret_77", "树洞 楼上邻居每天半夜打孩子 电话13800001234")
        for _ in range(300):
            if any(s.chat_id == "wx_secret_77" for s in sim.sent):   # answered privately (after one retry)
                break
            await asyncio.sleep(0.1)
        assert any(s.chat_id == "wx_secret_77" for s in sim.sent)
        before = len(sim.sent)
        await sim.inject("wx_zhang", "@小助手 5栋门口垃圾堆满了", topic="网格1一家亲", mention_bot=True)
        await sim.wait_sent(before + 1, timeout=30)
        async with aiohttp.ClientSession() as http:             # a failed login is logged without the password
            base = f"http://127.0.0.1:{running.port}"
            async with http.post(base + "/api/token", json={"username": "wang", "password": "not-it-123"}) as r:
                assert r.status == 401
        await asyncio.sleep(0.2)
    finally:
        await running.stop()
    out = buffer.getvalue()
    assert "need.dispatch" in out and "outbox.sent" in out and "outbox.retry" in out and "channel.up" in out
    assert "web.login result=failed user=wang" in out and "not-it-123" not in out
    for private in ("wx_secret_77", "匿名的人", "打孩子", "13800001234", "垃圾", "wx_zhang"):
        assert private not in out, private
    assert "DEBUG" in out                                       # -v is really on
