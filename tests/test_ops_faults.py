"""Start-up and runtime faults, as an operator meets them: the real `gridbot` command in a subprocess says
one paragraph (what, why, what to do) in Chinese and English, exits 2, and shows no traceback unless -v."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops_helpers import ROOT, assert_fault, env, free_port, gridbot


def test_migrate_on_an_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be", encoding="utf-8")
    proc = gridbot("migrate", "--db", f"sqlite:///{blocker}/gridbot.db", cwd=tmp_path)
    assert_fault(proc, "无法打开或创建 SQLite 数据库", "not writable", str(blocker / "gridbot.db"))


def test_verbose_adds_the_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    proc = gridbot("-v", "migrate", "--db", f"sqlite:///{blocker}/gridbot.db", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" in proc.stderr and "无法打开或创建 SQLite 数据库" in proc.stderr


def test_a_mysql_url(tmp_path: Path) -> None:
    proc = gridbot("migrate", "--db", "mysql://grid:secret@db.example/gridbot", cwd=tmp_path)
    assert_fault(proc, "不支持的数据库地址", "SQLite", "PostgreSQL", "Unsupported database URL")
    assert "secret" not in proc.stderr            # the password is never echoed


def test_a_refused_postgresql(tmp_path: Path) -> None:
    port = free_port()                            # nothing listens there
    proc = gridbot("migrate", "--db", f"postgresql://gridbot:pw@127.0.0.1:{port}/gridbot", cwd=tmp_path)
    assert_fault(proc, "连不上 PostgreSQL", f"127.0.0.1:{port}", "pg_isready", "Cannot connect to PostgreSQL")
    assert ":pw@" not in proc.stderr


def test_demo_on_a_busy_port(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        proc = gridbot("demo", "--port", str(port), "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
    assert_fault(proc, f"127.0.0.1:{port} 已被占用", "--port 0", "already in use")


def test_an_unreachable_gateway_at_start_names_the_port_first(tmp_path: Path) -> None:
    port = free_port()
    proc = gridbot("run", "--port", "0", "--db", str(tmp_path / "run.db"), cwd=tmp_path, timeout=150,
                   WECHATY_PUPPET_SERVICE_ENDPOINT=f"127.0.0.1:{port}", WECHATY_PUPPET_SERVICE_TOKEN="tok")
    assert_fault(proc, "连不上微信网关", f"127.0.0.1:{port}", "Cannot reach the WeChat gateway")
    listening = [line for line in proc.stderr.splitlines() if "web server listening on http://127.0.0.1:" in line]
    assert listening and not listening[0].split("127.0.0.1:")[1].startswith("0/")   # --port 0: the real port


def test_a_config_that_is_not_utf8(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes(text.encode("gbk", errors="replace"))
    for args in (["check-config", str(bad)], ["run", "--config", str(bad), "--port", "0"]):
        proc = gridbot(*args, cwd=tmp_path)
        assert_fault(proc, "不是 UTF-8 编码", "iconv", "not UTF-8", str(bad))


def test_a_missing_config(tmp_path: Path) -> None:
    proc = gridbot("run", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert_fault(proc, "找不到配置文件", "config.example.toml", "--config")


def test_ctrl_c_during_a_scheduler_tick(tmp_path: Path) -> None:
    """The service is in the middle of a tick (a job holds its transaction open) when Ctrl-C comes."""
    mark = tmp_path / "tick.mark"
    gateway = subprocess.Popen([sys.executable, "-c", _GATEWAY], cwd=ROOT, env=env(), stdout=subprocess.PIPE, text=True)
    try:
        endpoint = gateway.stdout.readline().strip()          # type: ignore[union-attr]
        proc = subprocess.Popen([sys.executable, "-m", "tests.slow_tick_run", "run", "--port", "0", "--db",
                                 str(tmp_path / "tick.db")], cwd=ROOT,
                                env=env(WECHATY_PUPPET_SERVICE_ENDPOINT=endpoint, WECHATY_PUPPET_SERVICE_TOKEN="tok",
                                        GRIDBOT_TEST_TICK_MARK=str(mark)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while not mark.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert mark.exists(), proc.communicate(timeout=10)
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - pressed
    finally:
        gateway.kill()
        gateway.wait()
    assert "Traceback" not in out + err, err
    assert proc.returncode == 0, err
    assert "已停止" in err and "stopped" in err
    assert took < 15, f"took {took:.1f}s to stop"     # the job would hold it for 60 s


_GATEWAY = """
import asyncio
from bot.channels.gateway_sim import GatewaySimulator
from bot.service import sim_community
from kernel.config import load_config, default_config_path

async def main():
    sim = GatewaySimulator(sim_community(load_config(default_config_path())), token="tok")
    await sim.start("127.0.0.1", 0)
    print(sim.endpoint, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def test_every_command_has_working_help(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from bot.cli import build_parser, main

    def commands(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
        found = [prefix]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += commands(sub, [*prefix, name])
        return found

    paths = commands(build_parser(), [])
    assert ["user", "add"] in paths and ["backup"] in paths and ["restore"] in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and out.startswith("usage: gridbot " + " ".join(path)), (path, out)
