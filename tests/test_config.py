"""Config validation: every mistake an operator can make is named with its file, line and key, in Chinese
and English, all at once; the capability sections arrive typed on Config."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, time
from pathlib import Path

import pytest

from bot.cli import main
from kernel.config import ConfigError, Problem, load_config, parse_config
from kernel.settings import BookingSettings, EventSettings, NeedsSettings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "config.example.toml").read_text(encoding="utf-8")
LINE_FORMAT = re.compile(r"^bad\.toml:\d+: [\w.\[\]()]+: \S.* / \S.*$")


def _edit(*pairs: tuple[str, str]) -> str:
    text = EXAMPLE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _line(text: str, start: str, after: int = 0) -> int:
    """The number of the first line starting with `start` (after line `after`)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if i > after and line.startswith(start))


def _errors(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("bad.toml"))
    assert all(p.path == "bad.toml" and LINE_FORMAT.match(str(p)) for p in info.value.problems), info.value
    return list(info.value.problems)


def _error(text: str, key: str) -> Problem:
    found = [p for p in _errors(text) if p.key == key]
    assert found, f"no error for {key}: {_errors(text)}"
    return found[0]


# ---------------------------------------------------------------- the demo community

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


def test_the_example_spells_out_every_default(config) -> None:
    # the example writes every key with its default: reading it gives exactly the built-in defaults
    assert (config.needs, config.booking, config.events) == (NeedsSettings(), BookingSettings(), EventSettings())
    assert config.events.remind_day_before == time(18, 0) and config.pushes.digest.cron == "0 9 * * 1"
    assert config.web.port == 8080 and config.web.base_url is None and config.sender.min_interval_s == 1.0
    assert config.surveys.answer_timeout_minutes == 120 and config.inbox.list_limit == 200
    assert config.wecom.groups["wrgrid2"] == "网格2一家亲" and config.wecom.users["zhangayi"] == "张阿姨"
    assert config.knowledge.phones["社区居委会"] and "居住证" in config.knowledge.faq[0].q
    assert config.warnings == () and "CONTRACTS" not in EXAMPLE


def test_every_section_key_is_documented_in_the_example() -> None:
    from kernel import config as C
    from kernel import settings as S

    sections = {"web": S.WebSettings, "sender": S.SenderConfig, "needs": S.NeedsSettings, "booking": S.BookingSettings,
                "events": S.EventSettings, "pushes": S.PushSettings, "surveys": S.SurveySettings,
                "inbox": S.InboxSettings, "wecom": S.WecomSettings, "knowledge": S.KnowledgeSettings,
                "rooms": C.RoomConfig, "grids": C.GridConfig, "workers": C.PersonConfig, "departments": C.DepartmentConfig}
    missing = [f"{name}.{S.rule_of(f).key or f.name}" for name, cls in sections.items() for f in dataclasses.fields(cls)
               if not re.search(rf"^\s*(#\s*|\[\[\w+\.)?{S.rule_of(f).key or f.name}\b", EXAMPLE, re.M)]
    assert missing == []


# ---------------------------------------------------------------- what must be caught

def test_a_word_where_a_number_belongs() -> None:
    text = _edit(("respond_minutes_normal = 120", 'respond_minutes_normal = "两小时"'))
    p = _error(text, "needs.respond_minutes_normal")
    assert p.line == _line(text, "respond_minutes_normal") and "两小时" in p.zh and "must be a number" in p.en


@pytest.mark.parametrize("section", ["needs", "booking", "events", "pushes", "inbox", "surveys", "sender", "web",
                                     "wecom", "knowledge", "community", "storage"])
def test_a_typo_in_any_section_is_named(section: str) -> None:
    text = _edit((f"[{section}]\n", f"[{section}]\nreminder_minuts = 30\n"))
    p = _error(text, f"{section}.reminder_minuts")
    assert p.line == _line(text, f"[{section}]") + 1 and "未知" in p.zh and "unknown key" in p.en


def test_a_typo_suggests_the_key_meant() -> None:
    p = _error(_edit(("merge_window_hours = 24", "merge_windows_hours = 24")), "needs.merge_windows_hours")
    assert "merge_window_hours" in p.zh and "did you mean 'merge_window_hours'" in p.en


def test_an_unknown_section_and_an_unknown_room_key() -> None:
    text = _edit(("[inbox]\n", "[inbx]\n"))
    assert _error(text, "inbx").line == _line(text, "[inbx]")
    text = _edit(("capacity = 80", "capacity = 80\ncolour = 'red'"))
    assert _error(text, "rooms[6].colour").line == _line(text, "colour")


def test_weekday_out_of_range() -> None:
    text = _edit(("closed_weekdays = [0]", "closed_weekdays = [9]"))
    p = _error(text, "rooms[7].closed_weekdays")
    assert p.line == _line(text, "closed_weekdays") and "9" in p.zh


def test_negative_party() -> None:
    text = _edit(("max_party = 10", "max_party = -3"))
    p = _error(text, "events.max_party")
    assert p.line == _line(text, "max_party") and "-3" in p.en


@pytest.mark.parametrize("spec", ["每周八 25:00", "每天 25:00", "0 10 1 13 *", "周一早上"])
def test_digest_schedule_is_read_with_the_push_parser(spec: str) -> None:
    text = _edit(('digest = "每周一 09:00"', f'digest = "{spec}"'))
    assert _error(text, "pushes.digest").line == _line(text, "digest")


def test_digest_can_be_changed_or_turned_off() -> None:
    assert parse_config(_edit(('digest = "每周一 09:00"', 'digest = "每周五 下午4点"')), None).pushes.digest.cron == \
        "0 16 * * 5"
    assert parse_config(_edit(('digest = "每周一 09:00"', "digest = false")), None).pushes.digest is None


def test_reversed_opening_hours_are_an_error_not_a_fully_booked_room() -> None:
    text = _edit(('open = "06:30-21:30"', 'open = "21:30-08:30"'))
    p = _error(text, "rooms[5].open")
    assert p.line == _line(text, 'open = "21:30') and "21:30-08:30" in p.zh
    text = _edit(('work_hours = "08:30-17:30"', 'work_hours = "17:30-08:30"'))
    assert _error(text, "needs.work_hours").line == _line(text, "work_hours")


def test_opening_hours_shorter_than_the_minimum_booking() -> None:
    text = _edit(('open = "08:30-21:30"\nmin_minutes = 60\nmax_minutes = 120', 'open = "08:30-09:00"\nmin_minutes = 60\nmax_minutes = 120'))
    assert "永远约不上" in _error(text, "rooms[9].open").zh


def test_overnight_quiet_and_duty_hours_stay_allowed() -> None:
    cfg = parse_config(_edit(('duty = "08:30-21:30"', 'duty = "20:00-08:00"')), None)
    assert str(cfg.workers[0].duty) == "20:00-08:00" and str(cfg.quiet_hours) == "21:30-08:00"


def test_port_out_of_range() -> None:
    text = _edit(("port = 8080", "port = 99999"))
    p = _error(text, "web.port")
    assert p.line == _line(text, "port") and "65535" in p.en


@pytest.mark.parametrize("key, old", [("min_interval_s", "1.0"), ("jitter_s", "0.6"), ("backoff_s", "2.0"),
                                      ("reply_burst", "3")])
def test_negative_intervals_are_errors(key: str, old: str) -> None:
    text = _edit((f"{key} = {old}", f"{key} = -5"))
    assert _error(text, f"sender.{key}").line == _line(text, key)


def test_an_interval_below_one_second_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _edit(("min_interval_s = 1.0", "min_interval_s = 0.3"))
    cfg = parse_config(text, Path("bad.toml"))
    assert cfg.sender.min_interval_s == 0.3
    [w] = cfg.warnings
    assert w.warning and w.key == "sender.min_interval_s" and w.line == _line(text, "min_interval_s")
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr()
    assert "配置正确" in out.out and f"{path}:{w.line}: sender.min_interval_s: 警告 / warning:" in out.err


@pytest.mark.parametrize("old, new, key", [
    ("ack_minutes = 30", "ack_minutes = 0", "departments[0].ack_minutes"),
    ("reminder_minutes = 60", "reminder_minutes = 0", "booking.reminder_minutes"),
    ("respond_minutes_urgent = 5 ", "respond_minutes_urgent = -1 ", "needs.respond_minutes_urgent"),
    ("close_after_days = 3", "close_after_days = 0", "needs.close_after_days"),
    ("roster_minutes = 10", "roster_minutes = 0", "events.roster_minutes"),
    ("answer_timeout_minutes = 120", "answer_timeout_minutes = -30", "surveys.answer_timeout_minutes"),
    ("min_minutes = 30", "min_minutes = 0", "rooms[0].min_minutes"),
    ("buffer_minutes = 10", "buffer_minutes = -10", "rooms[0].buffer_minutes"),
])
def test_zero_or_negative_durations(old: str, new: str, key: str) -> None:
    text = _edit((old, new))
    assert _error(text, key).line == _line(text, new.split(" =")[0])


def test_references_to_grids_and_groups_that_do_not_exist() -> None:
    text = _edit(("grid = 3\n", "grid = 7\n"))
    p = _error(text, "workers[2].grid")
    assert p.line == _line(text, "grid = 7") and "网格7" in p.zh
    text = _edit(('worker = "wx_sun"', 'worker = "wx_nobody"'))
    assert "wx_nobody" in _error(text, "grids[2].worker").zh
    text = _edit(('wrgrid3 = "网格3一家亲"', 'wrgrid3 = "网格9一家亲"'))
    p = _error(text, "wecom.groups.wrgrid3")
    assert p.line == _line(text, "groups =") and "网格9一家亲" in p.zh


def test_duplicate_ids_names_and_numbers() -> None:
    text = _edit(('id = "wx_ma"', 'id = "wx_zhang"'))
    p = _error(text, "residents[1].id")
    assert p.line == _line(text, 'id = "wx_zhang"', after=_line(text, 'id = "wx_zhang"')) and "residents[0].id" in p.zh
    text = _edit(("number = 3", "number = 2"))
    assert _error(text, "grids[2].number").line == _line(text, "number = 2", after=_line(text, "number = 2"))
    text = _edit(('name = "综治办"', 'name = "城管科"'))
    assert _error(text, "departments[2].name")
    text = _edit(('group = "网格2一家亲"', 'group = "网格1一家亲"'))
    assert _error(text, "grids[1].group").line == _line(text, 'group = "网格1一家亲"', after=_line(text, "group ="))
    text = _edit(('aliases = ["乒乓室", "乒乓球"]', 'aliases = ["琴房"]'))
    assert "琴房" in _error(text, "rooms[2].aliases").zh
    text = _edit(('q = ["开证明", "居住证明", "开个证明"]', 'q = ["开证明", "居住证"]'))
    assert _error(text, "knowledge.faq[2].q").line == _line(text, 'q = ["开证明"')


def test_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(EXAMPLE.encode("gb18030"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    first_chinese = next(i for i, line in enumerate(EXAMPLE.splitlines(), 1) if re.search(r"[\u4e00-\u9fff]", line))
    assert info.value.key == "(encoding)" and info.value.line == first_chinese and "UTF-8" in info.value.zh
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{first_chinese}: (encoding):" in err and "Traceback" not in err


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(EXAMPLE.encode("utf-8-sig"))
    assert load_config(path).community == "锦城社区"


def test_toml_syntax_error_names_the_line() -> None:
    text = _edit(("[community]", "[community"))
    [p] = _errors(text)
    assert p.key == "(syntax)" and p.line == _line(text, "[community")


def test_missing_required_keys_point_at_their_table() -> None:
    text = _edit(('timezone = "Asia/Shanghai"', ""))
    p = _error(text, "community.timezone")
    assert "缺少" in p.zh and p.line == _line(text, "[community]")
    text = _edit(("Asia/Shanghai", "Asia/Beijing"))
    p = _error(text, "community.timezone")
    assert "Asia/Beijing" in p.zh and p.line == _line(text, "timezone =")


def test_several_mistakes_are_all_listed_in_file_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _edit(("port = 8080", "port = 99999"), ("min_interval_s = 1.0", "min_interval_s = -5"),
                 ("grid = 3\n", "grid = 7\n"), ('open = "06:30-21:30"', 'open = "21:30-08:30"'),
                 ("closed_weekdays = [0]", "closed_weekdays = [9]"),
                 ("respond_minutes_normal = 120", 'respond_minutes_normal = "两小时"'),
                 ("merge_window_hours = 24", "merge_windows_hours = 24"), ("max_party = 10", "max_party = -3"),
                 ('digest = "每周一 09:00"', 'digest = "每周八 25:00"'),
                 ("answer_timeout_minutes = 120", "answer_timeout = 120"), ("list_limit = 200", "list_limt = 200"))
    keys = ["web.port", "sender.min_interval_s", "workers[2].grid", "rooms[5].open", "rooms[7].closed_weekdays",
            "needs.respond_minutes_normal", "needs.merge_windows_hours", "events.max_party", "pushes.digest",
            "surveys.answer_timeout", "inbox.list_limt"]
    assert [p.key for p in _errors(text)] == keys
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["check-config", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1] for line in lines[:len(keys)]] == keys
    assert all(line.startswith(f"{path}:") and " / " in line for line in lines[:len(keys)])
    assert "11" in lines[-1]


def test_check_config_passes_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "config.example.toml")]) == 0
    out = capsys.readouterr()
    assert "配置正确" in out.out and out.err == ""


# ---------------------------------------------------------------- typed values

def test_documented_aliases_still_work_but_not_twice() -> None:
    cfg = parse_config(_edit(("respond_minutes_urgent = 5 ", "urgent_response_minutes = 10 ")), None)
    assert cfg.needs.respond_minutes_urgent == 10
    text = _edit(("respond_minutes_urgent = 5 ", "respond_minutes_urgent = 5\nurgent_response_minutes = 10 "))
    assert _error(text, "needs.urgent_response_minutes").line == _line(text, "urgent_response_minutes")


def test_quiet_hours_base_url_and_holidays_are_read() -> None:
    text = _edit(('quiet_hours = "21:30-08:00"', 'quiet_hours = "22:00-07:30"'),
                 ('base_url = ""', 'base_url = "https://bot.example.org/"'),
                 ("holidays = []", 'holidays = ["2027-02-05", 2027-02-06]'))
    cfg = parse_config(text, Path("c.toml"))
    assert str(cfg.quiet_hours) == "22:00-07:30" and cfg.web.base_url == "https://bot.example.org"
    assert cfg.pushes.holidays == {date(2027, 2, 5), date(2027, 2, 6)}
    text = _edit(('quiet_hours = "21:30-08:00"', 'quiet_hours = "晚上"'))
    assert _error(text, "quiet_hours").line == _line(text, "quiet_hours")
    assert _error(_edit(('base_url = ""', 'base_url = "bot.example.org"')), "web.base_url")
    text = _edit(("holidays = []", 'holidays = ["2027-02-30"]'))
    assert _error(text, "pushes.holidays[0]").line == _line(text, "holidays")
    text = _edit(("holidays = []", 'holidays = ["2027-02-14"]'), ("workdays = []", 'workdays = ["2027-02-14"]'))
    assert "2027-02-14" in _error(text, "pushes.workdays").zh


def test_wecom_webhooks_must_name_a_group_and_a_url() -> None:
    cfg = parse_config(_edit(("webhooks = {}", 'webhooks = { "网格1一家亲" = "https://qyapi.example/send?key=1" }')), None)
    assert cfg.wecom.webhooks == {"网格1一家亲": "https://qyapi.example/send?key=1"}
    text = _edit(("webhooks = {}", 'webhooks = { "网格9一家亲" = "ftp://x" }'))
    assert [p.key for p in _errors(text)] == ["wecom.webhooks.网格9一家亲"] * 2
    with pytest.raises(TypeError):
        cfg.wecom.groups["new"] = "网格1一家亲"      # frozen: settings cannot change after load


def test_knowledge_entries_are_checked() -> None:
    text = _edit(('q = ["高龄津贴", "高龄补贴", "80岁补贴"]', 'qq = ["高龄津贴"]'))
    assert _error(text, "knowledge.faq[1].qq").line == _line(text, "qq =")
    assert _error(text, "knowledge.faq[1].q").line == _line(text, "[[knowledge.faq]]", after=_line(text, "[[knowledge"))
    text = _edit(('a = "大件垃圾', 'a = "" # "'))
    assert _error(text, "knowledge.faq[3].a")


def test_settings_are_not_read_from_raw_sections_anywhere() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{no}" for folder in ("kernel", "models", "handlers", "scheduler", "bot")
                 for path in (ROOT / folder).rglob("*.py")
                 for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"config\.extra\b|id\((?:\w+\.)?config\)", line)]
    assert offenders == []
