"""The deployment kit. There is no Docker engine here (only a client), so the image is not built: the
Dockerfile passes hadolint and has what the service needs, compose.yaml parses and has health checks, the
systemd units pass `systemd-analyze verify`, the alert rules name real metrics, the docs name real commands."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kernel import metrics
from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")
    proc = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_has_what_the_service_needs() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.11")
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and user[-1] not in ("USER root", "USER 0")
    assert any(line.startswith("HEALTHCHECK") for line in instructions) and "/healthz" in "\n".join(lines)
    assert 'ENTRYPOINT ["gridbot"]' in instructions and any(line.startswith("EXPOSE 8080") for line in instructions)
    assert 'VOLUME ["/data"]' in instructions
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in ignored and "data" in ignored       # no virtualenv or residents' data in the image


def test_compose_file_runs_gridbot_and_postgresql_with_health_checks() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"gridbot", "postgres"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped"
        assert service["logging"]["options"]["max-size"]           # logs rotate
    app, db = services["gridbot"], services["postgres"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert app["environment"]["GRIDBOT_DATABASE_URL"].startswith("postgresql://gridbot:")
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])       # only the reverse proxy is public
    assert {v.split(":")[0] for v in app["volumes"] + db["volumes"]} >= {"gridbot-data", "pgdata"}
    assert set(compose["volumes"]) == {"gridbot-data", "pgdata"}
    assert "${POSTGRES_PASSWORD:?" in db["environment"]["POSTGRES_PASSWORD"]   # no default password


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is part of Debian's systemd")
def test_systemd_units_verify(tmp_path: Path) -> None:
    gridbot = shutil.which("gridbot") or str(Path(__import__("sys").executable).parent / "gridbot")
    units = []
    for unit in ("gridbot.service", "gridbot-backup.service", "gridbot-backup.timer"):
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        # verify checks that ExecStart exists: point it at this checkout's gridbot.
        (tmp_path / unit).write_text(text.replace("/opt/gridbot/.venv/bin/gridbot", gridbot), encoding="utf-8")
        units.append(str(tmp_path / unit))
    proc = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, cwd=tmp_path)
    # verify exits 0 on unknown keys too; it warns on standard error. Nothing at all is the pass.
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr
    service = (DEPLOY / "gridbot.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/gridbot/.venv/bin/gridbot run" in service and "Restart=on-failure" in service


def test_alert_rules_name_metrics_gridbot_exports() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text(encoding="utf-8"))["groups"][0]["rules"]
    exported = {m.name for m in metrics.REGISTRY.collect()}
    for rule in rules:
        for name in re.findall(r"\b(gridbot_[a-z_]+)", rule["expr"]):
            base = name.removesuffix("_total")
            assert base in exported or name in exported, (rule["alert"], name)
    assert any("gridbot_channel_up == 0" in rule["expr"] for rule in rules)


def test_operations_guide_names_only_real_commands() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    code = re.sub(r"#.*", "", "\n".join(blocks + inline))        # not the comments in the examples
    commands = set(build_parser()._subparsers._group_actions[0].choices)   # type: ignore[union-attr]
    # "exec gridbot gridbot backup": the first gridbot is the compose service.
    used = {w for w in re.findall(r"(?<![-/\w])gridbot (?:-v )?([a-z][a-z-]+)", code) if not w.startswith("gridbot")}
    assert used and not used - commands, used - commands
    for needed in ("backup", "restore", "user", "invite", "migrate", "check-config", "run", "demo"):
        assert needed in used, needed


def test_license_and_example_config() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert "CONTRACTS" not in example
    assert "base_url" in example and "GRIDBOT_DATABASE_URL" in example
