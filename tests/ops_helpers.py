"""Running the real `gridbot` command in a subprocess, for the operations tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRIDBOT = [sys.executable, "-m", "bot.cli"]


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("WECHATY_PUPPET_SERVICE_ENDPOINT", "WECHATY_PUPPET_SERVICE_TOKEN", "GRIDBOT_METRICS_TOKEN",
                         "GRIDBOT_LOG_FORMAT", "GRIDBOT_DATABASE_URL", "WECOM_BOT_ID", "WECOM_BOT_SECRET")}
    base.setdefault("GRIDBOT_CACHE_DIR", str(ROOT / ".cache"))
    base["PYTHONPATH"] = str(ROOT)
    return {**base, **extra}


def gridbot(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 120, **extra_env: str
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRIDBOT, *args], cwd=cwd, env=env(**extra_env), input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def start(*args: str, cwd: Path, **extra_env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*GRIDBOT, *args], cwd=cwd, env=env(**extra_env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_fault(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2, no traceback, and the paragraph's key words on stderr."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out, out
    for word in words:
        assert word in proc.stderr, f"{word!r} not in: {proc.stderr}"
