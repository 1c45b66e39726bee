"""The operator's command line: web accounts, invite codes, read commands on a database that is not there,
simulate's progress, backup and restore, and the holiday calendar beyond the packaged years."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from bot import backup as B
from bot.faults import OperatorError
from kernel.calendar_cn import LAST_PACKAGED_YEAR, calendar_for, missing_years
from kernel.config import Config, parse_config
from tests.ops_helpers import ROOT, assert_fault, gridbot

PASSWORD = "long-enough-pw"
SCRIPT = """@clock 2026-11-23 09:00
[网格1一家亲] 张阿姨(wx_zhang): @小助手 3栋电梯又坏了
[网格2一家亲] 马大爷(wx_ma): @小助手 8栋楼道灯不亮
"""


LATER = """@clock 2026-11-24 10:00
[网格3一家亲] 孙阿姨(wx_sunayi): @小助手 12栋下水道堵了
[网格3一家亲] 钱叔(wx_qian): @小助手 14栋门禁坏了
"""


def _simulate(tmp_path: Path, db: Path, text: str = SCRIPT) -> None:
    script = tmp_path / "s.txt"
    script.write_text(text, encoding="utf-8")
    proc = gridbot("simulate", str(script), "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def _needs(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM needs").fetchone()[0])


# ---------------------------------------------------------------- accounts

def test_user_subcommands_with_db_and_config(tmp_path: Path) -> None:
    db = str(tmp_path / "u.db")
    config = str(ROOT / "config.example.toml")
    added = gridbot("user", "add", "wang", "worker", "1", "--name", "王网格员", "--password-stdin", "--db", db,
                    "--config", config, cwd=tmp_path, stdin=PASSWORD + "\n")
    assert added.returncode == 0 and "wang" in added.stdout, added.stderr
    listed = gridbot("user", "list", "--db", db, cwd=tmp_path)
    assert listed.stdout.split("\t")[:3] == ["wang", "worker", "1"]
    token = gridbot("user", "token", "wang", "--db", db, cwd=tmp_path)
    assert token.returncode == 0 and len(token.stdout.splitlines()[0]) >= 30
    assert gridbot("user", "disable", "wang", "--db", db, cwd=tmp_path).returncode == 0
    assert "disabled" in gridbot("user", "list", "--db", db, cwd=tmp_path).stdout
    refused = gridbot("user", "token", "wang", "--db", db, cwd=tmp_path)       # a disabled account gets none
    assert refused.returncode == 2 and "没有用户 wang" in refused.stderr
    assert gridbot("user", "enable", "wang", "--db", db, cwd=tmp_path).returncode == 0
    weak = gridbot("user", "passwd", "wang", "--password-stdin", "--db", db, cwd=tmp_path, stdin="short\n")
    assert weak.returncode == 2 and "至少" in weak.stderr
    bad_grid = gridbot("user", "add", "x9", "worker", "9", "--password-stdin", "--db", db, cwd=tmp_path,
                       stdin=PASSWORD + "\n")
    assert bad_grid.returncode == 2 and "找不到 '9'" in bad_grid.stderr


def test_read_commands_refuse_a_database_that_is_not_there(tmp_path: Path) -> None:
    typo = tmp_path / "gridbto.db"
    for args in (["export", "needs"], ["user", "list"], ["survey", "list"], ["backup"]):
        proc = gridbot(*args, "--db", str(typo), cwd=tmp_path)
        assert_fault(proc, "不存在", str(typo), "does not exist")
    assert not typo.exists()


# ---------------------------------------------------------------- invite codes

def test_invite_checks_the_grid_or_department(tmp_path: Path) -> None:
    db = str(tmp_path / "i.db")
    proc = gridbot("invite", "worker", "新网格员", "--ref", "9", "--db", db, cwd=tmp_path)
    assert_fault(proc, "没有网格 9", "1, 2, 3", "There is no grid 9")
    proc = gridbot("invite", "worker", "新网格员", "--db", db, cwd=tmp_path)
    assert_fault(proc, "--ref")
    proc = gridbot("invite", "department", "张三", "--ref", "水务科", "--db", db, cwd=tmp_path)
    assert_fault(proc, "没有科室 水务科", "城管科")
    ok = gridbot("invite", "department", "城管科", "--db", db, cwd=tmp_path)
    assert ok.returncode == 0 and "绑定" in ok.stdout
    ok = gridbot("invite", "worker", "新网格员", "--ref", "2", "--db", db, cwd=tmp_path)
    code = ok.stdout.split("invite code: ")[1].split()[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT role, ref FROM invites WHERE code = ?", (code,)).fetchone() == ("worker", "2")


# ---------------------------------------------------------------- simulate

def test_long_simulate_runs_report_progress_on_stderr_only(tmp_path: Path) -> None:
    script = tmp_path / "long.txt"
    script.write_text(SCRIPT + "@advance 3h\n", encoding="utf-8")
    proc = gridbot("simulate", str(script), "--progress", "0.2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert all(json.loads(line)["text"] for line in proc.stdout.splitlines())     # stdout: JSON lines only
    progress = [line for line in proc.stderr.splitlines() if line.startswith("模拟中 / simulating")]
    assert progress and "→ 2026-11-23 12:00" in progress[-1]
    assert "gridbot-sim-" in proc.stderr                   # without --db: a fresh temporary database


def test_simulate_progress_reporter_waits_between_lines() -> None:
    import io

    from bot.simulate import Progress, ProgressReporter

    ticks = iter([0.0, 1.0, 2.5, 3.0, 6.0])
    out = io.StringIO()
    report = ProgressReporter(out, 2.0, monotonic=lambda: next(ticks))
    at = datetime(2026, 11, 23, 9, 0)
    for _ in range(4):
        report(Progress(3, 1, 5, at, None))
    assert len(out.getvalue().splitlines()) == 2              # at 2.5 s and at 6 s, not at 1 s nor 3 s


# ---------------------------------------------------------------- backup and restore (SQLite)

def test_backup_while_writing_then_restore(tmp_path: Path) -> None:
    db = tmp_path / "data" / "gridbot.db"
    db.parent.mkdir()
    _simulate(tmp_path, db)
    assert _needs(db) == 2

    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:                     # another process's writes while the backup runs
        conn = sqlite3.connect(db, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS churn (n INTEGER)")
        n = 0
        while not stop.is_set():
            n += 1
            conn.execute("INSERT INTO churn VALUES (?)", (n,))
            conn.commit()
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:
            time.sleep(0.01)
        out = tmp_path / "backups" / "b1.tar.gz"
        proc = gridbot("backup", "--db", str(db), "--out", str(out), cwd=tmp_path)
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0 and str(out) in proc.stdout, proc.stderr

    _simulate(tmp_path, db, LATER)            # life goes on after the backup: two more needs
    assert _needs(db) == 4
    restored = gridbot("restore", str(out), "--db", str(db), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert _needs(db) == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        churn = [r[0] for r in conn.execute("SELECT n FROM churn ORDER BY n")]
    assert churn == list(range(1, len(churn) + 1))            # a consistent prefix of the writer's rows
    kept = list(db.parent.glob("gridbot.db.before-restore-*"))
    assert len(kept) == 1 and _needs(kept[0]) == 4            # the replaced database is kept, whole


def test_restore_refuses_while_a_service_uses_the_database(tmp_path: Path) -> None:
    db = tmp_path / "gridbot.db"
    _simulate(tmp_path, db)
    out = tmp_path / "b.tar.gz"
    assert gridbot("backup", "--db", str(db), "--out", str(out), cwd=tmp_path).returncode == 0
    with B.service_lock(f"sqlite:///{db}"):
        proc = gridbot("restore", str(out), "--db", str(db), cwd=tmp_path)
    assert_fault(proc, "正在使用", "systemctl stop gridbot", "Stop the service first")
    assert not list(tmp_path.glob("gridbot.db.before-restore-*"))


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(os.urandom(2000))
    proc = gridbot("restore", str(junk), "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert_fault(proc, "不是可用的 gridbot 备份", "not a usable gridbot backup")


def test_backup_carries_data_directories_as_one_more_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, data = tmp_path / "gridbot.db", tmp_path / "data"
    _simulate(tmp_path, db)
    (data / "photos" / "2026").mkdir(parents=True)
    (data / "photos" / "2026" / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    monkeypatch.setattr(B, "FILE_DIRS", ("photos",))
    now = datetime(2026, 12, 1, 9, 0)
    result = B.backup(f"sqlite:///{db}", tmp_path / "b.tar.gz", data, now)
    assert "files/photos" in result.what
    (data / "photos" / "2026" / "a.jpg").write_bytes(b"changed")
    B.restore(result.path, f"sqlite:///{db}", data, now)
    assert (data / "photos" / "2026" / "a.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert (data / "photos.before-restore-20261201-090000" / "2026" / "a.jpg").read_bytes() == b"changed"
    with pytest.raises(OperatorError, match="same kind of database"):    # a SQLite backup does not go into PostgreSQL
        B.restore(result.path, "postgresql://x@127.0.0.1:1/x", data, now)


@pytest.mark.skipif(os.environ.get("GRIDBOT_TEST_PG") != "1", reason="PostgreSQL runs in CI (GRIDBOT_TEST_PG=1)")
def test_postgresql_backup_and_restore_with_pg_dump(tmp_path: Path) -> None:
    import asyncio

    from tests.conftest import _drop_pg_database, _pg_database

    name, url = asyncio.run(_pg_database())
    try:
        script = tmp_path / "s.txt"
        script.write_text(SCRIPT, encoding="utf-8")
        assert gridbot("simulate", str(script), "--db", url, cwd=tmp_path).returncode == 0
        out = tmp_path / "pg.tar.gz"
        proc = gridbot("backup", "--db", url, "--out", str(out), cwd=tmp_path)
        assert proc.returncode == 0 and "PostgreSQL" in proc.stdout, proc.stderr
        assert gridbot("simulate", str(script), "--db", url, cwd=tmp_path).returncode == 0
        restored = gridbot("restore", str(out), "--db", url, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        exported = gridbot("export", "needs", "--db", url, cwd=tmp_path)
        assert len(json.loads(exported.stdout)) == 2
    finally:
        asyncio.run(_drop_pg_database(name))


# ---------------------------------------------------------------- holidays beyond the package

def _with_pushes(config: Config, pushes: str) -> Config:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    head, sep, tail = text.partition("[pushes]")
    assert sep, "the example config has a [pushes] section"
    # the example lists holidays/workdays (empty): drop them, the test's own lines replace them
    tail = re.sub(r"(?m)^(holidays|workdays) = .*\n", "", tail, count=2)
    return parse_config(head + "[pushes]\n" + pushes + "\n" + tail, config.path)


def test_holidays_beyond_the_package_come_from_the_config(config: Config) -> None:
    year = LAST_PACKAGED_YEAR + 1
    zone = config.timezone
    assert missing_years(config, datetime(year, 3, 1, tzinfo=zone)) == [year]               # loud: this year
    assert missing_years(config, datetime(year - 1, 12, 3, tzinfo=zone)) == [year]          # notice in December
    assert missing_years(config, datetime(year - 1, 6, 1, tzinfo=zone)) == []
    listed = _with_pushes(config, f'holidays = ["{year}-02-06", "{year}-02-07", "{year}-02-08"]\n'
                                  f'workdays = ["{year}-02-14"]')
    assert missing_years(listed, datetime(year, 3, 1, tzinfo=zone)) == []
    cal = calendar_for(listed)
    assert not cal.is_workday(date(year, 2, 8)) and cal.day(date(year, 2, 8)).holiday == "节假日"
    assert cal.is_workday(date(year, 2, 14)) == (True)                                          # a 调休 Sunday
