"""Reading Chinese time expressions for room bookings and events.

Why our own grammar and not jionlp-time for everything: on the 64 phrasings of
tests/test_timeparse.py, raw jionlp-time 1.0.0 had the right start for 30 and the right start and
end for 18 (some misses are only its 上午 = 07:00–12:00 convention; the real ones: 明早/明儿 →
today, 周一 → a past Monday, 下午两点到四点 → 14:00–04:00, 3点到5点 → 03:00, 周末 → Sunday,
今晚 → the whole day, 1月5号 → last January, 中秋节 → a past date, 除夕 → error, durations
ignored, spans ending at :59, "2号琴房" → the 2nd).
Correcting each mistake after the fact was more code than reading the small language residents
actually use. jionlp-time keeps the part it is good at and we are not: calendar knowledge —
lunar dates (腊月初八, 农历八月十五, 正月十五) and solar terms (冬至). It is imported lazily,
only when such a word appears, so ordinary messages never pay for it.

Conventions (all documented choices, each echoed back to the resident by `describe`):

- Parts of day without clock times read as these spans (clipped to opening hours when given):
  凌晨 00:00–06:00, 早上/早晨/清晨/一早 07:00–09:00, 上午 09:00–12:00, 中午 12:00–14:00,
  下午/午后 14:00–18:00, 傍晚 17:00–19:00, 晚上/晚间/夜里/今晚 19:00–21:00.
  Such readings have `vague=True` and `has_end=False`; callers may ask for exact hours.
- A date alone (明天) reads as the opening hours of that day, or the whole day.
- Hours with a part of day: 下午3点 → 15:00, 中午1点 → 13:00, 晚上12点 → 24:00, 晚上1点 → 01:00
  next day. Hours ≥ 13, "0点" and zero-padded "08:00" are taken literally.
- A bare hour 1–12 (3点, 8:00, 12点) has two readings (12点: noon or midnight). Readings already
  past are dropped; with opening hours, readings outside them are dropped (3点 → 15:00, and 8点 →
  20:00 for a room open 08:30–21:30, 12点 → noon). If two readings of one day are still left the
  result is `ambiguous` and the first is the habit reading: 1–6 → afternoon/evening, 7–11 →
  morning, 12 → noon.
- A bare end hour takes the first reading after the start (下午3点到5点 → 17:00, 中午12点到1点 →
  13:00, 10点到2点 → 14:00). Bare ranges cross noon only from a morning hour 7–11. Any dash
  (-, —, ——, ～, ~), 到 or 至 separates a range; neighbouring hours said together are one too:
  七八点 / 7、8点 → 7 to 8 (晚上七八点 → 19:00–20:00).
- Weekdays: 周X / 星期X / 礼拜X / 每周X roll forward — today if the reading is still ahead, else
  the next such day (never a past day). 这周X / 本周X is this calendar week (Monday-start) and may be
  past (→ in_past; when it is today, a vague span keeps the rest of today); 下周X is the X of next
  calendar week (said on a Sunday, 下周三 is three days later); 下下周X the week after. The week and
  the weekday may be apart and in any form (下礼拜的星期四, 下个星期 周3); 下周 with hours but no
  weekday (下周下午3点) is `which_day`: the bot asks which day instead of guessing this week.
  周末 is the next weekend day still ahead: Saturday, or Sunday when Saturday's reading has passed.
- No day at all (下午3点, 3点到5点): today if still ahead, else tomorrow. A day named after the
  hours (3点 明天, 下午两点到四点 后天) is their day, unless hours of its own follow it (then it starts
  a second choice: "下午3点，后天下午4点也行" reads today).
- Colloquial days: 今儿(个), 明儿(个), 后儿(个), 昨儿(个), 前儿个, 大后天, 大大后天 (four days on).
  Filler between the parts of one phrase is skipped: 的, 个, 那天, 那个, 当天 (周六那天下午3点).
- 今天/今晚/no day with only a part of day, when now is inside that span: the span starts at the
  next half hour (今晚 said at 20:10 → 20:30–21:00).
- M月D日, 12.5, 12-5, 12/5 (each may end in 号/日) without a year: this year; a date that passed
  within 120 days is this year's and in_past (the bot asks), an older one is next year's (1月5号
  said in November). D号 alone: this month, also when it passed within 7 days (in_past), else next
  month. Numbers followed by hours, money or a count are not dates (3-5点, 3.5小时, 2.5元).
- Festivals, lunar dates and solar terms: the next one, today included. 春节前一天 / 元旦后两天
  move by the days said; 国庆后 / 春节前 without a count are the first working day after the
  holiday's rest days (the last one before them), from the holiday calendar (`calendar`,
  kernel/calendar_cn, so the config's listed holidays count).
- 每周X / 每天 / 每晚 set `recurrence`; start/end are the first occurrence.
- in_past: the start is before now (to the minute). Errors keep start/end when there is a
  reading to show (in_past, end_before_start); none_found, invalid_date (2月30号) and which_day
  have none. `ask` is true for every error and for an ambiguous reading: the bot asks the resident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from kernel.text.numbers import cn_to_int

if TYPE_CHECKING:
    from kernel.calendar_cn import WorkCalendar

NONE_FOUND = "none_found"
INVALID_DATE = "invalid_date"
END_BEFORE_START = "end_before_start"
IN_PAST = "in_past"
WHICH_DAY = "which_day"   # 下周 / 下礼拜 with hours but no weekday: ask which day rather than guess
DAY_MISMATCH = "day_mismatch"   # "12月8号周三": the date is a Tuesday; ask rather than pick one of the two
OPEN_START = "open_start"   # "明天4点前": an end only; ask when to start
TWO_TIMES = "two_times"   # "周六下午2点到4点 周日下午2点到4点": two bookings in one message; one at a time
TWO_DAYS = "two_days"     # "明天或者后天下午", "下周三、周四": two days offered; ask which one

Recurrence = Literal["daily", "weekly"]


@dataclass(frozen=True, slots=True)
class TimeReading:
    """What a message says about time. `start`/`end` are aware datetimes in the caller's tz."""

    start: datetime | None = None
    end: datetime | None = None
    error: str | None = None          # NONE_FOUND, INVALID_DATE, END_BEFORE_START, IN_PAST
    ambiguous: bool = False           # several readings fit; `start`/`end` is the first of them
    alternatives: tuple[tuple[datetime, datetime | None], ...] = ()  # all readings, best first
    has_end: bool = False             # the text gave an end time or a duration
    vague: bool = False               # no clock time: a part of day (上午) or a date alone
    matched: str = ""                 # the substring that was read
    recurrence: Recurrence | None = None   # 每天 / 每周X: start is the first occurrence
    weekly_weekday: int | None = None      # 0 = Monday … 6 = Sunday, for 每周X
    part: str | None = None                # the part of day (上午, 晚上…) when no clock time was said
    before: bool = False                   # "4点前": the hours said are a limit, not the start (a booking asks)
    dated: bool = False                    # a day was named (明天, 周三, 12月2日); False: hours alone ("两点到四点")

    @property
    def ok(self) -> bool:
        return self.error is None and self.start is not None

    @property
    def ask(self) -> bool:
        """The bot should ask the resident rather than act on this reading."""
        return not self.ok or self.ambiguous


# --- vocabulary ------------------------------------------------------------------------------

_CN = "零〇一二两三四五六七八九十"
# Hours 0–24 in digits or Chinese. "一" is not an hour after 快/早/晚/多… ("早一点" = a bit earlier)
# nor in 一点儿/一点点.
_HOUR = (r"(?:(?<!\d)(?:2[0-4]|[01]?\d)(?!\d)"
         r"|二十[一二三四]?|十[一二三四五六七八九]?|(?<![快慢早晚多少大小好近远高低长短差有])一(?!点[儿点])"
         r"|[零〇二两三四五六七八九])")
_MINUTE = (r"(?:半|一刻|三刻|整|[0-5]\d分?|\d分|[二三四五]十[一二三四五六七八九]?分?"
           r"|十[一二三四五六七八九]?分?|零[一二三四五六七八九]分?|[一二三四五六七八九]分)")
_SEP = r"(?:到|至|~+|-+|—+|–+|－+|−|〜)"
_PART_WORDS = ("凌晨|清晨|早晨|早上|一早|上半天|上午|中午|午间|下半天|下午|午后|傍晚|晚上|晚间|夜里|夜间|夜晚|半夜")
_DAY_NUM = r"(?:[12]\d|3[01]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_MONTH_NUM = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_LUNAR_DAY = r"(?:初[一二三四五六七八九十]|廿[一二三四五六七八九]|二十[一二三四五六七八九]?|三十|十[一二三四五六七八九]?|[一二三四五六七八九])"
_LUNAR_MONTH = r"(?:正|冬|腊|十[一二]?|[一二三四五六七八九])"
# What may follow "N号" when it is a building, room, line or seat rather than a date.
_NOT_DATE_AFTER_HAO = r"(?![楼栋幢房室门单元院线车位床厅馆场区座层期届琴舞])"

# Fixed solar festivals: no need for a library.
_FIXED_FESTIVALS: dict[str, tuple[int, int]] = {
    "元旦": (1, 1), "妇女节": (3, 8), "三八节": (3, 8), "植树节": (3, 12), "劳动节": (5, 1),
    "五一": (5, 1), "青年节": (5, 4), "儿童节": (6, 1), "建党节": (7, 1), "建军节": (8, 1),
    "教师节": (9, 10), "国庆节": (10, 1), "国庆": (10, 1), "平安夜": (12, 24), "圣诞节": (12, 25),
    "圣诞": (12, 25),
}
# Lunar festivals and solar terms: jionlp-time knows the calendar. Value: (query, days to add).
_CALENDAR_FESTIVALS: dict[str, tuple[str, int]] = {
    "春节": ("农历正月初一", 0), "大年初一": ("农历正月初一", 0), "除夕": ("农历正月初一", -1),
    "元宵节": ("农历正月十五", 0), "元宵": ("农历正月十五", 0), "龙抬头": ("农历二月初二", 0),
    "端午节": ("农历五月初五", 0), "端午": ("农历五月初五", 0), "七夕": ("农历七月初七", 0),
    "中秋节": ("农历八月十五", 0), "中秋": ("农历八月十五", 0), "重阳节": ("农历九月初九", 0),
    "重阳": ("农历九月初九", 0), "腊八节": ("农历腊月初八", 0), "腊八": ("农历腊月初八", 0),
    "小年": ("农历腊月二十三", 0),
    # Solar terms people hold events on; weather-like ones (大雪, 小寒…) are left out on purpose.
    "清明节": ("清明", 0), "清明": ("清明", 0), "冬至": ("冬至", 0), "夏至": ("夏至", 0),
    "立春": ("立春", 0), "春分": ("春分", 0), "立夏": ("立夏", 0), "立秋": ("立秋", 0),
    "秋分": ("秋分", 0), "立冬": ("立冬", 0), "小寒": ("小寒", 0), "大寒": ("大寒", 0),
    "惊蛰": ("惊蛰", 0), "谷雨": ("谷雨", 0), "小满": ("小满", 0), "芒种": ("芒种", 0),
    "处暑": ("处暑", 0), "白露": ("白露", 0), "寒露": ("寒露", 0), "霜降": ("霜降", 0),
}
# Solar terms that are also weather words ("明天大雪"): a day only when said as one ("大雪那天", "小暑下午").
_WEATHER_TERMS = ("雨水", "小暑", "大暑", "小雪", "大雪")
_WEATHER_TERM_AS_DAY = r"(?=\s*(?:那天|当天|这天|节气|[前后]|的?(?:早上|上午|中午|下午|傍晚|晚上)))"
_FLOATING_FESTIVALS = ("母亲节", "父亲节", "感恩节")


_RELPART = {"今早": (0, "早上"), "今晨": (0, "早上"), "今晚": (0, "晚上"), "今夜": (0, "晚上"),
            "今早上": (0, "早上"), "今晚上": (0, "晚上"), "明早上": (1, "早上"), "明晚上": (1, "晚上"),
            "明早": (1, "早上"), "明晨": (1, "早上"), "明晚": (1, "晚上"),
            "昨晚": (-1, "晚上"), "昨夜": (-1, "晚上")}
# Colloquial forms too: 明儿个, 后儿个 (northern speech), 大大后天 (four days on).
_REL = {"大前天": -3, "前天": -2, "前儿个": -2, "昨天": -1, "昨日": -1, "昨儿": -1, "昨儿个": -1,
        "今天": 0, "今日": 0, "今儿": 0, "今儿个": 0, "明天": 1, "明日": 1, "明儿": 1, "明儿个": 1,
        "后天": 2, "后儿": 2, "后儿个": 2, "大后天": 3, "大后儿": 3, "大后儿个": 3, "大大后天": 4}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_FESTIVAL_RE = (_alternation([*_FIXED_FESTIVALS, *_CALENDAR_FESTIVALS, *_FLOATING_FESTIVALS])
                + f"|(?:{_alternation(_WEATHER_TERMS)}){_WEATHER_TERM_AS_DAY}")
_COUNT = r"(?:\d{1,2}|[一二两俩三四五六七八九十]{1,3})"
# "七八点", "两三点", "7、8点": two neighbouring hours said as one range.
_HOUR_PAIRS = {"一两": (1, 2), "两三": (2, 3), "二三": (2, 3), "三四": (3, 4), "四五": (4, 5), "五六": (5, 6),
               "六七": (6, 7), "七八": (7, 8), "八九": (8, 9), "九十": (9, 10), "十十一": (10, 11),
               "十一二": (11, 12), "十一十二": (11, 12)}

# One token per alternative; order matters where two could start at the same place.
_TOKEN_RE = re.compile(
    rf"(?P<fest>(?:{_FESTIVAL_RE})(?:[之以]?[前后](?:{_COUNT}天)?)?)"
    rf"|(?P<lunar>(?:农历|阴历){_LUNAR_MONTH}月{_LUNAR_DAY}|[正冬腊]月{_LUNAR_DAY}"
    rf"|{_LUNAR_MONTH}月[初廿][一二三四五六七八九十])"
    rf"|(?P<ymd>(?<!\d)\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?!\d)"
    rf"|(?:(?:\d{{4}}|明年|今年)年?)?{_MONTH_NUM}月{_DAY_NUM}[日号]?)"
    rf"|(?P<slash>(?<![\d/])(?:1[0-2]|0?[1-9])/(?:[12]\d|3[01]|0?[1-9])(?:[号日]{_NOT_DATE_AFTER_HAO})?(?![\d/]))"
    # 12.5 / 12-5: a month and day unless hours, money or a count follows ("3-5点", "3.5小时").
    # "下午2-4", "上午 9到11": a part of day, then two bare numbers joined as a range, are hours.
    rf"|(?P<hrange>(?<=[午上晨晚])\s*{_HOUR}\s*{_SEP}\s*{_HOUR}(?![\d点时:：.个天号月日分岁斤元块%]|\s*(?:小时|钟|个)))"
    rf"|(?P<mdot>(?<![\d.:/\-－])(?:1[0-2]|0?[1-9])[.\-－](?:[12]\d|3[01]|0?[1-9])"
    rf"(?:[号日]{_NOT_DATE_AFTER_HAO})?(?![\d.\-－]|\s*(?:[点时:：个元块天分米斤岁楼栋层室号%]|小时|钟)))"
    rf"|(?P<monthday>(?:下下个?|下个?|本|这个?)月{_DAY_NUM}[日号]?)"
    rf"|(?P<relpart>{_alternation(_RELPART)})"
    rf"|(?P<rel>{_alternation(_REL)})"
    rf"|(?P<ndays>(?:\d{{1,2}}|[{_CN}]{{1,3}})天(?:以|之)?后)"
    r"|(?P<week>(?:每个?|这个?|本|下下个?|下个?|上个?)?(?:周|星期|礼拜)[一二三四五六日天末1-7])"
    r"|(?P<weekrel>(?:这个?|本|下下个?|下个?|上个?)(?:周|星期|礼拜))"
    r"|(?P<daily>每天|每日|每晚)"
    # Days left open: 明后天 (tomorrow or the day after), 改天下午 / 过两天上午 (some day soon): ask which.
    rf"|(?P<someday>明后天|明后两天|(?:改天|过两天|过几天|这两天|这几天|近两天|近几天|过些天|哪天)"
    rf"(?=\s*(?:{_PART_WORDS}|{_HOUR}\s*[点时:])))"
    rf"|(?P<hao>(?<![\d月]){_DAY_NUM}[号日]{_NOT_DATE_AFTER_HAO})"
    r"|(?P<dur>(?:\d+(?:\.\d+)?|[一二两俩三四五六七八九十]{1,3})\s*个?\s*半?\s*多?\s*(?:小时|钟头|钟(?![点头]))"
    r"|半\s*个?\s*(?:小时|钟头)|(?:\d+|[一二两俩三四五六七八九十]{1,3})\s*分钟)"
    rf"|(?P<pair>(?:{_alternation(_HOUR_PAIRS)})\s*[点时]钟?"
    r"|(?<![\d.:])(?:1[0-2]|[1-9])\s*[、,，/]\s*(?:1[0-2]|[1-9])\s*[点时]钟?)"
    rf"|(?P<clock>(?<!\d)(?:2[0-4]|[01]?\d)[:：][0-5]\d(?!\d)|{_HOUR}\s*[点时](?!候)钟?{_MINUTE}?)"
    rf"|(?P<barehour>{_HOUR}(?=\s*{_SEP}\s*(?:{_PART_WORDS})?\s*{_HOUR}\s*[点时:：]))"
    rf"|(?P<part>{_PART_WORDS}|[早晚](?=\s*{_HOUR}\s*(?:[点时:]|{_SEP}\s*{_HOUR})))"
    rf"|(?P<sep>{_SEP})"
    r"|(?P<before>(?:之|以)?前(?![天一两三四五几后]))"
)
# Characters and filler words allowed between the tokens of one expression ("周六那天下午3点").
_GAP_RE = re.compile(r"(?:[\s的,，、从在(（)）个吧啊呀哈哦就]|那天|那个|当天|这天|的话|然后|大概|大约|差不多)*")

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             **{str(i): i - 1 for i in range(1, 8)}}
_WEEKDAY_NAMES = "一二三四五六日"

# Canonical part of day → default span in minutes after midnight.
_PART_SPANS: dict[str, tuple[int, int]] = {
    "凌晨": (0, 360), "早上": (420, 540), "上午": (540, 720), "中午": (720, 840),
    "下午": (840, 1080), "傍晚": (1020, 1140), "晚上": (1140, 1260),
}
_PART_ALIASES = {
    "清晨": "早上", "早晨": "早上", "一早": "早上", "早": "早上", "午间": "中午", "午后": "下午",
    "晚间": "晚上", "夜里": "晚上", "夜间": "晚上", "夜晚": "晚上", "晚": "晚上", "半夜": "凌晨",
    "上半天": "上午", "下半天": "下午",
}

# Community words that look like times ("四点半课堂" is an after-school class, not 16:30).
_BUILTIN_NOISE = ("四点半课堂", "4点半课堂", "4:30课堂", "4：30课堂", "四点半学堂")


def strip_noise(text: str, words: Iterable[str] = ()) -> str:
    """Blank out room names, aliases and class names that would read as dates or times.

    Each word (and the built-in community names such as 四点半课堂) is replaced by one space, so
    the words on either side stay separate tokens. Longer words go first ("2号琴房" before "琴房").
    """
    all_words = [w for w in {*_BUILTIN_NOISE, *words} if w]
    if not all_words:
        return text
    return re.sub(_alternation(all_words), " ", text)


# --- tokens and expressions ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


_CLOCKISH = frozenset({"clock", "barehour", "pair", "hrange", "part"})


@dataclass(slots=True)
class _Expr:
    """The slots of one time expression, filled left to right."""

    tokens: list[_Token] = field(default_factory=list)
    day: _Token | None = None
    part: str | None = None
    clock: _Token | None = None
    sep: bool = False
    end_day: _Token | None = None
    end_part: str | None = None
    end_clock: _Token | None = None
    duration: int | None = None  # minutes
    week_prefix: _Token | None = None  # "下礼拜" still waiting for its weekday ("下礼拜的星期四")
    before: bool = False               # "4点前": the hours said are the end, the start is open
    restated: _Token | None = None     # "12月8号(周二)": the weekday said beside the date

    def accept(self, tok: _Token, next_kind: str | None = None) -> bool:
        """Take the token if it fits the grammar [day][part][clock][sep [day][part]clock][duration][day].

        `next_kind` is the kind of the adjacent token after this one, if any: a day named after the
        hours ("3点 明天") belongs to them only when no other hours follow it."""
        k = tok.kind
        if self.duration is not None:
            return False
        if k == "before":
            if self.clock is None or self.sep or self.before:
                return False
            self.before = True
        elif k == "dur":
            if not (self.day or self.part or self.clock):
                return False
            self.duration = _duration_minutes(tok.text)
        elif k == "sep":
            if self.sep or not (self.day or self.part or self.clock):
                return False
            self.sep = True
        elif k in ("pair", "hrange"):
            if self.sep or self.clock is not None:
                return False
            first, second = _read_pair(tok.text) if k == "pair" else _read_hrange(tok.text)
            self.clock = _Token("barehour", str(first), tok.start, tok.end)
            self.end_clock = _Token("barehour", str(second), tok.start, tok.end)
            self.sep = True
        elif k in ("clock", "barehour"):
            if not self.sep and self.clock is None:
                self.clock = tok
            elif self.sep and self.end_clock is None:
                self.end_clock = tok
            else:
                return False
        elif k == "part":
            if not self.sep and self.part is None and self.clock is None:
                self.part = _canonical_part(tok.text)
            elif self.sep and self.end_part is None and self.end_clock is None:
                self.end_part = _canonical_part(tok.text)
            else:
                return False
        elif k == "weekrel":
            if self.week_prefix is not None or self.day is not None or (self.sep and self.end_clock is None):
                return False
            self.week_prefix = tok
        else:  # a day word
            if k == "week" and self.week_prefix is not None:
                tok = _merge_week(self.week_prefix, tok)
                if tok is None:
                    return False
                self.week_prefix = None
                k = "week"
            if (self.day is not None and self.restated is None and k not in ("relpart", "daily", "someday")
                    and self.day.kind not in ("daily", "someday") and k != self.day.kind
                    and not (self.sep or self.part or self.clock)):
                # "11月27日(周五)", "周六 12月5号", "12月24号平安夜": the second names the same day again
                # (checked when read)
                self.restated = tok
            elif not self.sep and self.day is None and self.part is None and self.clock is None:
                self.day = tok
                if k == "relpart":
                    self.part = _RELPART[tok.text][1]
                elif tok.text == "每晚":
                    self.part = "晚上"
            elif self.sep and self.end_day is None and self.end_part is None and self.end_clock is None:
                self.end_day = tok
                if k == "relpart":
                    self.end_part = _RELPART[tok.text][1]
            elif (self.day is None and self.end_day is None and (self.clock or self.part)
                  and (not self.sep or self.end_clock is not None) and k not in ("relpart", "daily")
                  and next_kind not in _CLOCKISH):
                self.day = tok  # "下午3点 明天", "3点到5点 明儿": the day named after the hours
            else:
                return False
        self.tokens.append(tok)
        return True

    @property
    def useful(self) -> bool:
        return bool(self.day or self.part or self.clock)


def _merge_week(prefix: _Token, week: _Token) -> _Token | None:
    """"下礼拜" + "星期四" → one token "下星期四" spanning both; None if the weekday has its own prefix."""
    if not re.match(r"(?:周|星期|礼拜)", week.text):
        return None
    m = re.match(r"下下个?|下个?|这个?|本|上个?", prefix.text)
    assert m is not None
    return _Token("week", m.group() + week.text, prefix.start, week.end)


def _read_pair(s: str) -> tuple[int, int]:
    s = re.sub(r"\s|[点时钟]", "", s)
    if s in _HOUR_PAIRS:
        return _HOUR_PAIRS[s]
    first, second = re.split(r"[、,，/]", s)
    return int(first), int(second)


def _read_hrange(s: str) -> tuple[int, int]:
    first, second = (x for x in re.split(_SEP, s.strip()) if x.strip())
    return cn_to_int(first.strip()), cn_to_int(second.strip())


def _canonical_part(word: str) -> str:
    return _PART_ALIASES.get(word, word)


def _expressions(text: str) -> list[_Expr]:
    """Group adjacent tokens (only spaces, 的, commas, 那天 between) into expressions."""
    tokens = [_Token(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    adjacent = [i > 0 and _GAP_RE.fullmatch(text, tokens[i - 1].end, tok.start) is not None
                for i, tok in enumerate(tokens)]
    exprs: list[_Expr] = []
    current = _Expr()
    joinable = False
    for i, tok in enumerate(tokens):
        next_kind = tokens[i + 1].kind if i + 1 < len(tokens) and adjacent[i + 1] else None
        if not (joinable and adjacent[i] and current.accept(tok, next_kind)):
            if current.useful:
                exprs.append(current)
            current = _Expr()
            joinable = current.accept(tok, next_kind)
            if not joinable:
                current = _Expr()
                continue
        joinable = True
    if current.useful:
        exprs.append(current)
    return exprs


_LATE_DUR_RE = re.compile(r"(?<![\d一二两俩三四五六七八九十])((?:\d+(?:\.\d+)?|[一二两俩三四五六七八九十]{1,3})\s*个?\s*半?\s*"
                          r"(?:小时|钟头)|半\s*个?\s*(?:小时|钟头)|(?:\d+|[一二两俩三四五六七八九十]{1,3})\s*分钟)"
                          r"(?!\s*(?:前|后|以[前后]|之[前后]|内|左右就))")


def _late_duration(expr: _Expr, text: str) -> None:
    """"周六上午九点 书画室 写毛笔字 两个钟头": a length said after other words still belongs to the hours."""
    if expr.clock is None or expr.sep or expr.duration is not None or expr.end_clock is not None:
        return
    found = _LATE_DUR_RE.findall(text, expr.tokens[-1].end)
    if len(found) == 1:
        expr.duration = _duration_minutes(found[0])


# --- small readers ---------------------------------------------------------------------------

def _duration_minutes(s: str) -> int:
    s = re.sub(r"\s+", "", s)
    if s.endswith("分钟"):
        return cn_to_int(s[:-2])
    if s.startswith("半"):
        return 30
    m = re.match(r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十]+)个?(半)?", s)
    assert m is not None
    raw = m.group(1)
    hours = float(raw) if raw[0].isdigit() else float(cn_to_int(raw))
    return round((hours + (0.5 if m.group(2) else 0)) * 60)


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int
    minute: int
    literal: bool  # 24-hour meaning is certain (≥13, 0, zero-padded)


def _read_clock(tok: _Token) -> _Clock:
    s = re.sub(r"\s+", "", tok.text)
    m = re.fullmatch(r"(\d{1,2})[:：](\d{2})", s)
    if m:
        h = int(m.group(1))
        return _Clock(h, int(m.group(2)), h == 0 or h >= 13 or m.group(1).startswith("0"))
    if tok.kind == "barehour":
        h = cn_to_int(s)
        return _Clock(h, 0, h == 0 or h >= 13 or s.startswith("0"))
    m = re.fullmatch(r"(.+?)[点时]钟?(.*)", s)
    assert m is not None
    h_text, rest = m.group(1), m.group(2)
    h = cn_to_int(h_text)
    if rest in ("", "整"):
        minute = 0
    elif rest == "半":
        minute = 30
    elif rest == "一刻":
        minute = 15
    elif rest == "三刻":
        minute = 45
    else:
        minute = cn_to_int(rest.removesuffix("分"))
    return _Clock(h, minute, h == 0 or h >= 13 or h_text.startswith("0"))


def _with_part(part: str, h: int) -> int:
    """Hour (may exceed 23: next day) that `h` means after a part of day."""
    if h >= 13 or h == 0:
        return h
    if part == "凌晨":
        return h % 12
    if part in ("早上", "上午"):
        return h
    if part == "中午":
        return h if h >= 11 else h + 12
    if part == "下午":
        return h if h == 12 else h + 12
    # 傍晚 / 晚上: 晚上12点 is midnight, 晚上1点 the small hours of the next day.
    if h == 12:
        return 24
    return h + 24 if h <= 4 else h + 12


def _habit_hours(h: int) -> list[int]:
    """Both readings of a bare hour 1–12, the habitual one first (12点: noon, else midnight)."""
    if h == 0 or h > 12:
        return [h]
    if h == 12:
        return [12, 24]
    return [h + 12, h] if h <= 6 else [h, h + 12]


# --- days ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Days:
    candidates: tuple[date, ...]   # in order of preference; the first still ahead wins
    clip_today: bool = False       # a vague span today may start at the next half hour
    recurrence: Recurrence | None = None
    weekday: int | None = None


class _InvalidDate(Exception):
    pass


def _safe_date(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise _InvalidDate from None


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _read_days(tok: _Token | None, today: date, calendar: WorkCalendar | None = None) -> _Days:
    if tok is None:
        return _Days((today, today + timedelta(days=1)), clip_today=True)
    k, s = tok.kind, tok.text
    if k == "rel":
        return _Days((today + timedelta(days=_REL[s]),), clip_today=True)
    if k == "relpart":
        return _Days((today + timedelta(days=_RELPART[s][0]),), clip_today=True)
    if k == "daily":
        return _Days((today, today + timedelta(days=1)), clip_today=True, recurrence="daily")
    if k == "someday":
        return _Days((today,))   # read as an error: which day is meant
    if k == "ndays":
        return _Days((today + timedelta(days=cn_to_int(re.sub(r"天.*", "", s))),))
    if k == "week":
        return _read_week(s, today)
    if k == "ymd":
        return _Days((_read_ymd(s, today),))
    if k in ("slash", "mdot"):
        mo, d = (int(x) for x in re.split(r"[/.\-－]", s.rstrip("号日")))
        return _Days((_month_day(mo, d, today),))
    if k == "monthday":
        m = re.fullmatch(r"(下下个?|下个?|本|这个?)月(.+?)[日号]?", s)
        assert m is not None
        months = {"下下": 2, "下": 1}.get(m.group(1).rstrip("个"), 0)
        y, mo = divmod(today.month - 1 + months, 12)
        return _Days((_safe_date(today.year + y, mo + 1, cn_to_int(m.group(2))),))
    if k == "hao":
        d = cn_to_int(s[:-1])
        # Not yet, or only days ago (a slip to ask about, not a plan a month ahead): this month.
        if d >= today.day or today.day - d <= _RECENT_DAY_DAYS:
            return _Days((_safe_date(today.year, today.month, d),))
        y, mo = divmod(today.month, 12)
        return _Days((_safe_date(today.year + y, mo + 1, d),))
    if k == "lunar":
        return _Days((_festival_date(s, today),))
    if k == "fest":
        return _Days((_relative_to_festival(s, today, calendar),))
    raise AssertionError(k)


def _same_day(days: _Days, restated: _Token, today: date, calendar: WorkCalendar | None) -> date | None:
    """The day both words name ("周六" and "12月5号"), or None when they name different days."""
    if restated.kind == "week" and re.fullmatch(r"(?:周|星期|礼拜).", restated.text):
        said = _WEEKDAYS.get(restated.text[-1])   # a bare weekday only restates the date's weekday
        if said is None:
            return days.candidates[0]
        return days.candidates[0] if days.candidates[0].weekday() == said else None
    if len(days.candidates) > 1:
        other = _read_days(restated, today, calendar)   # "周六 12月5号": the date picks the Saturday
        same = [d for d in other.candidates if d in days.candidates]
        return same[0] if same else None
    other = _read_days(restated, today, calendar)
    return days.candidates[0] if days.candidates[0] in other.candidates else None


def _read_week(s: str, today: date) -> _Days:
    m = re.fullmatch(r"(每个?|这个?|本|下下个?|下个?|上个?)?(?:周|星期|礼拜)(.)", s)
    assert m is not None
    prefix = (m.group(1) or "").rstrip("个")
    which = m.group(2)
    weekdays = [5, 6] if which == "末" else [_WEEKDAYS[which]]
    if prefix in ("", "每"):
        # Roll forward: the next days with these weekdays, today included.
        days = [today + timedelta(days=i) for i in range(14) if (today.weekday() + i) % 7 in weekdays]
        return _Days(tuple(days[:4]),
                     recurrence="weekly" if prefix == "每" else None,
                     weekday=weekdays[0] if prefix == "每" else None)
    offset = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1}[prefix]
    monday = _monday(today) + timedelta(weeks=offset)
    return _Days(tuple(monday + timedelta(days=w) for w in weekdays), clip_today=True)


# A month-day date that passed at most this long ago was meant for this year (the resident slipped,
# or means a past day: ask); older ones mean next year ("1月5号" said in November). The events
# handler draws the same line from the other side: more than 240 days ahead is a past date.
_RECENT_DATE_DAYS = 120
# "2号" said on the 3rd: a day that passed this recently is this month's (ask), not next month's.
_RECENT_DAY_DAYS = 7


def _month_day(mo: int, d: int, today: date) -> date:
    """M月D日 / 12.5 / 12/5 without a year: the coming one, or this year's if it passed recently."""
    try:
        this_year = date(today.year, mo, d)
    except ValueError:
        return _this_or_next_year(mo, d, today)   # 2月29日 outside a leap year
    if this_year >= today or (today - this_year).days <= _RECENT_DATE_DAYS:
        return this_year
    return _safe_date(today.year + 1, mo, d)


def _this_or_next_year(mo: int, d: int, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            day = date(year, mo, d)
        except ValueError:
            continue  # 2月29日 outside a leap year: try the next year
        if day >= today:
            return day
    raise _InvalidDate


def _read_ymd(s: str, today: date) -> date:
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", s)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(?:(\d{4}|明年|今年)年?)?(.+?)月(.+?)[日号]?", s)
    assert m is not None
    mo, d = cn_to_int(m.group(2)), cn_to_int(m.group(3))
    year = m.group(1)
    if year is None:
        return _month_day(mo, d, today)
    y = {"今年": today.year, "明年": today.year + 1}.get(year) or int(year)
    return _safe_date(y, mo, d)


def _festival_date(word: str, today: date) -> date:
    """The next date (today included) of a festival, lunar date or solar term."""
    if word in _FIXED_FESTIVALS:
        mo, d = _FIXED_FESTIVALS[word]
        return _this_or_next_year(mo, d, today)
    candidates: list[date] = []
    for year in (today.year - 1, today.year, today.year + 1):
        if word in _FLOATING_FESTIVALS:
            candidates.append(_floating_festival(word, year))
            continue
        query, shift = _CALENDAR_FESTIVALS.get(word, (word, 0))
        found = _jionlp_date(query, year)
        if found is not None:
            candidates.append(found + timedelta(days=shift))
    ahead = sorted(c for c in candidates if c >= today)
    if not ahead:
        raise _InvalidDate
    return ahead[0]


def _relative_to_festival(text: str, today: date, calendar: WorkCalendar | None) -> date:
    """春节 / 春节前一天 / 国庆后 / 中秋节前两天: the next festival, moved by the days said.

    "X后" / "X前" without a count is the first working day after the festival's rest days (or the
    last one before them), from the holiday calendar: 国庆后 is the day work starts again."""
    m = re.fullmatch(rf"(.+?)(?:[之以]?([前后])({_COUNT})?天?)?", text)
    assert m is not None
    word, direction, count = m.groups()
    if direction is None:
        return _festival_date(word, today)
    # 国庆后 said on 10月3日 is this year's: try the festival of the last weeks first.
    for since in (today - timedelta(days=_RECENT_FESTIVAL_DAYS), today):
        day = _moved(_festival_date(word, since), 1 if direction == "后" else -1, count, calendar)
        if day >= today:
            return day
    return day


_RECENT_FESTIVAL_DAYS = 20


def _moved(day: date, step: int, count: str | None, calendar: WorkCalendar | None) -> date:
    if count is not None:
        return day + timedelta(days=step * cn_to_int(count))
    if calendar is None:
        from kernel.calendar_cn import DEFAULT as calendar   # lazy: only festival phrases need it
    day += timedelta(days=step)
    for _ in range(30):   # the longest rest period (春节) is about nine days
        if calendar.is_workday(day):
            break
        day += timedelta(days=step)
    return day


def _floating_festival(word: str, year: int) -> date:
    # (month, weekday, nth): 母亲节 2nd Sunday of May, 父亲节 3rd Sunday of June,
    # 感恩节 4th Thursday of November.
    mo, weekday, nth = {"母亲节": (5, 6, 2), "父亲节": (6, 6, 3), "感恩节": (11, 3, 4)}[word]
    first = date(year, mo, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


@lru_cache(maxsize=512)
def _jionlp_date(query: str, year: int) -> date | None:
    """A calendar date from jionlp-time, read in `year` (a lunar year for lunar dates).

    jionlp-time reads a float time base in the process's local zone, so we pass a plain list.
    Its parser is one global object that keeps state between calls: call it from one thread
    (the bot's event loop); the cache means each (word, year) is asked once per process.
    """
    import jionlp_time  # lazy: ≈ 15 ms import plus ≈ 70 ms to compile its patterns on first use

    try:
        result = jionlp_time.parse_time(query, time_base=[year, 6, 1, 12, 0, 0])
    except Exception:  # it raises ValueError and assorted errors on what it cannot read
        return None
    if result.get("type") != "time_point":
        return None
    return datetime.strptime(result["time"][0][:10], "%Y-%m-%d").date()


# --- resolution ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Candidate:
    start: datetime
    end: datetime | None
    valid: bool   # end after start
    fits: bool    # inside opening hours (True when none are given)
    day: date     # the day read (a midnight start falls on the next date)


def _at(d: date, minutes: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz) + timedelta(minutes=minutes)


def _minutes_of(t: time) -> int:
    return t.hour * 60 + t.minute


def parse_span(text: str, now: datetime, tz: ZoneInfo, *, open_from: time | None = None,
               open_until: time | None = None, default_minutes: int | None = None,
               calendar: WorkCalendar | None = None, late_duration: bool = False) -> TimeReading:
    """Read a time span ("明天下午3点到5点", "周六上午", "后天晚上七点 一个小时").

    Opening hours (local times) settle bare hours and clip part-of-day spans; `default_minutes`
    gives an end when the text names only a start; `calendar` (holidays and 调休, default: the
    packaged one) places "国庆后"; `late_duration` takes a length said later in the message ("周六上午九点 书画室
    写毛笔字 两个钟头"), as a booking means it. Strip room names first (`strip_noise`).
    """
    now_local = now.astimezone(tz)
    text = text.translate(_HALF_WIDTH)
    exprs = _expressions(text)
    if not exprs:
        return TimeReading(error=NONE_FOUND)
    if late_duration:
        _late_duration(exprs[0], text)
    # The first expression is the one meant; later ones are usually "后天也行" style second choices.
    # But two days offered in one breath ("明天或者后天下午", "下周三、周四下午") leave the day open.
    if (len(exprs) > 1 and exprs[1].day is not None
            and _OR_RE.fullmatch(text, exprs[0].tokens[-1].end, exprs[1].tokens[0].start)):
        first = exprs[0]
        return TimeReading(error=TWO_DAYS, dated=True,
                           matched=text[first.tokens[0].start:exprs[1].tokens[-1].end])
    if (len(exprs) > 1 and exprs[0].day is not None and exprs[0].clock is not None
            and exprs[1].day is not None and exprs[1].clock is not None
            and _AND_RE.fullmatch(text, exprs[0].tokens[-1].end, exprs[1].tokens[0].start)):
        return TimeReading(error=TWO_TIMES, dated=True,
                           matched=text[exprs[0].tokens[0].start:exprs[1].tokens[-1].end])
    try:
        return _resolve(exprs[0], text, now_local, tz, open_from, open_until, default_minutes, calendar)
    except (OverflowError, ValueError):   # "9999年12月31日" plus a duration runs off the calendar
        return TimeReading(error=INVALID_DATE)


def parse_point(text: str, now: datetime, tz: ZoneInfo) -> TimeReading:
    """Read one moment ("11月27日14:30", "截止 11月27日12:00", "明天下午3点").

    Same rules as `parse_span` without opening hours or default length. A date or part of day
    alone gives a vague reading whose `end` closes the span (a deadline "截止11月27日" can use it).
    """
    return parse_span(text, now, tz)


_AND_RE = re.compile(r"[\s,，、;；]*(?:和|还有|以及|再约|再加)?[\s,，、;；]*")
_OR_RE = re.compile(r"\s*(?:、|/|或者?|或是|还是|要么|和|跟|以及)\s*")

_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                             "：": ":", "～": "~", "\u3000": " "})


def _resolve(expr: _Expr, text: str, now: datetime, tz: ZoneInfo, open_from: time | None,
             open_until: time | None, default_minutes: int | None,
             calendar: WorkCalendar | None) -> TimeReading:
    today = now.date()
    base = TimeReading(matched=text[expr.tokens[0].start:expr.tokens[-1].end], dated=expr.day is not None)
    if expr.week_prefix is not None:
        return replace(base, error=WHICH_DAY)   # "下周下午3点": which day of next week?
    try:
        days = _read_days(expr.day, today, calendar)
        end_days = _read_days(expr.end_day, today, calendar) if expr.end_day else None
    except (_InvalidDate, ValueError):
        return replace(base, error=INVALID_DATE)
    base = replace(base, before=expr.before)
    if expr.day is not None and expr.day.kind == "someday":
        return replace(base, error=TWO_DAYS if expr.day.text.startswith("明后") else WHICH_DAY,
                       matched=expr.day.text + (expr.part or ""))
    if expr.restated is not None and days.candidates:
        try:
            same = _same_day(days, expr.restated, today, calendar)
        except (_InvalidDate, ValueError):
            return replace(base, error=INVALID_DATE)
        if same is None:
            return replace(base, error=DAY_MISMATCH)   # "明天周六" said on a Thursday
        days = replace(days, candidates=(same,))

    hours = _Hours(open_from, open_until)
    clock = _read_clock(expr.clock) if expr.clock else None
    vague = clock is None
    base = replace(base, vague=vague, recurrence=days.recurrence, weekly_weekday=days.weekday,
                   part=expr.part if vague else None,
                   has_end=bool(expr.end_clock or expr.end_day or expr.end_part
                                or expr.duration is not None))

    # Start minutes after midnight, the habitual reading first.
    if clock is None:
        starts = [hours.clip(expr.part)[0]]
    elif expr.part:
        starts = [_with_part(expr.part, clock.hour) * 60 + clock.minute]
    elif clock.literal:
        starts = [clock.hour * 60 + clock.minute]
    else:
        starts = [h * 60 + clock.minute for h in _habit_hours(clock.hour)]

    now_floor = now.replace(second=0, microsecond=0)
    candidates: list[_Candidate] = []
    for d in days.candidates:
        for s_min in starts:
            e_min = _end_minutes(expr, clock, s_min, hours, default_minutes)
            start_dt = _at(d, s_min, tz)
            end_dt: datetime | None = None
            if end_days is not None:
                # 周一到周五 / 今晚8点到明早8点: the first end day not before the start day.
                end_day = next((x for x in end_days.candidates if x >= d), end_days.candidates[-1])
                end_dt = _at(end_day, 24 * 60 if e_min is None else e_min, tz)
            elif e_min is not None:
                end_dt = _at(d, e_min, tz)
            if (vague and days.clip_today and d == today and end_dt is not None
                    and start_dt < now_floor < end_dt):
                start_dt = _next_half_hour(now_floor)  # 今晚 said at 20:10 → from 20:30
            fits = end_days is None and hours.fit(s_min, e_min)
            candidates.append(_Candidate(start_dt, end_dt, end_dt is None or end_dt > start_dt, fits, d))

    alive = [c for c in candidates if c.valid and c.start >= now_floor]
    if not alive:
        valid = [c for c in candidates if c.valid]
        if not valid:
            return replace(base, start=candidates[0].start, end=candidates[0].end,
                           error=END_BEFORE_START)
        return replace(base, start=valid[0].start, end=valid[0].end, error=IN_PAST)
    alive = [c for c in alive if c.fits] or alive
    best = alive[0]
    same_day = [c for c in alive if c.day == best.day]   # 12点: noon or midnight of that day
    if len(same_day) > 1:
        base = replace(base, ambiguous=True, alternatives=tuple((c.start, c.end) for c in same_day))
    return replace(base, start=best.start, end=best.end)


@dataclass(frozen=True, slots=True)
class _Hours:
    """Opening hours as minutes after midnight (the whole day when not given)."""

    open_from: time | None
    open_until: time | None

    @property
    def span(self) -> tuple[int, int]:
        return (_minutes_of(self.open_from) if self.open_from else 0,
                _minutes_of(self.open_until) if self.open_until else 24 * 60)

    def clip(self, part: str | None) -> tuple[int, int]:
        """A part of day (or the whole day) within opening hours, unless that leaves nothing."""
        span = _PART_SPANS[part] if part else (0, 24 * 60)
        lo, hi = self.span
        clipped = (max(span[0], lo), min(span[1], hi))
        return clipped if clipped[0] < clipped[1] else span

    def fit(self, start: int, end: int | None) -> bool:
        if self.open_from is None and self.open_until is None:
            return True   # no hours: midnight (12点 → 24:00) is as possible as noon
        lo, hi = self.span
        return lo <= start and (start < hi if end is None else end <= hi)


def _end_minutes(expr: _Expr, clock: _Clock | None, start: int, hours: _Hours,
                 default_minutes: int | None) -> int | None:
    """End in minutes after midnight of the start day (past 24:00 = next day); None if none."""
    if expr.end_clock is not None:
        end = _read_clock(expr.end_clock)
        if expr.end_part:
            return _with_part(expr.end_part, end.hour) * 60 + end.minute
        if end.literal:
            return end.hour * 60 + end.minute or 24 * 60  # 到0点 = midnight
        raw_end = (end.hour % 12) * 60 + end.minute
        if clock is not None and not clock.literal and not expr.part:
            # Both bare: stay in the start's half of the day, or cross noon from a morning hour.
            raw_start = (clock.hour % 12) * 60 + clock.minute
            half = 0 if start < 12 * 60 else 12 * 60
            if raw_end <= raw_start and half == 0 and 7 <= clock.hour <= 11:
                return raw_end + 12 * 60
            return raw_end + half  # not after the start when it crosses: end_before_start
        # The first reading after the start (下午3点到5点 → 17:00, 中午12点到1点 → 13:00).
        later = [o for o in (raw_end, raw_end + 12 * 60) if o > start]
        return later[0] if later else _with_part(expr.part or "下午", end.hour) * 60 + end.minute
    if expr.end_part:
        return _PART_SPANS[expr.end_part][1]
    if expr.duration is not None:
        return start + expr.duration
    if clock is None or expr.end_day:
        return hours.clip(expr.part)[1]
    if default_minutes is not None:
        return start + default_minutes
    return None


def _next_half_hour(t: datetime) -> datetime:
    extra = (-t.minute) % 30
    return t + timedelta(minutes=extra)


# --- echo ------------------------------------------------------------------------------------

def _day_label(d: date, today: date) -> str:
    weekday = "周" + _WEEKDAY_NAMES[d.weekday()]
    md = f"{d.month}月{d.day}日" if d.year == today.year else f"{d.year}年{d.month}月{d.day}日"
    relative = {0: "今天", 1: "明天", 2: "后天"}.get((d - today).days)
    return f"{relative}({md} {weekday})" if relative else f"{md}({weekday})"


def _part_label(t: datetime) -> str:
    h = t.hour
    if h < 6:
        return "凌晨"
    if h < 9:
        return "早上"
    if h < 12:
        return "上午"
    if h < 13:
        return "中午"
    if h < 18:
        return "下午"
    return "晚上"


def _times(start: datetime, end: datetime | None, today: date) -> str:
    s = start.strftime("%H:%M")
    if end is None:
        return s
    if end.date() == start.date():
        return f"{s}–{end:%H:%M}"
    if end.date() == start.date() + timedelta(days=1) and end.time() == time(0):
        return f"{s}–24:00"
    return f"{s} 至 {_day_label(end.date(), today)}{_part_label(end)} {end:%H:%M}"


def describe(reading: TimeReading, now: datetime, tz: ZoneInfo) -> str:
    """The Chinese echo of a reading, e.g. "明天(11月25日 周三)下午 15:00–17:00".

    Month/day, weekday and 24-hour times always appear, with 今天/明天/后天 when they apply.
    Raises ValueError for a reading without a start (none_found, invalid_date).
    """
    if reading.start is None:
        raise ValueError(f"nothing to describe: {reading.error}")
    today = now.astimezone(tz).date()
    start = reading.start.astimezone(tz)
    end = reading.end.astimezone(tz) if reading.end else None
    day = _day_label(start.date(), today)
    if end is not None and start.time() == end.time() == time(0):
        last = end.date() - timedelta(days=1)
        text = f"{day} 全天" if last == start.date() else f"{day} 至 {_day_label(last, today)} 全天"
    else:
        # A part-of-day word helps unless one day's span runs over several parts (08:30–21:30).
        long_day = end is not None and end.date() == start.date() and end - start > timedelta(hours=6)
        part = "" if long_day else _part_label(start)
        text = f"{day}{part} {_times(start, end, today)}"
    if reading.recurrence == "weekly" and reading.weekly_weekday is not None:
        text = f"每周{_WEEKDAY_NAMES[reading.weekly_weekday]}，首次 {text}"
    elif reading.recurrence == "daily":
        text = f"每天，首次 {text}"
    if reading.ambiguous:
        others = "、".join(_times(s.astimezone(tz), e.astimezone(tz) if e else None, today)
                          for s, e in reading.alternatives[1:])
        text += f"（也可能是 {others}）"
    return text
