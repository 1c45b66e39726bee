"""Config validation: an operator's typo is named with its key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from kernel.config import ConfigError, parse_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "config.example.toml").read_text(encoding="utf-8")


def _line(prefix: str) -> int:
    return next(i for i, line in enumerate(EXAMPLE.splitlines(), 1) if line.startswith(prefix))


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("bad.toml"))
    return info.value


def test_demo_community_is_complete(config) -> None:
    assert config.community == "锦城社区" and config.bot_name == "小助手" and config.bot_id == "wx_bot"
    assert str(config.timezone) == "Asia/Shanghai"
    assert [g.group for g in config.grids] == ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
    assert config.grid_of_building(3).number == 1 and config.grid_of_building(8).number == 2
    assert config.grid_of_building(15).number == 3 and config.grid_of_building(16) is None
    assert {w.name: w.id for w in config.workers} == {"王网格员": "wx_wang", "赵网格员": "wx_zhao", "孙网格员": "wx_sun"}
    assert config.admins[0].id == "wx_li" and config.staff_group == "锦城社区工作群"
    assert {d.name: d.contact_id for d in config.departments} == {
        "城管科": "wx_cg", "民政科": "wx_mz", "综治办": "wx_zz", "司法所": "wx_sf"}
    rooms = {r.name: r for r in config.rooms}
    assert set(rooms) == {"钢琴房", "自习室", "乒乓球室", "会议室", "亲子活动室", "健身房", "多功能厅", "书画室",
                          "青年创客坊", "瑜伽室"}
    assert rooms["钢琴房"].capacity == 1 and rooms["自习室"].capacity == 20 and rooms["自习室"].per_seat


def test_missing_time_zone_names_the_key_and_line() -> None:
    err = _error(EXAMPLE.replace('timezone = "Asia/Shanghai"\n', ""))
    assert err.key == "community.timezone" and "缺少" in str(err) and err.line == _line("[community]")


def test_unknown_time_zone() -> None:
    err = _error(EXAMPLE.replace("Asia/Shanghai", "Asia/Beijing"))
    assert err.key == "community.timezone" and "Asia/Beijing" in str(err) and err.line == _line("timezone =")


def test_duplicate_group_topic_points_at_the_second_grid() -> None:
    err = _error(EXAMPLE.replace('group = "网格2一家亲"', 'group = "网格1一家亲"'))
    assert err.key == "grids[1].group" and "重复" in str(err)
    assert EXAMPLE.splitlines()[err.line - 1].startswith("group = ")


def test_grid_worker_must_exist() -> None:
    err = _error(EXAMPLE.replace('worker = "wx_sun"', 'worker = "wx_nobody"'))
    assert err.key == "grids[2].worker" and "wx_nobody" in str(err)


def test_duplicate_room_alias_and_bad_hours() -> None:
    err = _error(EXAMPLE.replace('aliases = ["乒乓室", "乒乓球"]', 'aliases = ["琴房"]'))
    assert err.key == "rooms[2].aliases" and "琴房" in str(err)
    err = _error(EXAMPLE.replace('open = "06:30-21:30"', 'open = "早上6点半"'))
    assert err.key == "rooms[5].open" and "08:30-21:30" in str(err)


def test_unknown_key_and_syntax_error() -> None:
    err = _error(EXAMPLE.replace("capacity = 80", "capacity = 80\ncolour = 'red'"))
    assert err.key == "rooms[6].colour" and "未知" in str(err)
    err = _error(EXAMPLE.replace('[community]', '[community'))
    assert err.key == "(syntax)" and err.line is not None


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "config.example.toml")]) == 0
    assert "配置正确" in capsys.readouterr().out
    bad = tmp_path / "c.toml"
    bad.write_text(EXAMPLE.replace("capacity = 20\nper_seat", "capacity = 0\nper_seat"), encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "rooms[1].capacity" in err and f"{bad}:" in err


def test_quiet_hours_and_base_url_are_read() -> None:
    text = EXAMPLE.replace('quiet_hours = "21:30-08:00"', 'quiet_hours = "22:00-07:30"')
    text = text.replace('port = 8080', 'port = 8080\nbase_url = "https://bot.example.org/"')
    cfg = parse_config(text, Path("c.toml"))
    assert str(cfg.quiet_hours) == "22:00-07:30" and cfg.web_base_url == "https://bot.example.org"
    err = _error(EXAMPLE.replace('quiet_hours = "21:30-08:00"', 'quiet_hours = "晚上"'))
    assert "quiet_hours" in err.key
