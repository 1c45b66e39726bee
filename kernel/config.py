"""The community's config (grids, groups, people, rooms) and every capability's settings, read from TOML
once, at load, into frozen dataclasses.

Every problem is collected before giving up: `load_config` raises one ConfigError that lists them all,
each with its file, line and key, in Chinese and English (`gridbot check-config` prints exactly these).
Warnings (allowed but risky values) travel on `Config.warnings`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.config_reader import ConfigError, Loc, Problem, Reader, load_toml
from kernel.settings import (BookingSettings, EventSettings, Hours, InboxSettings, KnowledgeSettings,
                             MaintenanceSettings, NeedsSettings, PhotoSettings, PushSettings, SenderConfig,
                             SurveySettings, WebSettings, WecomSettings, setting)

__all__ = ["AccountConfig", "Config", "ConfigError", "DepartmentConfig", "GridConfig", "Hours", "PersonConfig", "Problem",
           "RoomConfig", "Sections", "SenderConfig", "default_config_path", "load_config", "parse_config"]


def _iso_dates(values: Any) -> tuple[str, str] | None:
    for v in values:
        try:
            date.fromisoformat(v)
        except ValueError:
            return f"日期应写成 \"2026-12-31\",收到 {v!r}", f"dates must look like \"2026-12-31\", got {v!r}"
    return None


def _room_fee(value: Any) -> tuple[str, str] | None:
    text = value.strip() if isinstance(value, str) else value
    if not text or len(text) > 40 or "\n" in text:
        return ("费用应写成一小段文字,如 \"20元/小时\"(不超过40字),不收费就不写",
                "fee must be a short text such as \"20元/小时\" (at most 40 characters); leave it out when free")
    return None


@dataclass(frozen=True)
class GridConfig:
    number: int = setting(ge=1)
    group: str = setting()                 # the family group's topic, e.g. 网格1一家亲
    buildings: tuple[int, ...] = setting(items=(1, 9999))
    worker: str = setting()                # contact id of the grid worker
    backup: str | None = setting(None)     # AB岗: who covers when the worker is off duty
    passive_discovery: bool = setting(True)


@dataclass(frozen=True)
class PersonConfig:
    id: str = setting()                    # WeChat contact id
    name: str = setting()
    grid: int | None = setting(None)       # workers only
    duty: Hours | None = setting(None)     # on-duty hours (may wrap midnight); None means always


@dataclass(frozen=True)
class DepartmentConfig:
    name: str = setting()
    contact_id: str = setting()
    ack_minutes: int = setting(gt=0)       # 签收 time limit


@dataclass(frozen=True)
class RoomConfig:
    name: str = setting()
    aliases: tuple[str, ...] = setting(())
    capacity: int = setting(1, ge=1)       # people at once (seats for a study room)
    per_seat: bool = setting(False)        # True: bookings take seats; False: one party has the room
    hours: Hours = setting(Hours(time(8, 30), time(21, 30)), key="open", wrap=False)
    closed_weekdays: tuple[int, ...] = setting((), items=(0, 6))   # 0 = Monday
    closed_dates: tuple[str, ...] = setting((), check=_iso_dates)  # ISO dates
    min_minutes: int = setting(30, gt=0)
    max_minutes: int = setting(180, gt=0)
    buffer_minutes: int = setting(0, ge=0)
    advance_days: int = setting(14, ge=0)
    weekly_quota_hours: float | None = setting(None, gt=0)
    needs_approval: bool = setting(False)
    who: str = setting("residents", choices=("residents", "staff"))
    fee: str | None = setting(None, check=_room_fee)   # what using the room costs, as text; None: free


# The file's shape. Sections that are flattened onto Config (community, bot, channel, storage) are read
# through these private schemas so that they get the same type, unknown-key and line checks.

@dataclass(frozen=True)
class _Community:
    name: str = setting()
    timezone: str = setting()
    staff_group: str = setting()


@dataclass(frozen=True)
class AccountConfig:
    """One WeChat/WeCom account of a deployment that has several (`[[bot.accounts]]`): one process each
    (`gridbot run --account ID`), all on one PostgreSQL. Groups no account lists belong to the primary
    account, `[bot] contact_id`."""

    id: str = setting()                    # the account's own contact id (WeCom: the bot id)
    name: str | None = setting(None)       # its display name in the groups; default [bot] name
    groups: tuple[str, ...] = setting(())  # topics of the grid groups / staff group it is in and answers
    endpoint: str | None = setting(None)   # its wechaty gateway; default [channel] / the environment
    token: str | None = setting(None)


@dataclass(frozen=True)
class _Bot:
    name: str = setting("小助手")
    contact_id: str = setting("wx_bot")
    accounts: tuple[AccountConfig, ...] = setting(())


@dataclass(frozen=True)
class _Channel:
    kind: str = setting("gateway-sim", choices=("wechaty", "gateway-sim"))
    endpoint: str | None = setting(None)
    token: str | None = setting(None)


@dataclass(frozen=True)
class _Storage:
    url: str | None = setting(None)
    data_dir: str = setting("data")


QUIET_HOURS = Hours(time(21, 30), time(8, 0))


@dataclass(frozen=True, kw_only=True)
class Sections:
    """The capability sections, typed: read from the file as they are and carried on Config."""

    web: WebSettings = setting(factory=WebSettings)
    sender: SenderConfig = setting(factory=SenderConfig)
    needs: NeedsSettings = setting(factory=NeedsSettings)
    booking: BookingSettings = setting(factory=BookingSettings)
    events: EventSettings = setting(factory=EventSettings)
    pushes: PushSettings = setting(factory=PushSettings)
    surveys: SurveySettings = setting(factory=SurveySettings)
    inbox: InboxSettings = setting(factory=InboxSettings)
    wecom: WecomSettings = setting(factory=WecomSettings)
    knowledge: KnowledgeSettings = setting(factory=KnowledgeSettings)
    photos: PhotoSettings = setting(factory=PhotoSettings)
    maintenance: MaintenanceSettings = setting(factory=MaintenanceSettings)


@dataclass(frozen=True)
class _File(Sections):
    community: _Community | None = setting(None)
    bot: _Bot = setting(factory=_Bot)
    channel: _Channel = setting(factory=_Channel)
    storage: _Storage = setting(factory=_Storage)
    quiet_hours: Hours = setting(QUIET_HOURS)
    grids: tuple[GridConfig, ...] = setting(())
    workers: tuple[PersonConfig, ...] = setting(())
    admins: tuple[PersonConfig, ...] = setting(())
    departments: tuple[DepartmentConfig, ...] = setting(())
    residents: tuple[PersonConfig, ...] = setting(())
    rooms: tuple[RoomConfig, ...] = setting(())


@dataclass(frozen=True)
class Config(Sections):
    """The community (flattened) and the typed capability sections (`config.needs`, `config.web` …)."""

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
    grids: tuple[GridConfig, ...]
    workers: tuple[PersonConfig, ...]
    admins: tuple[PersonConfig, ...]
    departments: tuple[DepartmentConfig, ...]
    rooms: tuple[RoomConfig, ...]
    quiet_hours: Hours = QUIET_HOURS
    residents: tuple[PersonConfig, ...] = ()   # demo residents (simulators, sandbox)
    warnings: tuple[Problem, ...] = ()         # allowed but risky values, for the operator
    # Several accounts ([[bot.accounts]]): every account, the primary ([bot] contact_id) first. bot_id is
    # the account this process speaks as (`for_account`); primary_account stays the primary's.
    accounts: tuple[AccountConfig, ...] = ()
    primary_account: str = ""

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

    # -- several accounts --
    @property
    def several_accounts(self) -> bool:
        return len(self.accounts) > 1

    def account(self, account_id: str) -> AccountConfig | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def account_of_group(self, topic: str) -> str:
        """The account that owns (is in, and speaks in) this group: listed in its groups, else the primary."""
        return self._group_owner.get(topic, self.primary_account)

    def for_account(self, account_id: str) -> Config:
        """The config as the process of one account sees it: bot_id/bot_name are that account's, and its
        gateway (when the account names one). ConfigError when the config has no such account."""
        acc = self.account(account_id)
        if acc is None:
            known = ", ".join(a.id for a in self.accounts)
            raise ConfigError("bot.accounts", f"配置中没有账号 {account_id!r}(已配置: {known})",
                              f"no account {account_id!r} in the config (configured: {known})",
                              path=str(self.path) if self.path else None)
        return dataclasses.replace(self, bot_id=acc.id, bot_name=acc.name or self.bot_name,
                                   endpoint=acc.endpoint or self.endpoint, token=acc.token or self.token)

    def __post_init__(self) -> None:
        if not self.primary_account:
            object.__setattr__(self, "primary_account", self.bot_id)
        if not self.accounts:
            object.__setattr__(self, "accounts", (AccountConfig(self.primary_account, self.bot_name),))
        object.__setattr__(self, "_group_owner", {t: a.id for a in self.accounts for t in a.groups})
        object.__setattr__(self, "_grid_topics", {g.group: g for g in self.grids})
        object.__setattr__(self, "_grid_numbers", {g.number: g for g in self.grids})
        object.__setattr__(
            self, "_building_grid", {b: g for g in self.grids for b in g.buildings}
        )


# ---------------------------------------------------------------- loading

def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("(file)", f"找不到配置文件 {path}", f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError("(file)", f"无法读取配置文件 {path}: {exc.strerror}",
                          f"cannot read config file {path}: {exc.strerror}") from None
    return parse_config(raw, path)


def parse_config(raw: str | bytes, path: Path | None = None) -> Config:
    """The config in `raw` (TOML text or bytes); ConfigError listing every problem if it cannot be used."""
    data, text, fatal = load_toml(raw, path)
    if fatal is not None:
        raise ConfigError.of([fatal], [])
    assert data is not None
    r = Reader(text, path)
    f: _File = r.read(_File, data, Loc(""))
    config = _assemble(r, f, data, path)
    if r.errors:
        r.errors.sort(key=lambda p: p.line or 0)
        raise ConfigError.of(r.errors, r.warnings)
    assert config is not None
    return config


def _assemble(r: Reader, f: _File, data: dict[str, Any], path: Path | None) -> Config | None:
    """Cross-checks between sections (references, duplicates), then the Config (None if unusable)."""
    if f.community is None:
        if "community" not in data:
            r.error(Loc("community"), "缺少 [community] 配置段", "missing [community] section")
        tz = None
    else:
        try:
            tz = ZoneInfo(f.community.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            r.error(Loc("community", None, ("timezone",)), f"未知时区 {f.community.timezone!r}(例如 Asia/Shanghai)",
                    f"unknown time zone {f.community.timezone!r} (e.g. Asia/Shanghai)")
            tz = None
    complete = {name: len(getattr(f, name)) == len(data.get(name, ()) if isinstance(data.get(name), list) else ())
                for name in ("grids", "workers", "admins", "departments", "rooms", "residents")}
    _check_people(r, f)
    _check_grids(r, f, complete)
    _check_rooms(r, f)
    _check_pushes(r, f)
    _check_wecom(r, f, complete["grids"])
    _check_accounts(r, f, complete["grids"])
    _check_knowledge(r, f)
    if r.errors or f.community is None or tz is None:
        return None
    base_dir = path.parent if path else Path.cwd()
    data_dir = Path(f.storage.data_dir)
    sections = {s.name: getattr(f, s.name) for s in dataclasses.fields(Sections)}
    if f.web.base_url:
        sections["web"] = dataclasses.replace(f.web, base_url=f.web.base_url.rstrip("/"))
    return Config(
        path=path,
        community=f.community.name,
        timezone=tz,
        staff_group=f.community.staff_group,
        bot_name=f.bot.name,
        bot_id=f.bot.contact_id,
        channel=f.channel.kind,
        endpoint=f.channel.endpoint,
        token=f.channel.token,
        storage_url=f.storage.url,
        data_dir=data_dir if data_dir.is_absolute() else base_dir / data_dir,
        grids=f.grids, workers=f.workers, admins=f.admins, departments=f.departments, rooms=f.rooms,
        quiet_hours=f.quiet_hours, residents=f.residents,
        warnings=tuple(r.warnings),
        accounts=_accounts(f.bot),
        **sections,
    )


def _duplicates(r: Reader, items: Iterable[tuple[str, Loc]], zh: str, en: str) -> None:
    """Reports every value seen before (`zh`/`en` are formatted with {value} and {first})."""
    seen: dict[str, Loc] = {}
    for value, loc in items:
        if value in seen:
            r.error(loc, zh.format(value=value, first=seen[value].name), en.format(value=value, first=seen[value].name))
        else:
            seen[value] = loc


def _check_people(r: Reader, f: _File) -> None:
    ids = [(f.bot.contact_id, Loc("bot", None, ("contact_id",)))]
    for table in ("workers", "admins", "residents"):
        ids += [(p.id, Loc(table, i, ("id",))) for i, p in enumerate(getattr(f, table))]
    ids += [(d.contact_id, Loc("departments", i, ("contact_id",))) for i, d in enumerate(f.departments)]
    _duplicates(r, ids, "联系人 {value} 重复(已在 {first} 中出现)", "contact id {value} appears twice (also at {first})")
    _duplicates(r, [(d.name, Loc("departments", i, ("name",))) for i, d in enumerate(f.departments)],
                "科室 {value} 重复", "department {value} appears twice")
    for table in ("admins", "residents"):
        for i, p in enumerate(getattr(f, table)):
            if p.grid is not None:
                r.warn(Loc(table, i, ("grid",)), "grid 只对网格员([[workers]])有效,这里会被忽略",
                       "grid only applies to [[workers]]; ignored here")


def _check_grids(r: Reader, f: _File, complete: dict[str, bool]) -> None:
    if not f.grids and complete["grids"]:
        r.error(Loc("grids"), "至少需要一个 [[grids]]", "at least one [[grids]] is required")
    _duplicates(r, [(str(g.number), Loc("grids", i, ("number",))) for i, g in enumerate(f.grids)],
                "网格编号 {value} 重复", "grid number {value} appears twice")
    topics = [(f.community.staff_group, Loc("community", None, ("staff_group",)))] if f.community else []
    _duplicates(r, topics + [(g.group, Loc("grids", i, ("group",))) for i, g in enumerate(f.grids)],
                "群名 {value!r} 重复(与 {first} 相同)", "duplicate group topic {value!r} (same as {first})")
    owner: dict[int, int] = {}
    for i, g in enumerate(f.grids):
        for b in g.buildings:
            if b in owner and owner[b] != g.number:
                r.error(Loc("grids", i, ("buildings",)), f"{b}栋 同时属于网格{owner[b]}和网格{g.number}",
                        f"building {b} is in grid {owner[b]} and grid {g.number}")
            owner.setdefault(b, g.number)
    workers = {w.id for w in f.workers}
    staff = workers | {a.id for a in f.admins}
    for i, g in enumerate(f.grids):
        if complete["workers"] and g.worker not in workers:
            r.error(Loc("grids", i, ("worker",)), f"网格员 {g.worker} 不在 [[workers]] 中",
                    f"worker {g.worker} is not in [[workers]]")
        if complete["workers"] and complete["admins"] and g.backup is not None and g.backup not in staff:
            r.error(Loc("grids", i, ("backup",)), f"AB岗 {g.backup} 不是网格员或管理员",
                    f"backup {g.backup} is not a worker or admin")
        if g.backup is not None and g.backup == g.worker:
            r.warn(Loc("grids", i, ("backup",)), "AB岗与网格员是同一人,无人替岗",
                   "the backup is the worker themself: nobody covers")
    if complete["grids"]:
        numbers = {g.number for g in f.grids}
        for i, w in enumerate(f.workers):
            if w.grid is not None and w.grid not in numbers:
                r.error(Loc("workers", i, ("grid",)), f"网格{w.grid} 不存在(已配置: {sorted(numbers)})",
                        f"no grid {w.grid} (configured: {sorted(numbers)})")


def _minutes(h: Hours) -> int:
    return (h.end.hour * 60 + h.end.minute - h.start.hour * 60 - h.start.minute) + (1 if h.end == time(23, 59) else 0)


def _check_rooms(r: Reader, f: _File) -> None:
    names = []
    for i, room in enumerate(f.rooms):
        names.append((room.name, Loc("rooms", i, ("name",))))
        names += [(a, Loc("rooms", i, ("aliases",))) for a in room.aliases]
        at = Loc("rooms", i, ("max_minutes",))
        if room.min_minutes > room.max_minutes:
            r.error(at, f"最长时长 {room.max_minutes} 分钟小于最短时长 {room.min_minutes} 分钟",
                    f"max_minutes {room.max_minutes} is below min_minutes {room.min_minutes}")
        if _minutes(room.hours) < room.min_minutes:
            r.error(Loc("rooms", i, ("open",)), f"开放时间 {room.hours} 不足最短预约时长 {room.min_minutes} 分钟,永远约不上",
                    f"open {room.hours} is shorter than min_minutes {room.min_minutes}: it could never be booked")
        if set(room.closed_weekdays) >= set(range(7)):
            r.warn(Loc("rooms", i, ("closed_weekdays",)), "每天都闭馆,这个房间约不上",
                   "closed on every weekday: the room can never be booked")
    _duplicates(r, names, "房间名或别名 {value!r} 重复(与 {first} 相同)",
                "room name or alias {value!r} is used twice (also at {first})")


def _check_pushes(r: Reader, f: _File) -> None:
    for d in sorted(f.pushes.holidays & f.pushes.workdays):
        r.error(Loc("pushes", None, ("workdays",)), f"{d} 同时列在 holidays 和 workdays 中",
                f"{d} is listed in both holidays and workdays")


def _check_wecom(r: Reader, f: _File, grids_complete: bool) -> None:
    topics = {g.group for g in f.grids} | ({f.community.staff_group} if f.community else set())
    if not grids_complete or f.community is None:
        return
    known = "、".join(sorted(topics))
    chats: dict[str, str] = {}
    for chat, topic in f.wecom.groups.items():
        if topic in chats:
            r.error(Loc("wecom", None, ("groups", chat)), f"群 {topic!r} 已对应企业微信群 {chats[topic]!r}",
                    f"{topic!r} is already the group of WeCom chat {chats[topic]!r}")
        chats.setdefault(topic, chat)
        if topic not in topics:
            r.error(Loc("wecom", None, ("groups", chat)), f"群 {topic!r} 不是配置中的网格群或工作群(可用: {known})",
                    f"{topic!r} is not a grid group or the staff group of this config (known: {known})")
    ids = {p.id for p in (*f.workers, *f.admins, *f.residents)} | {d.contact_id for d in f.departments}
    acting: dict[str, str] = {}
    for user, person in f.wecom.people.items():
        if person not in ids:
            r.error(Loc("wecom", None, ("people", user)), f"{person!r} 不是配置中任何人的 id(网格员、书记、科室或居民)",
                    f"{person!r} is not the id of a worker, admin, department or resident of this config")
        elif person in acting:
            r.error(Loc("wecom", None, ("people", user)), f"{person!r} 已由企业微信用户 {acting[person]!r} 代表",
                    f"{person!r} is already mapped from WeCom user {acting[person]!r}")
        acting.setdefault(person, user)
    for topic, url in f.wecom.webhooks.items():
        if topic not in topics:
            r.error(Loc("wecom", None, ("webhooks", topic)), f"群 {topic!r} 不是配置中的网格群或工作群(可用: {known})",
                    f"{topic!r} is not a grid group or the staff group of this config (known: {known})")
        if not url.startswith(("https://", "http://")):
            r.error(Loc("wecom", None, ("webhooks", topic)), f"webhook 地址应以 https:// 开头,收到 {url!r}",
                    f"webhook URL must start with https://, got {url!r}")


def _accounts(bot: _Bot) -> tuple[AccountConfig, ...]:
    """Every account, the primary first (listed or not)."""
    primary = next((a for a in bot.accounts if a.id == bot.contact_id), AccountConfig(bot.contact_id))
    return (primary, *(a for a in bot.accounts if a is not primary))


def _check_accounts(r: Reader, f: _File, grids_complete: bool) -> None:
    if not f.bot.accounts:
        return
    at = [(a.id, Loc("bot.accounts", i, ("id",))) for i, a in enumerate(f.bot.accounts)]
    _duplicates(r, at, "账号 {value} 重复(已在 {first} 中出现)", "account {value} appears twice (also at {first})")
    people = {p.id for p in (*f.workers, *f.admins, *f.residents)} | {d.contact_id for d in f.departments}
    for i, a in enumerate(f.bot.accounts):
        if a.id in people:
            r.error(Loc("bot.accounts", i, ("id",)), f"账号 {a.id} 同时是网格员、书记、科室或居民的联系人 id",
                    f"account {a.id} is also the contact id of a worker, admin, department or resident")
    if not grids_complete or f.community is None:
        return
    topics = {g.group for g in f.grids} | {f.community.staff_group}
    known = "、".join(sorted(topics))
    owner: dict[str, str] = {}
    for i, a in enumerate(f.bot.accounts):
        for topic in a.groups:
            loc = Loc("bot.accounts", i, ("groups",))
            if topic not in topics:
                r.error(loc, f"群 {topic!r} 不是配置中的网格群或工作群(可用: {known})",
                        f"{topic!r} is not a grid group or the staff group of this config (known: {known})")
            elif topic in owner and owner[topic] != a.id:
                r.error(loc, f"群 {topic!r} 同时归账号 {owner[topic]} 和 {a.id} 管,一个群只能由一个账号回复",
                        f"group {topic!r} is owned by both account {owner[topic]} and {a.id}: one account per group")
            owner.setdefault(topic, a.id)


def _check_knowledge(r: Reader, f: _File) -> None:
    asked: list[tuple[str, Loc]] = []
    for i, entry in enumerate(f.knowledge.faq):
        at = Loc("knowledge.faq", i)
        if not entry.q or any(not q.strip() for q in entry.q):
            r.error(at.key("q"), "问题/关键词不能为空", "questions/keywords must not be empty")
        if not entry.a.strip():
            r.error(at.key("a"), "回答不能为空", "the answer must not be empty")
        asked += [(q.strip(), at.key("q")) for q in entry.q if q.strip()]
    _duplicates(r, asked, "问题/关键词 {value!r} 已在 {first} 中出现,回答会不确定",
                "question/keyword {value!r} is also in {first}: the answer would be ambiguous")


def default_config_path() -> Path:
    """config.toml in the working directory if present, else the demo community shipped with the code."""
    local = Path.cwd() / "config.toml"
    if local.exists():
        return local
    return Path(__file__).resolve().parents[1] / "config.example.toml"

