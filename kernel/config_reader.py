"""Reading TOML into the typed settings dataclasses, collecting every problem with its file and line.

An operator fixing a config at night should see all the mistakes at once, each named by key and line,
in Chinese and English — never a traceback, never only the first.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from kernel.recurrence import When, WhenError, parse_recurrence
from kernel.settings import Hours, Rule, rule_of


@dataclass(frozen=True)
class Problem:
    """One config error (or warning), printed as `file:line: key: 中文 / English`."""

    key: str
    zh: str
    en: str
    line: int | None = None
    path: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else (f"{self.path}: " if self.path else "")
        mark = "警告 / warning: " if self.warning else ""
        return f"{where}{self.key}: {mark}{self.zh} / {self.en}"


class ConfigError(Exception):
    """The config cannot be used: every error found (and the warnings), the first one's fields at hand."""

    def __init__(self, key: str, zh: str, en: str, line: int | None = None, path: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = (Problem(key, zh, en, line, path),)
        self.warnings: tuple[Problem, ...] = ()
        self.key, self.zh, self.en, self.line, self.path = key, zh, en, line, path
        super().__init__(str(self.problems[0]))

    @classmethod
    def of(cls, problems: list[Problem], warnings: list[Problem]) -> ConfigError:
        first = problems[0]
        err = cls(first.key, first.zh, first.en, first.line, first.path)
        err.problems, err.warnings = tuple(problems), tuple(warnings)
        err.args = ("\n".join(map(str, problems)),)
        return err

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))


# ---------------------------------------------------------------- where a key is written

@dataclass(frozen=True)
class Loc:
    """A key's place: `table` ("" for top level; dotted for sub-tables), the index of an array-of-tables
    entry, and the key path inside it."""

    table: str
    index: int | None = None
    keys: tuple[str, ...] = ()

    def key(self, *more: str | int) -> Loc:
        return Loc(self.table, self.index, self.keys + tuple(map(str, more)))

    @property
    def name(self) -> str:
        name = self.table + (f"[{self.index}]" if self.index is not None else "")
        for k in self.keys:
            name += f"[{k}]" if k.isdigit() else (f".{k}" if name else k)
        return name


def _table_of(loc: Loc) -> str:
    """The dotted name of the table `loc` points at (`[knowledge.faq]` for knowledge → faq)."""
    return ".".join(part for part in (loc.table, *loc.keys) if part)


_HEADER = re.compile(r"^\s*\[(\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


def _dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


class LineIndex:
    """Line numbers of table headers and keys, found by scanning the text once."""

    def __init__(self, text: str) -> None:
        self.at: dict[tuple[str, int | None, str | None], int] = {}
        table, index = "", None
        counts: dict[str, int] = {}
        in_string: str | None = None
        for no, line in enumerate(text.splitlines(), 1):
            if in_string:                                   # inside a multi-line string
                if line.count(in_string) % 2:
                    in_string = None
                continue
            if m := _HEADER.match(line):
                table = _dotted(m.group(2))
                if m.group(1):
                    index = counts[table] = counts.get(table, -1) + 1
                else:
                    index = None
                self.at.setdefault((table, index, None), no)
            elif m := _KEY.match(line):
                self.at.setdefault((table, index, m.group(1).strip("\"'")), no)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2:
                    in_string = quote
                    break

    def find(self, loc: Loc) -> int | None:
        keys = loc.keys
        for j in range(len(keys) - 1, -1, -1):          # the deepest place the key could be written first
            table = _table_of(Loc(loc.table, None, keys[:j]))
            if (no := self.at.get((table, loc.index if j == 0 else None, keys[j]))) is not None:
                return no
        for table, index in ((_table_of(loc), None), (loc.table, loc.index)):   # a [sub.table], then the table
            if (no := self.at.get((table, index, None))) is not None:
                return no
        if "." in loc.table:                             # an inline array of tables: the parent's key
            parent, _, key = loc.table.rpartition(".")
            return self.find(Loc(parent, None, (key,)))
        return None


# ---------------------------------------------------------------- reading typed values

_BAD = object()   # a value that was reported as wrong


class Invalid(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")
_TIME_RE = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")
_KIND_NAMES = {int: ("整数", "an integer"), float: ("数字", "a number"), bool: ("true 或 false", "true or false"),
               str: ("加引号的文字", "a quoted string")}


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def _wrong(value: Any, zh: str, en: str) -> Invalid:
    return Invalid(f"应为{zh},收到 {_show(value)}", f"must be {en}, got {_show(value)}")


def parse_hours(text: str, *, wrap: bool) -> Hours:
    m = _HOURS_RE.match(text)
    if not m:
        raise Invalid(f"时间段格式应为 08:30-21:30,收到 {_show(text)}", f"hours must look like 08:30-21:30, got {_show(text)}")
    h1, m1, h2, m2 = map(int, m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid(f"时间不存在: {_show(text)}", f"no such time: {_show(text)}")
    hours = Hours(time(h1, m1), time(23, 59) if h2 == 24 else time(h2, m2))
    if hours.start == hours.end:
        raise Invalid(f"开始和结束时间相同: {_show(text)}", f"the window is empty: {_show(text)}")
    if not wrap and hours.start > hours.end:
        raise Invalid(f"结束时间早于开始时间: {_show(text)}(这里不能跨夜;写反了会让这段时间全部不可用)",
                      f"ends before it starts: {_show(text)} (this window cannot wrap midnight; reversed, "
                      "nothing in it would ever be available)")
    return hours


def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (m := _TIME_RE.match(value)) and int(m[1]) < 24 and int(m[2]) < 60:
        return time(int(m[1]), int(m[2]))
    raise _wrong(value, "时刻,如 \"18:00\"", 'a time of day like "18:00"')


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _wrong(value, "日期,如 2027-02-05", "a date like 2027-02-05")


def _recurrence(value: Any) -> When | None:
    if value is False or (isinstance(value, str) and value.strip().lower() in ("", "off", "false", "关闭")):
        return None
    if isinstance(value, str):
        try:
            when = parse_recurrence(value)
        except WhenError:
            when = None
        if when is not None and when.cron:
            return when
    raise Invalid(f"看不懂的周期 {_show(value)}(例: \"每周一 09:00\"、\"每天 18:00\"、\"工作日 09:00\"、\"每月1日 10:00\"、"
                  "cron \"0 9 * * 1\";false 关闭)",
                  f"not a schedule: {_show(value)} (e.g. \"每周一 09:00\", cron \"0 9 * * 1\"; false turns it off)")


@dataclass(frozen=True)
class _Spec:
    """One field of a settings dataclass as the reader needs it."""

    name: str
    keys: tuple[str, ...]       # the TOML key first, then its aliases
    rule: Rule
    hint: Any
    required: bool


@functools.cache
def _schema(cls: type[Any]) -> tuple[tuple[_Spec, ...], frozenset[str]]:
    """A settings dataclass's fields and every TOML key (aliases included) it accepts; built once per class."""
    hints = typing.get_type_hints(cls)
    specs = tuple(_Spec(f.name, (rule_of(f).key or f.name, *rule_of(f).aliases), rule_of(f), hints[f.name],
                        f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
                  for f in dataclasses.fields(cls))
    return specs, frozenset(k for spec in specs for k in spec.keys)


class Reader:
    """Collects problems while converting TOML values to the annotated types of settings dataclasses."""

    def __init__(self, text: str, path: Path | None) -> None:
        self.path = str(path) if path else None
        self.text = text
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    @functools.cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)     # only a file with problems needs its lines

    def error(self, loc: Loc, zh: str, en: str) -> None:
        self.errors.append(Problem(loc.name, zh, en, self.lines.find(loc), self.path))

    def warn(self, loc: Loc, zh: str, en: str) -> None:
        self.warnings.append(Problem(loc.name, zh, en, self.lines.find(loc), self.path, warning=True))

    def unknown(self, loc: Loc, known: list[str], what: tuple[str, str] = ("配置项", "key")) -> None:
        key = loc.keys[-1] if loc.keys else loc.table
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint_zh = f",是不是 {close[0]}?" if close else f"(可用: {', '.join(known)})"
        hint_en = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
        self.error(loc, f"未知的{what[0]} {key}{hint_zh}", f"unknown {what[1]} '{key}'{hint_en}")

    # -- one dataclass from one TOML table

    def read(self, cls: type[Any], raw: Any, loc: Loc) -> Any | None:
        """An instance of `cls` from `raw`; a bad value is reported and its default kept. None when the
        table itself is wrong or a required key is missing or bad."""
        if not isinstance(raw, dict):
            self.error(loc, "应为一个表(如 [section] 或 {key = value})", "must be a table ([section] or {key = value})")
            return None
        specs, accepted = _schema(cls)
        for key in raw:
            if key not in accepted:
                section = loc == Loc("") and isinstance(raw[key], dict | list)
                self.unknown(loc.key(key), [spec.keys[0] for spec in specs],
                             ("配置段", "section") if section else ("配置项", "key"))
        values: dict[str, Any] = {}
        complete = True
        for spec in specs:
            given = [k for k in spec.keys if k in raw]
            if len(given) > 1:
                self.error(loc.key(given[1]), f"与 {given[0]} 是同一项,只能写一个", f"same setting as '{given[0]}'; write one")
            if not given:
                if spec.required:
                    self.error(loc.key(spec.keys[0]), f"缺少必填项 {spec.keys[0]}", f"missing required key '{spec.keys[0]}'")
                    complete = False
                continue
            value = self.field(spec.hint, raw[given[0]], loc.key(given[0]), spec.rule, _BAD)
            if value is _BAD:
                complete = complete and not spec.required
            else:
                values[spec.name] = value
        return cls(**values) if complete else None

    def field(self, hint: Any, raw: Any, loc: Loc, rule: Rule, default: Any) -> Any:
        """One value converted and checked; on a problem it is reported and `default` returned."""
        try:
            value = self.value(hint, raw, loc, rule)
            self._check(value, rule, loc)
            return value
        except Invalid as bad:
            if not isinstance(bad, _Reported):
                self.error(loc, bad.zh, bad.en)
            return default

    def _check(self, value: Any, rule: Rule, loc: Loc) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if rule.gt is not None and not value > rule.gt:
                raise Invalid(f"必须大于 {rule.gt:g},收到 {value:g}", f"must be greater than {rule.gt:g}, got {value:g}")
            if rule.ge is not None and not value >= rule.ge:
                raise Invalid(f"不能小于 {rule.ge:g},收到 {value:g}", f"must be at least {rule.ge:g}, got {value:g}")
            if rule.le is not None and not value <= rule.le:
                raise Invalid(f"不能大于 {rule.le:g},收到 {value:g}", f"must be at most {rule.le:g}, got {value:g}")
            if rule.warn_below is not None and value < rule.warn_below:
                self.warn(loc, f"{value:g} 小于 {rule.warn_below:g},真实微信号发送过快可能被封号",
                          f"{value:g} is below {rule.warn_below:g}: sending this fast risks a ban on a real account")
        if isinstance(value, str) and rule.choices and value not in rule.choices:
            raise Invalid(f"只能是 {' 或 '.join(rule.choices)},收到 {_show(value)}",
                          f"must be one of {', '.join(rule.choices)}, got {_show(value)}")
        if rule.items is not None and isinstance(value, tuple):
            lo, hi = rule.items
            for item in value:
                if not lo <= item <= hi:
                    raise Invalid(f"每一项应在 {lo} 到 {hi} 之间,收到 {item}", f"each item must be {lo}..{hi}, got {item}")
        if rule.check is not None and (bad := rule.check(value)):
            raise Invalid(*bad)

    # -- one value of an annotated type

    def value(self, hint: Any, raw: Any, loc: Loc, rule: Rule) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union) and type(None) in args:
            inner = next(a for a in args if a is not type(None))
            if raw == "" and inner is str:              # endpoint = "" means none
                return None
            return self.value(inner, raw, loc, rule)
        if hint is bool:
            if not isinstance(raw, bool):
                raise _wrong(raw, *_KIND_NAMES[bool])
            return raw
        if hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise _wrong(raw, *_KIND_NAMES[int])
            return raw
        if hint is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise _wrong(raw, *_KIND_NAMES[float])
            return float(raw)
        if hint is str:
            if not isinstance(raw, str):
                raise _wrong(raw, *_KIND_NAMES[str])
            return raw
        if hint is Hours:
            if not isinstance(raw, str):
                raise _wrong(raw, "时间段,如 \"08:30-21:30\"", 'hours like "08:30-21:30"')
            return parse_hours(raw, wrap=rule.wrap)
        if hint is time:
            return _clock(raw)
        if hint is date:
            return _date(raw)
        if hint is When:
            return _recurrence(raw)
        if dataclasses.is_dataclass(hint):            # a sub-table
            if (section := self.read(hint, raw, Loc(_table_of(loc)))) is None:
                raise _Reported()
            return section
        if origin in (tuple, frozenset):
            item = args[0]
            if isinstance(raw, str) and item is str:
                raw = [raw]
            if not isinstance(raw, list):
                raise _wrong(raw, "列表,如 [1, 2]", "a list like [1, 2]")
            if dataclasses.is_dataclass(item):       # [[table]] entries: bad ones are reported and left out
                read = (self.read(item, x, Loc(_table_of(loc), i)) for i, x in enumerate(raw))
                return tuple(x for x in read if x is not None)
            out = [self.field(item, x, loc.key(i), Rule(), _BAD) for i, x in enumerate(raw)]
            if _BAD in out:
                raise _Reported()
            return tuple(out) if origin is tuple else frozenset(out)
        if origin is Mapping or hint is Mapping:
            if not isinstance(raw, dict):
                raise _wrong(raw, "表,如 {a = \"b\"}", 'a table like {a = "b"}')
            items = {str(k): self.field(args[1], v, loc.key(k), Rule(), _BAD) for k, v in raw.items()}
            if _BAD in items.values():
                raise _Reported()
            return types.MappingProxyType(items)
        raise TypeError(f"no reader for {hint!r}")   # a programming error in kernel/settings.py


class _Reported(Invalid):
    """Items of a list were wrong and are reported already."""

    def __init__(self) -> None:
        super().__init__("", "")


# ---------------------------------------------------------------- the file

def load_toml(raw: bytes | str, path: Path | None) -> tuple[dict[str, Any] | None, str, Problem | None]:
    """(data, text, problem): the parsed TOML, or the one problem that stops reading it (encoding, syntax)."""
    where = str(path) if path else None
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")       # a BOM (Windows Notepad) is fine
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            return None, "", Problem(
                "(encoding)", "文件不是 UTF-8 编码(可能是 GBK),读不出里面的中文。请用编辑器「另存为 UTF-8」,"
                f"或运行 iconv -f GBK -t UTF-8 {where or '文件'} -o 新文件",
                "the file is not UTF-8 (perhaps GBK), so its Chinese text cannot be read. Save it as UTF-8 "
                "(e.g. iconv -f GBK -t UTF-8)", line, where)
    else:
        text = raw.removeprefix("\ufeff")
    try:
        return tomllib.loads(text), text, None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return None, text, Problem("(syntax)", f"TOML 语法错误: {exc}", f"TOML syntax error: {exc}",
                                   int(m.group(1)) if m else None, where)
