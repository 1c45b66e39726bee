"""`gridbot simulate` prints CONTRACTS §3 JSON lines and leaves the state in the database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

SCRIPT = """\
# greeting, a staff help, an unknown group and time moving on
@clock 2026-11-23 09:00
[网格1一家亲] 张阿姨(wx_zhang): @小助手 帮助
[网格1一家亲] 张阿姨(wx_zhang): 大家早上好
@advance 90m
[私聊] 王网格员(wx_wang): 帮助
[私聊] 张阿姨(wx_zhang): 帮\\n助
"""


def test_simulate_prints_json_lines(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    db = tmp_path / "sim.db"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "simulate", str(script), "--db", f"sqlite:///{db}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["at"], x["to"], x["mentions"]) for x in lines] == [
        ("2026-11-23T09:00:00+08:00", "网格1一家亲", ["wx_zhang"]),
        ("2026-11-23T10:30:00+08:00", "私聊:wx_wang", []),
        ("2026-11-23T10:30:00+08:00", "私聊:wx_zhang", []),
    ]
    assert "网格员指令" in lines[1]["text"] and "网格员指令" not in lines[0]["text"]
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from outbox where status='sent'")).scalar() == 3
        assert conn.execute(sa.text("select count(*) from processed_messages")).scalar() == 3


def test_simulate_reports_a_bad_line(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("@clock 2026-11-23 09:00\n张阿姨说: 你好\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "simulate", str(script)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "第 2 行" in result.stderr and result.stdout == ""


def test_a_second_run_on_the_same_database_continues(tmp_path: Path) -> None:
    """CONTRACTS §3: each run's messages are new messages, never taken for the first run's."""
    script = tmp_path / "s.txt"
    script.write_text("@clock 2026-11-23 09:00\n[网格1一家亲] 张阿姨(wx_zhang): @小助手 帮助\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'twice.db'}"
    runs = [subprocess.run([sys.executable, "-m", "bot.cli", "simulate", str(script), "--db", db],
                           capture_output=True, text=True, timeout=120) for _ in range(2)]
    assert [len(r.stdout.splitlines()) for r in runs] == [1, 1], [r.stderr for r in runs]
