"""Cold start of `gridbot run`: seconds from spawning the process to a healthy /healthz (issue 16, ≤ 2 s).

Each run starts the real service (`python -m bot.cli run`) with the example config (the built-in gateway
simulator as its channel) on a fresh SQLite file, or on one an earlier start already migrated, polls
/healthz every 10 ms and stops it with SIGTERM. `--tree DIR` runs another checkout (e.g. a worktree of main)
with this interpreter, and `--tree` may be given twice: the runs then alternate between the trees, so a
loaded machine slows both alike. `--phases` adds the breakdown: the CPU and wall time of each start-up step
run one after another in a fresh process (imports, config, migrations, jieba, the classifier model, the
channel connect); the service overlaps some of them, so they sum to more than the start.

    .venv/bin/python scripts/bench_coldstart.py --runs 5 --phases
    .venv/bin/python scripts/bench_coldstart.py --tree /tmp/main-base --tree . --runs 5

Prints one JSON object per tree: median, min and max seconds to listening and to healthy, the CPU seconds
the service had used when it was healthy (what a loaded machine changes least), and the load. Bytecode is
cached (outside the tree) as an installed package has it; the first start of each tree, which writes it,
is not counted. jieba's and the classifier's caches in GRIDBOT_CACHE_DIR are used as a deployment has them
from its second start on."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_env(tree: Path) -> dict[str, str]:
    """Run `tree`'s code with bytecode cached as an installed package has it (pip compiles at install; this
    machine's PYTHONDONTWRITEBYTECODE would compile every project module on every start), outside the tree."""
    env = dict(os.environ, PYTHONPATH=str(tree),
               PYTHONPYCACHEPREFIX=str(Path(tempfile.gettempdir()) / "gridbot-coldstart-pycache" / tree.name))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def start_once(tree: Path, db: Path, python: str) -> tuple[float, float, float]:
    """(seconds to "listening", seconds to /healthz 200, CPU seconds used by then) of one start of
    `gridbot run` from `tree`."""
    env = tree_env(tree)
    cmd = [python, "-m", "bot.cli", "run", "--config", str(tree / "config.example.toml"),
           "--db", f"sqlite:///{db}", "--port", "0"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        assert proc.stderr is not None
        for line in proc.stderr:               # the listening line comes before the gateway connect
            if "http://" in line and "/ ;" in line:
                url = line.split("http://", 1)[1].split("/", 1)[0]
                break
        if url is None:
            raise RuntimeError(f"{tree}: the service exited before listening (code {proc.wait()})")
        listening = time.perf_counter() - t0
        while True:
            try:
                with urllib.request.urlopen(f"http://{url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return listening, time.perf_counter() - t0, cpu_seconds(proc.pid)
            except urllib.error.HTTPError:     # 503 while the channel connects
                pass
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise RuntimeError(f"{tree}: /healthz not ok after {TIMEOUT_S} s")
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


PHASES = r'''
import asyncio, json, os, sys, tempfile, time
from pathlib import Path

out = {}
def step(name, fn):
    c, w = time.process_time(), time.perf_counter()
    result = fn()
    out[name] = {"cpu_s": round(time.process_time() - c, 3), "wall_s": round(time.perf_counter() - w, 3)}
    return result

step("imports: classifier (lexicons + model)", lambda: __import__("kernel.text.classify"))
step("imports: the rest of bot.cli, bot.service", lambda: (__import__("bot.cli"), __import__("bot.service")))
from kernel.text import linear
step("model: linear.load() again (the parsed cache where there is one)", linear.load)
from bot.cli import _load
config = step("config", lambda: _load(Path(sys.argv[1])))
from bot.app import migrate_database
url = f"sqlite+aiosqlite:///{sys.argv[2]}"          # migrated by an earlier process: alembic not yet imported
import bot.service
if hasattr(bot.service, "schema_at_head"):   # this version skips alembic when the check says "at head"
    step("migrations: at-head check, no alembic", lambda: asyncio.run(bot.service.schema_at_head(url)))
step("migrations: alembic, already at head", lambda: asyncio.run(migrate_database(url)))
fresh = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='gridbot-phases-')) / 'gridbot.db'}"
step("migrations: fresh database", lambda: asyncio.run(migrate_database(fresh)))
from kernel.text.jieba_setup import warm_up
step("jieba: dictionary + user dictionary", warm_up)

async def connect():
    from bot.app import open_core
    from bot.service import Running, choose_channel
    core = await open_core(config, url, run_migrations=False, warm_up=False)
    running = Running(core)
    c, w = time.process_time(), time.perf_counter()
    channel, _ = await choose_channel(config, core, running, demo=False, demo_channel="wechaty")
    core.attach_channel(channel)
    await channel.start(lambda msg: asyncio.sleep(0))
    while not channel.is_ready():
        await asyncio.sleep(0.005)
    out["channel: simulator + wechaty connect"] = {"cpu_s": round(time.process_time() - c, 3),
                                                   "wall_s": round(time.perf_counter() - w, 3)}
    print(json.dumps(out), flush=True)
    os._exit(0)          # measured; the way down is not
asyncio.run(connect())
'''


def phases(tree: Path, python: str) -> dict[str, object]:
    env = tree_env(tree)
    db = Path(tempfile.mkdtemp(prefix="gridbot-phases-")) / "gridbot.db"
    subprocess.run([python, "-m", "bot.cli", "migrate", "--config", str(tree / "config.example.toml"),
                    "--db", f"sqlite:///{db}"], cwd=tree, env=env, capture_output=True, check=True)
    done = subprocess.run([python, "-c", PHASES, str(tree / "config.example.toml"), str(db)], cwd=tree, env=env,
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path,
                        help="checkout to run (default: this one); twice to alternate")
    parser.add_argument("--runs", type=int, default=5, help="starts per tree and database state")
    parser.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    parser.add_argument("--phases", action="store_true", help="also print the start-up steps one by one")
    args = parser.parse_args(argv)
    trees = [t.resolve() for t in (args.tree or [ROOT])]
    results: dict[Path, dict[str, list[float]]] = {t: {} for t in trees}
    loads = []
    for tree in trees:                              # untimed: writes the bytecode cache
        start_once(tree, Path(tempfile.mkdtemp(prefix="gridbot-coldstart-")) / "gridbot.db", args.python)
    for _ in range(args.runs):
        for tree in trees:
            loads.append(os.getloadavg()[0])
            tmp = Path(tempfile.mkdtemp(prefix="gridbot-coldstart-"))
            db = tmp / "gridbot.db"
            for state in ("fresh", "migrated"):     # the second start finds the schema at head
                listening, healthy, cpu = start_once(tree, db, args.python)
                results[tree].setdefault(f"{state}_listening_s", []).append(listening)
                results[tree].setdefault(f"{state}_healthy_s", []).append(healthy)
                results[tree].setdefault(f"{state}_cpu_s", []).append(cpu)
    for tree in trees:
        report: dict[str, object] = {"tree": str(tree), "runs": args.runs}
        report |= {key: summary(values) for key, values in results[tree].items()}
        report["load_1min"] = summary(loads)
        print(json.dumps(report, ensure_ascii=False), flush=True)
    if args.phases:
        for tree in trees:
            print(json.dumps({"tree": str(tree), "phases": phases(tree, args.python)}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
