"""`gridbot parse-time` (CONTRACTS §8) as a checker runs it, and the booking dialogue that acts on its `ask`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ops_helpers import ROOT, gridbot

FIELDS = ["text", "date", "start", "end", "part", "ask"]


def test_one_json_object_per_line_in_order(tmp_path: Path) -> None:
    lines = ["下礼拜的星期四 3点到5点", "明儿个下午三点", "", "周六上午", "12.1 下午3点", "2月30号", "下周下午3点",
             "冬至 晚上7点", "明天", "垃圾桶满了\r"]
    proc = gridbot("parse-time", "--now", "2026-12-03T10:00", "--config", str(ROOT / "config.example.toml"),
                   cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [list(o) for o in out] == [FIELDS] * len(lines)
    assert [o["text"] for o in out] == [line.rstrip("\r") for line in lines]
    by_text = {o["text"]: o for o in out}
    assert by_text["下礼拜的星期四 3点到5点"] == {
        "text": "下礼拜的星期四 3点到5点", "date": "2026-12-10", "start": "2026-12-10T15:00",
        "end": "2026-12-10T17:00", "part": None, "ask": False}
    assert by_text["明儿个下午三点"]["start"] == "2026-12-04T15:00"
    assert by_text["明儿个下午三点"]["end"] == "2026-12-04T16:00"          # the config's default length
    assert by_text["周六上午"] | {"text": ""} == {"text": "", "date": "2026-12-05", "start": None, "end": None,
                                              "part": "上午", "ask": False}
    assert by_text["明天"]["date"] == "2026-12-04" and by_text["明天"]["part"] is None
    assert by_text["冬至 晚上7点"]["start"] == "2026-12-22T19:00"
    # The bot would ask: a past day (named), an impossible date, next week without a day, no time at all.
    assert by_text["12.1 下午3点"]["ask"] and by_text["12.1 下午3点"]["date"] == "2026-12-01"
    for text in ("2月30号", "下周下午3点", "", "垃圾桶满了"):
        assert by_text[text]["ask"] and by_text[text]["date"] is None, text


def test_now_without_a_zone_is_the_config_zone_and_a_bad_now_is_one_bilingual_line(tmp_path: Path) -> None:
    config = str(ROOT / "config.example.toml")
    proc = gridbot("parse-time", "--now", "2026-12-03T10:00+00:00", "--config", config, cwd=tmp_path,
                   stdin="今天晚上7点\n")
    assert json.loads(proc.stdout)["start"] == "2026-12-03T19:00"   # 18:00 in Shanghai: still ahead
    proc = gridbot("parse-time", "--now", "2026-12-03T20:00", "--config", config, cwd=tmp_path, stdin="今天晚上7点\n")
    assert json.loads(proc.stdout)["ask"] is True                    # 19:00 has passed
    proc = gridbot("parse-time", "--now", "昨天", "--config", config, cwd=tmp_path, stdin="明天\n")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "不是 ISO-8601 时间 / not an ISO-8601 time" in proc.stderr and "Traceback" not in proc.stderr
