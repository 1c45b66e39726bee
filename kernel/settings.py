"""Typed, frozen settings: one dataclass per config section, read and checked once when the config loads.

Field names are the TOML keys; `setting(...)` records a field's rules (bounds, aliases, a different TOML
key, a check) for the reader in kernel/config_reader.py, which reports every violation with its line.
Code reads `config.needs.respond_minutes_urgent`, never the raw TOML.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from types import MappingProxyType
from typing import Any

from kernel.recurrence import When, parse_recurrence


@dataclass(frozen=True)
class Hours:
    """A daily window, e.g. 08:30–21:30 (a window may wrap midnight where the setting allows it)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


OFFICE_HOURS = Hours(time(8, 30), time(17, 30))


@dataclass(frozen=True)
class Rule:
    """How the reader checks one field (see `setting`)."""

    key: str | None = None             # TOML key when it differs from the field name
    aliases: tuple[str, ...] = ()      # accepted older/shorter spellings
    ge: float | None = None            # numbers: at least …
    gt: float | None = None            # numbers: more than …
    le: float | None = None            # numbers: at most …
    items: tuple[int, int] | None = None   # integer lists: each item within [lo, hi]
    warn_below: float | None = None    # numbers: allowed, but warned about below this
    wrap: bool = True                  # Hours: may the window wrap midnight (21:30-08:00)?
    choices: tuple[str, ...] = ()      # strings: one of these
    check: Callable[[Any], tuple[str, str] | None] | None = None   # returns (中文, English) when invalid


def setting(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None, **rule: Any) -> Any:
    """A dataclass field with reading rules; no default and no factory means the key is required."""
    meta = {"rule": Rule(**rule)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def rule_of(f: dataclasses.Field[Any]) -> Rule:
    return f.metadata.get("rule", Rule())


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


def _http_url(value: Any) -> tuple[str, str] | None:
    if isinstance(value, str) and not value.startswith(("http://", "https://")):
        return f"应以 http:// 或 https:// 开头,收到 {value!r}", f"must start with http:// or https://, got {value!r}"
    return None


def _networks(value: Any) -> tuple[str, str] | None:
    for item in value or ():
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            return f"不是 IP 地址或网段: {item!r}", f"not an IP address or network: {item!r}"
    return None


# ---------------------------------------------------------------- capability sections

@dataclass(frozen=True)
class NeedsSettings:
    """[needs]: the clocks of the needs lifecycle (minutes, hours, days as named)."""

    respond_minutes_urgent: float = setting(5.0, gt=0, aliases=("urgent_response_minutes",))
    respond_minutes_normal: float = setting(120.0, gt=0, aliases=("normal_response_minutes",))  # working minutes
    handle_minutes_urgent: float = setting(15.0, gt=0, aliases=("urgent_handle_minutes",))
    escalate_step_minutes_urgent: float = setting(5.0, gt=0)
    escalate_step_minutes_normal: float = setting(60.0, gt=0)    # working minutes
    merge_window_hours: float = setting(24.0, gt=0)
    merge_threshold: float = setting(0.2, gt=0, le=1)            # weighted token Jaccard (tests/test_needs_merge.py)
    close_after_days: float = setting(3.0, gt=0)
    rating_hours: float = setting(72.0, gt=0)                    # how long a bare "1"/"2"/"3" counts as a rating
    work_hours: Hours = setting(OFFICE_HOURS, wrap=False)        # office hours the working-minute clocks count in


@dataclass(frozen=True)
class BookingSettings:
    """[booking]: reminders, check-in and offers of function-room bookings (minutes unless named)."""

    reminder_minutes: int = setting(60, gt=0)          # remind this long before the start
    checkin_grace_minutes: int = setting(15, gt=0)     # not checked in this long after the start: released
    checkin_opens_minutes: int = setting(30, gt=0)     # 签到 accepted from this long before the start
    offer_minutes: int = setting(10, gt=0)             # a waitlist offer is held this long
    recurring_weeks: int = setting(8, gt=0)            # 每周X … creates this many weekly bookings
    default_minutes: int = setting(60, gt=0)           # length when only a start is given (≥ the room minimum)


@dataclass(frozen=True)
class EventSettings:
    """[events]: signups, rosters, reminders and check-in of events."""

    roster_minutes: int = setting(10, gt=0)            # at most one roster per group per this many minutes
    remind_day_before: time = setting(time(18, 0))     # local time, the day before the event
    remind_before_minutes: int = setting(60, gt=0)     # the second reminder
    max_party: int = setting(10, ge=1)                 # a party larger than this is surely a typo
    plus_one_hours: int = setting(24, gt=0)            # "+1" refers to an event noticed in the group this recently
    confirm_hours: int = setting(0, ge=0)              # default for new events: 0 = promotion is immediate
    checkin_before_minutes: int = setting(60, gt=0)    # check-in opens this long before the start
    attendance_hours: int = setting(3, gt=0)           # after start + this, check-in closes, no-shows counted
    no_show_block: int = setting(0, ge=0)              # this many no-shows block 低偿 signups (0 = off)
    no_show_block_days: int = setting(30, gt=0)
    room_minutes: int = setting(120, gt=0)             # a function room is booked this long when no end is given


DEFAULT_DIGEST = parse_recurrence("每周一 09:00")


@dataclass(frozen=True)
class PushSettings:
    """[pushes]: the weekly digest and the community's own holiday overrides."""

    digest: When | None = setting(DEFAULT_DIGEST)      # 本周活动 weekly digest; None (false in TOML): off
    holidays: frozenset[date] = setting(factory=frozenset)   # extra rest days (always win)
    workdays: frozenset[date] = setting(factory=frozenset)   # extra working days (调休)


@dataclass(frozen=True)
class SurveySettings:
    """[surveys]"""

    answer_timeout_minutes: int = setting(120, gt=0)   # a survey answered in chat waits this long for the next answer


@dataclass(frozen=True)
class InboxSettings:
    """[inbox]: the 24-hour web inbox."""

    list_limit: int = setting(200, ge=10, le=5000)     # needs shown on one inbox page


@dataclass(frozen=True)
class MaintenanceSettings:
    """[maintenance]: what the scheduled maintenance job (scheduler/maintenance.py) prunes, and how often."""

    every_minutes: int = setting(60, ge=1, le=1440)        # how often it runs
    outbox_keep_days: int = setting(30, ge=1)               # delivered / given-up replies to a message
    # Rows with a notice's own key (a reminder, a push, an escalation) are that notice's "sent once"
    # claim: kept longer, so a job looking back never sends twice. 0 = keep them for ever.
    outbox_keyed_keep_days: int = setting(180, ge=0)
    suggestion_keep_days: int = setting(90, ge=1)           # open / dismissed 未诉先办 suggestions
    batch: int = setting(5000, ge=100, le=100_000)          # rows deleted per table per run (the write lock is short)
    vacuum_pages: int = setting(1000, ge=0, le=100_000)    # SQLite: free pages (4 KB) returned per run (0: none)


@dataclass(frozen=True)
class PhotoSettings:
    """[photos]: 随手拍 — pictures residents and workers attach to needs (models/photos.py)."""

    max_mb: float = setting(10.0, gt=0, le=50)          # one photo as received; larger ones are refused politely
    max_per_need: int = setting(9, ge=1, le=50)         # photos kept on one need (WeChat sends at most 9 at once)
    max_pixels: int = setting(40_000_000, ge=1_000_000)  # decompression-bomb guard (pillow's own limit is 89 M)
    stored_edge: int = setting(2048, ge=320, le=8192)   # the stored copy's longest edge, pixels (re-encoded)
    thumb_edge: int = setting(320, ge=64, le=1024)      # thumbnails' longest edge, pixels
    window_minutes: float = setting(3.0, gt=0, le=60)   # a photo this close to its sender's need text joins it


@dataclass(frozen=True)
class SenderConfig:
    """[sender]: the anti-ban rate limit every send goes through (seconds), and the reply budget."""

    min_interval_s: float = setting(1.0, ge=0, warn_below=1)  # at least this long between two sends
    jitter_s: float = setting(0.6, ge=0)               # plus up to this much random jitter
    reply_burst: int = setting(3, ge=0)                # replies may use a small burst before the interval applies
    max_attempts: int = setting(8, ge=1)
    backoff_s: float = setting(2.0, gt=0)
    coalesce_max: int = setting(5, ge=1, le=20)        # under load, up to this many replies waiting for one group
                                                       # go as one message @-ing each resident; 1 = never merge
    # Reply budget (bot/flood.py): answered messages per window, then one notice, then silence; 0 = no limit.
    replies_per_person: int = setting(5, ge=0, le=1000)   # a resident's messages answered per window
    replies_per_group: int = setting(20, ge=0, le=1000)   # messages answered in one group per window
    budget_window_s: float = setting(60.0, ge=1, le=3600)


@dataclass(frozen=True)
class WebSettings:
    """[web]: the inbox / H5 / API server."""

    host: str = setting("127.0.0.1")
    port: int = setting(8080, ge=0, le=65535)          # 0: any free port
    base_url: str | None = setting(None, check=_http_url)   # public address for links in messages
    api_token_hours: int = setting(12, ge=1, le=720)   # an API bearer token (POST /api/token) lives this long
    trusted_proxies: tuple[str, ...] = setting((), check=_networks)   # reverse proxies whose X-Forwarded-For we believe


@dataclass(frozen=True)
class WecomSettings:
    """[wecom]: WeCom 智能机器人 chats and people (used when WECOM_BOT_ID/SECRET are set)."""

    groups: Mapping[str, str] = setting(factory=_empty)     # WeCom chat id → group topic (a grid group or staff group)
    users: Mapping[str, str] = setting(factory=_empty)      # WeCom user id → display name
    people: Mapping[str, str] = setting(factory=_empty)     # WeCom user id → a config person's id (worker, admin,
                                                            # department, resident): that user acts in that role
    webhooks: Mapping[str, str] = setting(factory=_empty)   # group topic → group-robot webhook URL


@dataclass(frozen=True)
class FaqEntry:
    q: tuple[str, ...] = setting()                     # questions / keywords that lead to this answer
    a: str = setting()                                 # the answer, as the bot sends it


@dataclass(frozen=True)
class KnowledgeSettings:
    """[knowledge]: what residents ask about the community centre, answered from here."""

    hours: str = setting("")                           # opening hours of the 党群服务中心, as people say them
    address: str = setting("")
    phones: Mapping[str, str] = setting(factory=_empty)     # who → number
    faq: tuple[FaqEntry, ...] = setting(())            # [[knowledge.faq]] entries (办事指南 included)
