"""Loading and validating the TOML config (the community: grids, groups, people, rooms).

Errors name the key and, where it can be found, the line: an operator fixing a typo at night should
not have to guess. Every message is given in Chinese and English.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """A config problem, with the key path and line when known."""

    def __init__(self, key: str, zh: str, en: str, line: int | None = None, path: str | None = None):
        self.key, self.zh, self.en, self.line, self.path = key, zh, en, line, path
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{key}: {zh} / {en}")


@dataclass(frozen=True)
class Hours:
    """Opening hours as one daily window, e.g. 08:30–21:30."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class GridConfig:
    number: int
    group: str                 # the family group's topic, e.g. 网格1一家亲
    buildings: tuple[int, ...]
    worker: str                # contact id of the grid worker
    backup: str | None = None  # AB岗: who covers when the worker is off duty
    passive_discovery: bool = True


@dataclass(frozen=True)
class PersonConfig:
    id: str                    # WeChat contact id
    name: str
    grid: int | None = None
    duty: Hours | None = None  # on-duty hours (workers); None means always


@dataclass(frozen=True)
class DepartmentConfig:
    name: str
    contact_id: str
    ack_minutes: int           # 签收 time limit


@dataclass(frozen=True)
class RoomConfig:
    name: str
    aliases: tuple[str, ...] = ()
    capacity: int = 1          # people at once (seats for a study room)
    per_seat: bool = False     # True: bookings take seats; False: one party has the room
    hours: Hours = Hours(time(8, 30), time(21, 30))
    closed_weekdays: tuple[int, ...] = ()   # 0 = Monday
    closed_dates: tuple[str, ...] = ()      # ISO dates
    min_minutes: int = 30
    max_minutes: int = 180
    buffer_minutes: int = 0
    advance_days: int = 14
    weekly_quota_hours: float | None = None
    needs_approval: bool = False
    who: str = "residents"     # residents | staff


@dataclass(frozen=True)
class SenderConfig:
    min_interval_s: float = 1.0   # anti-ban: at least this long between two sends
    jitter_s: float = 0.6         # plus up to this much random jitter
    reply_burst: int = 3          # replies may use a small burst allowance before the interval applies
    max_attempts: int = 8
    backoff_s: float = 2.0


@dataclass(frozen=True)
class Config:
    path: Path | None
    community: str
    timezone: ZoneInfo
    staff_group: str
    bot_name: str
    bot_id: str
    channel: str                     # wechaty | gateway-sim
    endpoint: str | None
    token: str | None
    storage_url: str | None
    data_dir: Path
    web_host: str
    web_port: int
    sender: SenderConfig
    grids: tuple[GridConfig, ...]
    workers: tuple[PersonConfig, ...]
    admins: tuple[PersonConfig, ...]
    departments: tuple[DepartmentConfig, ...]
    rooms: tuple[RoomConfig, ...]
    quiet_hours: Hours = Hours(time(21, 30), time(8, 0))
    residents: tuple[PersonConfig, ...] = ()   # demo residents (simulators, sandbox)
    extra: dict[str, Any] = field(default_factory=dict)  # capability sections ([needs], [events]…)
    web_base_url: str | None = None   # public address for links in messages (H5 surveys); default: host:port

    # -- look-ups used on the message path (built once) --
    def grid_by_topic(self, topic: str | None) -> GridConfig | None:
        return self._grid_topics.get(topic) if topic else None

    def grid_by_number(self, number: int | None) -> GridConfig | None:
        return self._grid_numbers.get(number) if number is not None else None

    def grid_of_building(self, building: int | None) -> GridConfig | None:
        return self._building_grid.get(building) if building is not None else None

    def is_known_group(self, topic: str | None) -> bool:
        return topic is not None and (topic in self._grid_topics or topic == self.staff_group)

    def department(self, name: str) -> DepartmentConfig | None:
        return next((d for d in self.departments if d.name == name or d.name.rstrip("科办所") == name), None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_grid_topics", {g.group: g for g in self.grids})
        object.__setattr__(self, "_grid_numbers", {g.number: g for g in self.grids})
        object.__setattr__(
            self, "_building_grid", {b: g for g in self.grids for b in g.buildings}
        )


# ---------------------------------------------------------------- parsing helpers

_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


class _Reader:
    """Reads typed values out of the parsed TOML, raising ConfigError that points at the line."""

    def __init__(self, raw: str, path: Path | None):
        self.lines = raw.splitlines()
        self.path = str(path) if path else None

    def line_of(self, table: str, index: int | None, key: str | None) -> int | None:
        """Best-effort line number of `key` inside `[table]` or the index-th `[[table]]`."""
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        seen, start = -1, None
        for no, line in enumerate(self.lines, 1):
            if header.match(line):
                seen += 1
                if index is None or seen == index:
                    start = no
                    break
        if start is None:
            return None
        if key is None:
            return start
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for no in range(start, len(self.lines)):  # 0-based index `start` is the line after the header
            line = self.lines[no]
            if line.lstrip().startswith("["):
                break
            if key_re.match(line):
                return no + 1
        return start

    def fail(self, table: str, index: int | None, key: str | None, zh: str, en: str) -> ConfigError:
        name = table + (f"[{index}]" if index is not None else "") + (f".{key}" if key else "")
        return ConfigError(name, zh, en, self.line_of(table, index, key), self.path)

    def get(self, section: dict, table: str, index: int | None, key: str, kind: type | tuple,
            default: Any = ..., zh_what: str = "") -> Any:
        if key not in section:
            if default is ...:
                raise self.fail(table, index, key, f"缺少必填项 {key}{zh_what}", f"missing required key '{key}'")
            return default
        value = section[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = "/".join(k.__name__ for k in kinds)
            raise self.fail(table, index, key, f"{key} 的类型应为 {names}", f"'{key}' must be {names}")
        return value

    def hours(self, section: dict, table: str, index: int | None, key: str, default: Hours | None) -> Hours | None:
        text = self.get(section, table, index, key, str, None)
        if text is None:
            return default
        m = _HOURS_RE.match(text)
        if not m:
            raise self.fail(table, index, key, f"时间段格式应为 08:30-21:30,收到 {text!r}",
                            f"hours must look like 08:30-21:30, got {text!r}")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise self.fail(table, index, key, f"时间不存在: {text!r}", f"no such time: {text!r}")
        end = time(23, 59) if h2 == 24 else time(h2, m2)
        return Hours(time(h1, m1), end)


def _check_unknown(reader: _Reader, section: dict, table: str, index: int | None, allowed: set[str]) -> None:
    for key in section:
        if key not in allowed:
            raise reader.fail(table, index, key, f"未知的配置项 {key}(可用: {', '.join(sorted(allowed))})",
                              f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")


_TOP_LEVEL = {"community", "bot", "channel", "storage", "web", "sender", "grids", "workers", "admins",
              "departments", "rooms", "residents", "quiet_hours", "needs", "booking", "events", "surveys",
              "pushes", "inbox"}


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("(file)", f"找不到配置文件 {path}", f"config file not found: {path}") from None
    return parse_config(raw, path)


def parse_config(raw: str, path: Path | None = None) -> Config:
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError("(syntax)", f"TOML 语法错误: {exc}", f"TOML syntax error: {exc}",
                          int(m.group(1)) if m else None, str(path) if path else None) from None
    r = _Reader(raw, path)
    for key in data:
        if key not in _TOP_LEVEL:
            raise r.fail(key, None, None, f"未知的配置段 [{key}]", f"unknown section [{key}]")

    community = data.get("community")
    if not isinstance(community, dict):
        raise ConfigError("community", "缺少 [community] 配置段", "missing [community] section", None, str(path) if path else None)
    _check_unknown(r, community, "community", None, {"name", "timezone", "staff_group"})
    tz_name = r.get(community, "community", None, "timezone", str, zh_what="(例如 Asia/Shanghai)")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("community", None, "timezone", f"未知时区 {tz_name!r}", f"unknown time zone {tz_name!r}") from None

    bot = data.get("bot", {})
    _check_unknown(r, bot, "bot", None, {"name", "contact_id"})
    channel = data.get("channel", {})
    _check_unknown(r, channel, "channel", None, {"kind", "endpoint", "token"})
    kind = r.get(channel, "channel", None, "kind", str, "gateway-sim")
    if kind not in ("wechaty", "gateway-sim"):
        raise r.fail("channel", None, "kind", f"channel.kind 只能是 wechaty 或 gateway-sim,收到 {kind!r}",
                     f"channel.kind must be 'wechaty' or 'gateway-sim', got {kind!r}")
    storage = data.get("storage", {})
    _check_unknown(r, storage, "storage", None, {"url", "data_dir"})
    web = data.get("web", {})
    _check_unknown(r, web, "web", None, {"host", "port", "base_url"})
    sender_raw = data.get("sender", {})
    _check_unknown(r, sender_raw, "sender", None, set(SenderConfig.__dataclass_fields__))
    sender = SenderConfig(**{k: r.get(sender_raw, "sender", None, k, (int, float)) for k in sender_raw})

    base_dir = path.parent if path else Path.cwd()
    data_dir = Path(r.get(storage, "storage", None, "data_dir", str, "data"))
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir

    people_ids: dict[str, str] = {}

    def person(section: dict, table: str, i: int, with_grid: bool) -> PersonConfig:
        _check_unknown(r, section, table, i, {"id", "name", "grid", "duty"})
        pid = r.get(section, table, i, "id", str)
        if pid in people_ids:
            raise r.fail(table, i, "id", f"联系人 {pid} 重复(已在 {people_ids[pid]} 中出现)",
                         f"contact id {pid} appears twice (also in {people_ids[pid]})")
        people_ids[pid] = table
        return PersonConfig(
            id=pid, name=r.get(section, table, i, "name", str),
            grid=r.get(section, table, i, "grid", int, None) if with_grid else None,
            duty=r.hours(section, table, i, "duty", None),
        )

    workers = tuple(person(s, "workers", i, True) for i, s in enumerate(data.get("workers", [])))
    admins = tuple(person(s, "admins", i, False) for i, s in enumerate(data.get("admins", [])))
    residents = tuple(person(s, "residents", i, False) for i, s in enumerate(data.get("residents", [])))
    worker_ids = {w.id for w in workers}

    grids: list[GridConfig] = []
    topics: set[str] = set()
    buildings_seen: dict[int, int] = {}
    staff_group = r.get(community, "community", None, "staff_group", str)
    topics.add(staff_group)
    for i, g in enumerate(data.get("grids", [])):
        _check_unknown(r, g, "grids", i, {"number", "group", "buildings", "worker", "backup", "passive_discovery"})
        number = r.get(g, "grids", i, "number", int)
        topic = r.get(g, "grids", i, "group", str)
        if topic in topics:
            raise r.fail("grids", i, "group", f"群名 {topic!r} 重复", f"duplicate group topic {topic!r}")
        topics.add(topic)
        blds = r.get(g, "grids", i, "buildings", list)
        for b in blds:
            if not isinstance(b, int) or isinstance(b, bool):
                raise r.fail("grids", i, "buildings", "楼栋号必须是整数", "building numbers must be integers")
            if b in buildings_seen:
                raise r.fail("grids", i, "buildings", f"{b}栋 同时属于网格{buildings_seen[b]}和网格{number}",
                             f"building {b} is in grid {buildings_seen[b]} and grid {number}")
            buildings_seen[b] = number
        worker = r.get(g, "grids", i, "worker", str)
        if worker not in worker_ids:
            raise r.fail("grids", i, "worker", f"网格员 {worker} 不在 [[workers]] 中", f"worker {worker} is not in [[workers]]")
        backup = r.get(g, "grids", i, "backup", str, None)
        if backup is not None and backup not in worker_ids and backup not in {a.id for a in admins}:
            raise r.fail("grids", i, "backup", f"AB岗 {backup} 不是网格员或管理员", f"backup {backup} is not a worker or admin")
        grids.append(GridConfig(number, topic, tuple(blds), worker, backup,
                                r.get(g, "grids", i, "passive_discovery", bool, True)))
    if not grids:
        raise ConfigError("grids", "至少需要一个 [[grids]]", "at least one [[grids]] is required", None, str(path) if path else None)
    grid_numbers = {g.number for g in grids}
    for i, w in enumerate(workers):
        if w.grid is not None and w.grid not in grid_numbers:
            raise r.fail("workers", i, "grid", f"网格{w.grid} 不存在", f"no grid {w.grid}")

    departments: list[DepartmentConfig] = []
    for i, d in enumerate(data.get("departments", [])):
        _check_unknown(r, d, "departments", i, {"name", "contact_id", "ack_minutes"})
        cid = r.get(d, "departments", i, "contact_id", str)
        if cid in people_ids:
            raise r.fail("departments", i, "contact_id", f"联系人 {cid} 重复", f"contact id {cid} appears twice")
        people_ids[cid] = "departments"
        minutes = r.get(d, "departments", i, "ack_minutes", int)
        if minutes <= 0:
            raise r.fail("departments", i, "ack_minutes", "签收时限必须大于0分钟", "ack_minutes must be positive")
        departments.append(DepartmentConfig(r.get(d, "departments", i, "name", str), cid, minutes))

    rooms: list[RoomConfig] = []
    room_names: set[str] = set()
    room_keys = set(RoomConfig.__dataclass_fields__) - {"hours"} | {"open"}
    for i, s in enumerate(data.get("rooms", [])):
        _check_unknown(r, s, "rooms", i, room_keys)
        name = r.get(s, "rooms", i, "name", str)
        aliases = tuple(r.get(s, "rooms", i, "aliases", list, []))
        for n in (name, *aliases):
            if n in room_names:
                raise r.fail("rooms", i, "name" if n == name else "aliases", f"房间名或别名 {n!r} 重复",
                             f"room name or alias {n!r} is used twice")
            room_names.add(n)
        capacity = r.get(s, "rooms", i, "capacity", int, 1)
        if capacity < 1:
            raise r.fail("rooms", i, "capacity", "容量至少为1", "capacity must be at least 1")
        min_m = r.get(s, "rooms", i, "min_minutes", int, 30)
        max_m = r.get(s, "rooms", i, "max_minutes", int, 180)
        if min_m > max_m:
            raise r.fail("rooms", i, "max_minutes", "最长时长小于最短时长", "max_minutes is below min_minutes")
        who = r.get(s, "rooms", i, "who", str, "residents")
        if who not in ("residents", "staff"):
            raise r.fail("rooms", i, "who", "who 只能是 residents 或 staff", "who must be 'residents' or 'staff'")
        quota = r.get(s, "rooms", i, "weekly_quota_hours", (int, float), None)
        rooms.append(RoomConfig(
            name=name, aliases=aliases, capacity=capacity,
            per_seat=r.get(s, "rooms", i, "per_seat", bool, False),
            hours=r.hours(s, "rooms", i, "open", RoomConfig.hours) or RoomConfig.hours,
            closed_weekdays=tuple(r.get(s, "rooms", i, "closed_weekdays", list, [])),
            closed_dates=tuple(r.get(s, "rooms", i, "closed_dates", list, [])),
            min_minutes=min_m, max_minutes=max_m,
            buffer_minutes=r.get(s, "rooms", i, "buffer_minutes", int, 0),
            advance_days=r.get(s, "rooms", i, "advance_days", int, 14),
            weekly_quota_hours=float(quota) if quota is not None else None,
            needs_approval=r.get(s, "rooms", i, "needs_approval", bool, False),
            who=who,
        ))

    quiet = r.hours(data, "quiet_hours", None, "quiet_hours", None) if "quiet_hours" in data else None
    extra = {k: data[k] for k in ("needs", "booking", "events", "surveys", "pushes", "inbox") if k in data}
    return Config(
        path=path,
        community=r.get(community, "community", None, "name", str),
        timezone=tz,
        staff_group=staff_group,
        bot_name=r.get(bot, "bot", None, "name", str, "小助手"),
        bot_id=r.get(bot, "bot", None, "contact_id", str, "wx_bot"),
        channel=kind,
        endpoint=r.get(channel, "channel", None, "endpoint", str, None) or None,
        token=r.get(channel, "channel", None, "token", str, None) or None,
        storage_url=r.get(storage, "storage", None, "url", str, None) or None,
        data_dir=data_dir,
        web_host=r.get(web, "web", None, "host", str, "127.0.0.1"),
        web_port=r.get(web, "web", None, "port", int, 8080),
        sender=sender,
        grids=tuple(grids),
        workers=workers,
        admins=admins,
        departments=tuple(departments),
        rooms=tuple(rooms),
        quiet_hours=quiet or Hours(time(21, 30), time(8, 0)),
        residents=residents,
        extra=extra,
        web_base_url=(r.get(web, "web", None, "base_url", str, "") or "").rstrip("/") or None,
    )


def default_config_path() -> Path:
    """config.toml in the working directory if present, else the demo community shipped with the code."""
    local = Path.cwd() / "config.toml"
    if local.exists():
        return local
    return Path(__file__).resolve().parents[1] / "config.example.toml"
