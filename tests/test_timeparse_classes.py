"""Issue 13 §2: the classes of time phrases residents typed and the parser missed, each over many phrasings.

Every test builds its phrasings from the parts residents combine (prefix × joiner × weekday form × time …)
and collects all misses, so a failure lists every phrasing that went wrong rather than the first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.calendar_cn import WorkCalendar
from kernel.text.timeparse import IN_PAST, INVALID_DATE, NONE_FOUND, WHICH_DAY, TimeReading, parse_point, parse_span

TZ = ZoneInfo("Asia/Shanghai")
ROOM = {"open_from": time(8, 30), "open_until": time(21, 30), "default_minutes": 60}
THU = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)


def read(text: str, now: datetime = THU, **kw: object) -> TimeReading:
    return parse_span(text, now, TZ, **{**ROOM, **kw})  # type: ignore[arg-type]


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=TZ)


def local(r: TimeReading) -> tuple[datetime | None, datetime | None]:
    return (r.start.astimezone(TZ) if r.start else None, r.end.astimezone(TZ) if r.end else None)


# --- 下周 / 下礼拜 / 下个星期 + a weekday in any form: next calendar week, never this one ---------------

CN_DAYS = "一二三四五六日"


def weekday_forms(d: int) -> list[str]:
    cn = CN_DAYS[d]
    forms = [f"周{cn}", f"星期{cn}", f"礼拜{cn}", f"周{d + 1}", f"礼拜{d + 1}"]
    return forms + (["星期天", "礼拜天", "周天"] if d == 6 else [])


def next_week_phrasings(d: int) -> list[str]:
    out = []
    for prefix in ("下周", "下礼拜", "下个星期", "下星期", "下个礼拜", "下个周"):
        out += [prefix + CN_DAYS[d], prefix + str(d + 1)]
        out += [prefix + join + form for join in ("", " ", "的", " 的 ") for form in weekday_forms(d)]
    return out


def test_next_week_with_any_weekday_form_lands_in_next_week() -> None:
    nows = [datetime(2026, 11, 30, 10, tzinfo=TZ) + timedelta(days=i) for i in range(7)]
    nows.append(datetime(2026, 12, 6, 21, 30, tzinfo=TZ))   # Sunday night: 下周一 is tomorrow
    wrong = []
    for now in nows:
        next_monday = now.date() - timedelta(days=now.weekday()) + timedelta(days=7)
        for d in range(7):
            day = next_monday + timedelta(days=d)
            for i, phrase in enumerate(next_week_phrasings(d)):
                suffix, start, end = [("下午3点", at(day, 15), at(day, 16)), ("", at(day, 8, 30), at(day, 21, 30)),
                                      (" 晚上7点到9点", at(day, 19), at(day, 21))][i % 3]
                r = read(phrase + suffix, now)
                if not r.ok or local(r) != (start, end):
                    wrong.append((now.strftime("%a %H:%M"), phrase + suffix, local(r), r.error))
    assert not wrong, wrong[:20]


def test_next_week_without_a_day_asks_which_day() -> None:
    for text in ("下周下午3点", "下礼拜 晚上", "下个星期的上午10点到11点", "下星期 3点"):
        r = read(text)
        assert r.error == WHICH_DAY and r.ask and r.start is None, text
    for text in ("下周见", "下礼拜再说", "下周"):   # no time at all: not a time phrase
        assert read(text).error == NONE_FOUND, text


# --- month.day, month-day, month/day(号) dates -----------------------------------------------------

def expected_day(m: int, d: int, today: date) -> tuple[date, bool]:
    """(the day meant, in the past): the coming date, or this year's if it passed within 120 days."""
    this = date(today.year, m, d)
    if this >= today:
        return this, False
    if (today - this).days <= 120:
        return this, True
    return date(today.year + 1, m, d), False


def test_month_day_dates_in_every_written_form() -> None:
    wrong = []
    for m in range(1, 13):
        for d in (1, 5, 9, 10, 15, 28):
            day, past = expected_day(m, d, THU.date())
            forms = [f"{m}.{d}", f"{m}-{d}", f"{m}/{d}", f"{m}月{d}号", f"{m}月{d}日", f"{m}.{d}号", f"{m}/{d}号",
                     f"{m}-{d}号", f"{m:02d}.{d:02d}", f"{m}－{d}"]
            for i, form in enumerate(forms):
                suffix, start = [(" 下午3点", at(day, 15)), ("晚上", at(day, 19)), (" 上午9点到11点", at(day, 9))][i % 3]
                r = read(form + suffix)
                got = local(r)[0]
                if got != start or (r.error == IN_PAST) != past or r.ask != past:
                    wrong.append((form + suffix, got, r.error))
    assert not wrong, wrong[:20]


def test_numbers_that_are_not_dates_stay_what_they_are() -> None:
    r = read("明天下午3-5点")
    assert local(r) == (at(date(2026, 12, 4), 15), at(date(2026, 12, 4), 17))
    assert local(read("12-12 14:00-16:00")) == (at(date(2026, 12, 12), 14), at(date(2026, 12, 12), 16))
    assert local(read("下午3:30-5:00")) == (at(THU.date(), 15, 30), at(THU.date(), 17))
    for text in ("要3.5小时", "评分4.5分", "电话 138-1234-5678", "门票2.5元", "3-5个人"):
        assert read(text).error == NONE_FOUND, text
    r = read("明天下午3点 3.5小时")
    assert local(r) == (at(date(2026, 12, 4), 15), at(date(2026, 12, 4), 18, 30))


def test_impossible_dates_ask() -> None:
    for m, d in ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (2, 29)):
        for form in (f"{m}月{d}号", f"{m}.{d}", f"{m}-{d}号 下午", f"{m}/{d} 上午10点"):
            r = read(form)
            assert r.error == INVALID_DATE and r.ask and r.start is None, form


def test_a_day_of_the_month_that_just_passed_asks_instead_of_jumping_a_month() -> None:
    r = read("2号下午")   # said on the 3rd
    assert r.error == IN_PAST and r.ask and local(r)[0] == at(date(2026, 12, 2), 14)
    r = read("2号下午", datetime(2026, 12, 30, 15, tzinfo=TZ))   # four weeks on: next month's 2nd
    assert r.ok and local(r)[0] == at(date(2027, 1, 2), 14)


# --- colloquial day words and filler keep the clock time --------------------------------------------

DAY_WORDS = {"今儿个": 0, "明儿": 1, "明儿个": 1, "明天": 1, "后儿": 2, "后儿个": 2, "后天": 2, "大后天": 3,
             "大大后天": 4}
TIMES = [("下午3点", (15, 0), (16, 0)), ("晚上七点半", (19, 30), (20, 30)), ("上午10点到11点", (10, 0), (11, 0)),
         ("下午两点到四点", (14, 0), (16, 0))]


def test_colloquial_day_words_and_filler_keep_the_time() -> None:
    wrong = []
    for word, offset in DAY_WORDS.items():
        day = THU.date() + timedelta(days=offset)
        for filler in ("", "那天", "的", " ", "那天的", "那个", "，"):
            for said, (sh, sm), (eh, em) in TIMES:
                r = read(word + filler + said)
                if not r.ok or local(r) != (at(day, sh, sm), at(day, eh, em)):
                    wrong.append((word + filler + said, local(r), r.error))
    for word, day in (("周六那天", date(2026, 12, 5)), ("12月5号那天", date(2026, 12, 5)), ("冬至那天", date(2026, 12, 22))):
        r = read(word + "下午3点")
        if local(r)[0] != at(day, 15):
            wrong.append((word, local(r), r.error))
    assert not wrong, wrong[:20]


def test_part_of_day_alone_after_a_colloquial_day() -> None:
    r = read("明儿个晚上")
    assert r.ok and r.vague and r.part == "晚上" and local(r)[0] == at(date(2026, 12, 4), 19)
    r = read("大大后天上午")
    assert r.part == "上午" and local(r)[0] == at(date(2026, 12, 7), 9)


# --- a day named after the hours ----------------------------------------------------------------------

def test_a_day_named_after_the_hours_is_that_day() -> None:
    days = {"明天": date(2026, 12, 4), "后天": date(2026, 12, 5), "明儿": date(2026, 12, 4), "周六": date(2026, 12, 5),
            "下周三": date(2026, 12, 9), "下礼拜 周二": date(2026, 12, 8), "12月8号": date(2026, 12, 8),
            "12.8": date(2026, 12, 8)}
    hours = [("3点", (15, 0), (16, 0)), ("下午3点", (15, 0), (16, 0)), ("晚上7点", (19, 0), (20, 0)),
             ("上午10点到11点", (10, 0), (11, 0)), ("3点到5点", (15, 0), (17, 0))]
    wrong = []
    for word, day in days.items():
        for join in (" ", "，", "", ", ", " 的 "):
            if join == "" and word[0].isdigit():
                continue   # "3点12月8号" reads 3:12 to anyone
            for said, (sh, sm), (eh, em) in hours:
                r = read(said + join + word)
                if not r.ok or local(r) != (at(day, sh, sm), at(day, eh, em)):
                    wrong.append((said + join + word, local(r), r.error))
    assert not wrong, wrong[:20]


def test_a_second_choice_with_its_own_hours_does_not_move_the_first() -> None:
    r = read("下午3点，后天下午4点也行")
    assert local(r)[0] == at(THU.date(), 15)


# --- ranges: long dashes, tildes, 到/至, and 七八点 -----------------------------------------------------

def test_every_range_separator_keeps_the_end() -> None:
    wrong = []
    day = date(2026, 12, 4)
    spans = [("下午3点", "5点", (15, 0), (17, 0)), ("下午2点", "4点半", (14, 0), (16, 30)),
             ("14:00", "16:00", (14, 0), (16, 0)), ("上午9点", "11点", (9, 0), (11, 0)), ("3点", "5点", (15, 0), (17, 0)),
             ("下午三点", "五点", (15, 0), (17, 0)), ("下午3:00", "4:30", (15, 0), (16, 30))]
    for sep in ("到", "至", "~", "～", "-", "—", "——", "－", "–", " - ", " — ", "〜"):
        for a, b, (sh, sm), (eh, em) in spans:
            r = read(f"明天{a}{sep}{b}")
            if not r.ok or local(r) != (at(day, sh, sm), at(day, eh, em)) or not r.has_end:
                wrong.append((f"明天{a}{sep}{b}", local(r), r.error))
    assert not wrong, wrong


def test_neighbouring_hours_said_together_are_a_range() -> None:
    day = date(2026, 12, 4)
    cases = {"晚上七八点": (19, 20), "下午三四点": (15, 16), "上午九十点": (9, 10), "下午两三点": (14, 15),
             "下午一两点": (13, 14), "上午十一二点": (11, 12), "晚上7、8点": (19, 20), "上午10、11点": (10, 11),
             "下午3，4点": (15, 16), "下午4,5点钟": (16, 17), "晚上八九点": (20, 21), "下午五六点": (17, 18)}
    wrong = []
    for said, (sh, eh) in cases.items():
        for day_word in ("明天", "明天的", "明儿个"):
            r = read(day_word + said)
            if not r.ok or local(r) != (at(day, sh), at(day, eh)) or not r.has_end:
                wrong.append((day_word + said, local(r), r.error))
    assert not wrong, wrong


# --- festivals and solar terms ---------------------------------------------------------------------

def test_festival_relative_dates_and_solar_terms_with_a_time() -> None:
    cases = [("春节前一天", date(2027, 2, 5), None), ("春节前一天下午3点", date(2027, 2, 5), (15, 0)),
             ("除夕晚上8点", date(2027, 2, 5), (20, 0)), ("元旦前一天晚上7点", date(2026, 12, 31), (19, 0)),
             ("元旦后一天上午10点", date(2027, 1, 2), (10, 0)), ("中秋节前两天", date(2027, 9, 13), None),
             ("圣诞节后一天下午3点", date(2026, 12, 26), (15, 0)), ("元宵节之前一天", date(2027, 2, 19), None),
             ("冬至晚上7点", date(2026, 12, 22), (19, 0)), ("冬至 晚上7点", date(2026, 12, 22), (19, 0)),
             ("冬至那天上午10点", date(2026, 12, 22), (10, 0)), ("冬至前一天 下午3点", date(2026, 12, 21), (15, 0)),
             ("立春下午3点", date(2027, 2, 4), (15, 0)), ("平安夜 晚上七点", date(2026, 12, 24), (19, 0))]
    wrong = []
    for text, day, clock in cases:
        r = read(text)
        want = at(day, *clock) if clock else at(day, 8, 30)
        if not r.ok or local(r)[0] != want:
            wrong.append((text, local(r), r.error))
    assert not wrong, wrong


def test_after_a_holiday_is_the_first_working_day_after_its_rest_days() -> None:
    sept = datetime(2026, 9, 20, 10, tzinfo=TZ)
    assert local(read("国庆后上午", sept))[0] == at(date(2026, 10, 8), 9)       # 10月1日–7日 off (packaged data)
    assert local(read("国庆前 下午3点", sept))[0] == at(date(2026, 9, 30), 15)
    assert local(read("国庆后", datetime(2026, 10, 3, 10, tzinfo=TZ)))[0].date() == date(2026, 10, 8)  # said in the break
    # A year the package does not know: the config's list of rest days decides.
    listed = WorkCalendar(frozenset(date(2027, 10, d) for d in range(1, 8)))
    assert local(read("国庆后", THU, calendar=listed))[0].date() == date(2027, 10, 8)


# --- when not sure, ask -------------------------------------------------------------------------------

def test_twelve_oclock_asks_when_both_noon_and_midnight_are_possible() -> None:
    r = parse_point("明天12点", THU, TZ)
    assert r.ambiguous and r.ask
    assert [s.astimezone(TZ) for s, _ in r.alternatives] == [at(date(2026, 12, 4), 12), at(date(2026, 12, 5), 0)]
    assert not read("明天12点").ambiguous                          # a room open 08:30–21:30: noon
    for text, hour in (("明天中午12点", 12), ("明天晚上12点", 24)):
        r = parse_point(text, THU, TZ)
        assert not r.ambiguous and local(r)[0] == at(date(2026, 12, 4), 0) + timedelta(hours=hour), text


def test_days_already_past_ask() -> None:
    for text in ("昨天下午3点", "今天上午9点", "12月1号下午", "12.1 下午3点", "11月30号上午10点", "这周二下午",
                 "昨儿个晚上", "前儿个上午"):
        r = read(text)
        assert r.error == IN_PAST and r.ask and r.start is not None, text
