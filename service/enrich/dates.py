"""Date and time expressions: find candidate spans with compiled regexes, resolve them by rule.

Everything is resolved against the article's ``published_at`` (passed in, never the system
clock). No free-text date search over whole texts: only the patterns below can produce a
date, which keeps view counters, money, scores and the verb "may" out.

Output records (one per expression)::

    {"text", "field", "start", "end", "value", "kind", "granularity", "range"?}

``value`` is ISO 8601 at its granularity: ``2026``, ``2026-03``, ``2026-W10``, ``2026-03-04``,
``2026-03-04T23`` (hour), ``2026-03-04T23:59`` with ``+02:00`` appended when the zone is known.
Vague periods ("in recent days") get an ISO interval ``start/end`` as value and a ``range``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["article_dates", "find_dates"]

# --------------------------------------------------------------------------- vocabulary

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "couple of": 2, "24": 24, "48": 48,
}  # fmt: skip
_VAGUE_WORDS = {"few", "a few", "several"}
_MAY_LEADS = frozenset(
    {"in", "since", "until", "early", "late", "mid", "mid-", "last", "next", "this", "in early",
     "in late", "in mid-", "in mid", "until early", "until late", "by early", "by late"}
)  # fmt: skip

# Zone abbreviations: a fixed offset, or an IANA zone when daylight saving matters.
_ZONES: dict[str, str | int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "BST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "JST": 540, "KST": 540, "IST": 330, "HKT": 480, "SGT": 480,
    "AEST": 600, "AEDT": 660,
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles", "KYIV TIME": "Europe/Kyiv", "KIEV TIME": "Europe/Kyiv",
    "MOSCOW TIME": "Europe/Moscow", "LONDON TIME": "Europe/London",
    "TEHRAN TIME": "Asia/Tehran", "ISRAEL TIME": "Asia/Jerusalem", "BEIJING TIME": 480,
}  # fmt: skip

_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_WEEKDAY_RE = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUM_RE = (
    r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of"
    r"|a few|several|few|an|a)"
)
_ORD = r"(?:st|nd|rd|th)?"
_ZONE_RE = (
    r"(?:(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d{2})?|UTC|GMT|BST|CEST|CET|EEST|EET|MSK|EST|EDT|CST"
    r"|CDT|MST|MDT|PST|PDT|JST|KST|IST|HKT|SGT|AEST|AEDT|ET|CT|MT|PT"
    r"|(?:Kyiv|Kiev|Moscow|London|Tehran|Israel|Beijing|local) time)"
)
_AMPM_RE = r"(?:a\.m\.|p\.m\.|am\b|pm\b|AM\b|PM\b)"

_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|won't|going to|due|set to|set for|scheduled|expected to|slated|plans? to"
    # not "would" (reported speech: "said it would ... Tuesday" is mostly past), "until", "by"
    # not "ahead of" (it dates the clause it opens, not the verb) nor "next to" (a place)
    r"|planned|upcoming|is to|are to|next(?! to\b)"
    # present tense with a future meaning: "the ultimatum expires at 23:59 on Sunday"
    r"|expires?|runs out|takes effect|comes into force)\b|'ll\b",
    re.IGNORECASE,
)
# "would" right before the expression's verb: "said the curfew would end on Friday"
_NEAR_FUTURE = re.compile(r"\bwould\b")
_SENTENCE_END = re.compile(r"(?<![ap]\.m)(?<!\b[A-Z])[.!?;]\s+(?=[A-Z\"'“])|\n")
_PAST_CUE = re.compile(
    r"\b(?:said|says|told|was|were|had|did|ago|last|met|held|took|came|went|left|began|fell|rose"
    r"|won|lost|struck|saw|spoke|made|gave|sent|found|kept|brought)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r",|\band\b|\bbut\b|\bwhile\b")
# A lowercase word after a bare year that still reads as a year ("in 2025 when ...").
_COUNTED = frozenset(
    ["people", "percent", "per", "staff", "police", "personnel", "crew", "km", "kg"]
)
_DETERMINERS = frozenset(["the", "a", "an", "its", "his", "her", "their", "our", "that", "this"])
_YEAR_FOLLOWERS = frozenset(
    [
        "and", "or", "but", "as", "when", "after", "before", "to", "from", "for", "with", "while",
        "until", "amid", "despite", "the", "a", "an", "is", "was", "were", "had", "has", "have",
        "it", "he", "she", "they", "we", "that", "which", "alone", "ahead", "compared", "than",
        "through", "under", "on", "at", "in", "of", "by", "so", "if", "its", "their", "his",
        "her", "there", "this",
    ]
)  # fmt: skip

# --------------------------------------------------------------------------- patterns

_P_ISO = re.compile(
    r"(?<![\d.-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?(?P<z>Z|[+-]\d{2}:?\d{2})?)?(?![\d-])"
)
_P_ISO_WEEK = re.compile(r"(?<![\d-])(?P<y>\d{4})-W(?P<w>\d{2})(?![\d-])")
# dd.mm.yy needs zero-padded day and month (versions like 3.8.18 are not dates);
# letters may be glued on the left by scraping ("Iran04.03.26, 23:59").
_P_DOT = re.compile(
    r"(?<![\d.,$€£])(?:(?P<d2>\d{2})\.(?P<m2>\d{2})\.(?P<y2>\d{2})"
    r"|(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}))(?!\.?\d)"
    r"(?:,?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?!:?\d))?"
)
_P_SLASH = re.compile(r"(?<![\d/.$€£])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\d/])")
_P_MDY = re.compile(
    rf"\b(?P<mon>{_MONTH_RE})\s+(?P<d>\d{{1,2}}){_ORD}(?:\s*[-–]\s*(?P<d_end>\d{{1,2}}){_ORD})?"
    rf"(?![\d,.]\d|:\d|\s*%)(?:,?\s+(?P<y>\d{{4}})\b)?"
)
_P_DMY = re.compile(
    rf"(?<![\d.,$€£])\b(?P<d>\d{{1,2}}){_ORD}(?:\s*[-–]\s*(?P<d_end>\d{{1,2}}){_ORD})?"
    rf"\s+(?:of\s+)?(?P<mon>{_MONTH_RE})(?:,?\s+(?P<y>\d{{4}})\b)?"
)
_P_MONTH_YEAR = re.compile(
    rf"\b(?:(?P<part>[Ee]arly|[Ll]ate|[Mm]id-?|[Ee]nd of|[Ss]tart of|[Bb]eginning of)\s*)?"
    rf"(?P<mon>{_MONTH_RE}),?\s+(?P<y>(?:19|20)\d{{2}})(?!\d)"
)
_P_MONTH_BARE = re.compile(
    r"(?:\b(?i:in|since|until|till|by|during|from|through|for|of|before|after|on|to|and)\s+"
    r"(?:(?P<part2>early|late|mid-?|the end of|the start of)\s*)?"
    r"|\b(?P<part>[Ee]arly|[Ll]ate|[Mm]id-)\s*"
    r"|\b(?P<rel>[Ll]ast|[Nn]ext|[Tt]his)\s+)"
    r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b(?!\s+\d)"
)
_P_YEAR = re.compile(
    r"(?:\b(?P<the>the\s+)?(?P<lead>[Ii]n|[Bb]etween|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|[Dd]uring"
    r"|[Ff]rom|[Tt]hrough|[Bb]efore|[Aa]fter|[Tt]hroughout|[Ee]arly|[Ll]ate|[Mm]id-|end of"
    r"|start of|beginning of|to|and|of|[Ff]or|[Bb]oth|[Oo]r"
    # a determiner or possessive before an attributive year: "the 1996 law", "its 1990 plan"
    r"|[Tt]he|[Aa]n?|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Oo]ur|[Tt]hat|[Tt]his)|(?P<poss>'s))"
    r"\s*(?P<y>(?:1[6-9]|20)\d{2})\b"
    r"(?![-–/.,]?\d|\s*%|'s)"
)
_P_WEEKDAY = re.compile(
    rf"(?<!Black )(?<!Good )(?<!Cyber )(?<!Super )(?<!Holy )(?<!Ash )"
    rf"\b(?:(?P<rel>[Ll]ast|[Nn]ext|[Tt]his|[Pp]ast|[Cc]oming)\s+)?(?P<wd>{_WEEKDAY_RE})"
    rf"(?:\s+(?P<part>morning|afternoon|evening|night))?\b"
)
_P_DAYWORD = re.compile(
    r"\b(?P<w>the day before yesterday|the day after tomorrow|yesterday|today|tomorrow|tonight"
    r"|(?:this|last|yesterday|tomorrow)\s+(?:morning|afternoon|evening|night))\b",
    re.IGNORECASE,
)
_P_PERIOD = re.compile(
    r"\b(?:(?P<edge>earlier|later|early|late)\s+)?(?P<rel>this|last|next|past|coming)\s+"
    r"(?P<unit>week|month|year|weekend)\b",
    re.IGNORECASE,
)
_P_AGO = re.compile(
    rf"\b(?P<n>{_NUM_RE})\s+(?P<unit>minute|hour|day|week|month|year)s?\s+ago\b", re.IGNORECASE
)
_P_IN_N = re.compile(
    rf"\b(?:in|within)\s+(?P<n>{_NUM_RE})\s+(?P<unit>day|week|month|year)s?(?:'?\s*time)?\b"
    r"(?!\s+of\b)",
    re.IGNORECASE,
)
_P_SPAN = re.compile(
    rf"\b(?:(?P<prep>in|over|during|for|within)\s+)?(?P<the>the\s+)?"
    rf"(?P<rel>recent|coming|past|last|next|previous)"
    rf"\s+(?:(?P<n>{_NUM_RE})\s+)?(?P<unit>hour|day|week|month|year|decade)(?P<pl>s?)\b",
    re.IGNORECASE,
)
_P_TIME_AMPM = re.compile(
    rf"(?<![\d:.,$€£])\b(?P<H>\d{{1,2}})(?:[:.](?P<M>\d{{2}}))?\s*(?P<ampm>{_AMPM_RE})"
    rf"(?:\s*\(?(?P<z>{_ZONE_RE})\)?)?"
)
_P_TIME_24 = re.compile(
    rf"(?<![\d:.,$€£])\b(?P<H>\d{{1,2}}):(?P<M>\d{{2}})(?!:?\d|\s*[-–]\s*\d)(?:\s*(?:hrs|h)\b)?"
    rf"(?:\s*\(?(?P<z>{_ZONE_RE})\)?)?"
)
_P_TIME_WORD = re.compile(r"\b(?:at\s+)(?P<w>noon|midday|midnight)\b", re.IGNORECASE)

# Periods news writes beyond days and months (TimeML values: 1989-Q3, 1989-H2, 1998-SU,
# 199 for the 1990s, 19 for the 20th century, PRESENT_REF for "now").
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "last": 4, "final": 4}  # fmt: skip
_P_QUARTER = re.compile(
    r"\b(?:(?P<det>[Tt]he|[Tt]his|[Tt]hat|[Ll]ast|[Nn]ext)\s+)?"
    r"(?:(?P<y1>(?:19|20)\d\d)\s+|(?P<yrel>[Ll]ast|[Nn]ext|[Tt]his) year's\s+)?"
    r"(?:(?P<mod>[Cc]urrent|[Ll]atest|[Mm]ost recent|[Pp]revious|[Cc]oming"
    r"|[Yy]ear-ago|[Yy]ear-earlier|[Cc]omparable(?: year-ago| year-earlier)?)\s+)?"
    r"(?:(?P<fiscal>[Ff]iscal)[\s-]+)?"
    r"(?:(?P<ord>[Ff]irst|[Ss]econd|[Tt]hird|[Ff]ourth|[Ff]inal|[Ll]ast|1st|2nd|3rd|4th)"
    r"(?P<sep>[\s-]+))?"
    r"(?P<unit>quarter|half)(?![-\w])"
    r"(?:\s+of\s+(?:(?P<y2>(?:19|20)\d\d)\b|(?P<yrel2>last|next|this) year\b))?"
)
_P_FISCAL = re.compile(
    r"\b(?:(?:[Ff]iscal(?: year)?|FY)\s*'?(?P<y>(?:19|20)\d\d|\d\d)\b(?![-.,]?\d|\s*%)"
    r"|(?:(?P<det>[Tt]he|[Tt]his|[Ll]ast|[Nn]ext)\s+)(?:(?P<mod>current|previous|latest|coming"
    r"|past)\s+)?fiscal year\b)"
)
_P_DECADE = re.compile(
    r"\b(?:(?P<det>[Tt]he)\s+)?(?:(?P<part>[Ee]arly|[Mm]id|[Ll]ate)[\s-]+)?"
    r"(?:(?P<dec>1[5-9]\d0|20[0-9]0)'?s|'(?P<dec2>[0-9]0)s)\b"
)
_CENTURY_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
                "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
                "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
                "twentieth": 20, "twenty-first": 21}  # fmt: skip
_P_CENTURY = re.compile(
    r"\b(?:(?P<det>[Tt]he)\s+)?(?:(?P<part>[Ee]arly|[Mm]id|[Ll]ate)[\s-]+)?"
    r"(?:(?P<n>\d{1,2})(?:st|nd|rd|th)|(?P<w>"
    + "|".join(sorted(_CENTURY_ORD, key=len, reverse=True))
    + r"))[\s-]century\b"
    r"|\b(?P<rel>[Tt]his|[Ll]ast|[Nn]ext) century\b",
    re.IGNORECASE,
)
_SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
_SEASON_LEAD = re.compile(
    r"\b(?:in|during|over|since|until|till|by|through|throughout|before|after|for|from|of"
    r"|into|this)\s+$",
    re.IGNORECASE,
)
_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
_P_SEASON = re.compile(
    r"\b(?:(?P<rel>[Tt]his past|[Tt]his|[Ll]ast|[Nn]ext|[Tt]he coming|[Tt]he past|[Tt]he)\s+)?"
    r"(?:(?P<part>[Ee]arly|[Ll]ate|[Mm]id)[\s-]+)?"
    r"(?P<s>[Ss]pring|[Ss]ummer|[Aa]utumn|[Ff]all|[Ww]inter)\b"
    r"(?:(?:\s+of)?,?\s+(?P<y>(?:19|20)\d\d)\b(?![-.,]?\d))?"
)
_P_NOW = re.compile(
    r"\b(?:right now|now|currently|nowadays|at present|presently|these days|at the moment)\b",
    re.IGNORECASE,
)

_JOIN_DATE_TIME = re.compile(r"^(?:,?\s*(?:at|from|by|around|after|before)?\s*|\s*,\s*)$")
_JOIN_TIME_DATE = re.compile(r"^(?:\s*,?\s*(?:on|of)?\s*)$")

# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True, slots=True)
class _Hit:
    """A resolved expression before formatting."""

    start: int
    end: int
    granularity: str
    kind: str
    day: date | None = None  # set for day/hour/minute granularity
    year: int | None = None
    month: int | None = None
    week: tuple[int, int] | None = None
    hour: int | None = None
    minute: int | None = None
    offset: timedelta | None = None
    zone: str | None = None
    rng: tuple[str, str] | None = None
    interval: bool = False  # value is the range itself
    time_only: bool = False
    priority: int = 0
    fixed: str | None = None  # value written out (quarter, season, decade, ...)
    unit: str | None = None  # TimeML precision when finer or coarser than the v1 enum
    timex: str | None = None  # TimeML value when it differs (PRESENT_REF, ...TMO)


@dataclass(frozen=True, slots=True)
class _Ctx:
    text: str
    pub: datetime
    today: date
    dayfirst: bool


def _num(word: str) -> int | None:
    word = word.lower().strip()
    if word.isdigit():
        return int(word)
    if word in _VAGUE_WORDS:
        return None
    return _NUMBER_WORDS.get(word)


def _month(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")]


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _closest_year(ctx: _Ctx, m: int, d: int) -> date | None:
    """A day without a year: the occurrence nearest to publication."""
    options = [x for y in (ctx.today.year - 1, ctx.today.year, ctx.today.year + 1)
               if (x := _safe_date(y, m, d)) is not None]  # fmt: skip
    return min(options, key=lambda x: abs((x - ctx.today).days)) if options else None


def _tense(ctx: _Ctx, start: int, end: int) -> int:
    """+1 future, -1 past, 0 unknown, from cues around a span."""
    if _is_future(ctx, start, end):
        return 1
    text = ctx.text
    before = text[max(0, start - 80) : start]
    return -1 if _PAST_CUE.search(before) or re.search(r"\b\w+ed\b", before) else 0


def _is_future(ctx: _Ctx, start: int, end: int) -> bool:
    """Tense heuristic around a span: a future cue before it in the clause, or after it when
    the clause so far has no past-tense marker."""
    text = ctx.text
    window_start = max(0, start - 100)
    left = window_start
    for b in _SENTENCE_END.finditer(text, window_start, start):
        left = b.end()
    before = text[left:start]
    if _FUTURE_CUE.search(before) or _NEAR_FUTURE.search(before[-25:]):
        return True
    if _PAST_CUE.search(before) or re.search(r"\b\w+ed\b", before):
        return False
    if len(before.split()) > 3:  # a cue after a long clause belongs to another verb
        return False
    nxt = _SENTENCE_END.search(text, end, end + 60)
    stop = nxt.start() if nxt else end + 60
    brk = _CLAUSE_BREAK.search(text, end, stop)
    if brk and brk.start() > end + 1:
        stop = brk.start()
    return bool(_FUTURE_CUE.search(text[end:stop]))


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _zone_offset(zone: str | None, day: date, hour: int, minute: int) -> timedelta | None:
    if not zone:
        return None
    z = re.sub(r"\s+", " ", zone.strip()).upper()
    m = re.fullmatch(r"(?:UTC|GMT) ?([+-]) ?(\d{1,2})(?::?(\d{2}))?", z)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return -delta if m.group(1) == "-" else delta
    spec = _ZONES.get(z)
    if spec is None:
        return None
    if isinstance(spec, int):
        return timedelta(minutes=spec)
    tz: tzinfo = ZoneInfo(spec)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).utcoffset()


def _iso_offset(offset: timedelta | None) -> str:
    if offset is None:
        return ""
    total = int(offset.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


def _hour24(hour: int, ampm: str | None) -> int | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    return hour if 0 <= hour <= 23 else None


def _day_hit(start: int, end: int, d: date, kind: str, priority: int = 2) -> _Hit:
    return _Hit(start, end, "day", kind, day=d, priority=priority)


def _day_range(start: int, end: int, a: date, b: date, kind: str, value_week: bool) -> _Hit:
    rng = (a.isoformat(), b.isoformat())
    if value_week:
        iso = a.isocalendar()
        return _Hit(start, end, "week", kind, week=(iso.year, iso.week), rng=rng)
    return _Hit(start, end, "day", kind, rng=rng, interval=True)


def _iso(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    d = _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if d is None:
        return None
    if m["H"] is None:
        return _day_hit(m.start(), m.end(), d, "absolute", 3)
    hour, minute = int(m["H"]), int(m["M"])
    if hour > 23 or minute > 59:
        return None
    offset = None
    if m["z"]:
        offset = _zone_offset("UTC" if m["z"] == "Z" else "UTC" + m["z"], d, hour, minute)
    return _Hit(m.start(), m.end(), "minute", "absolute", day=d, hour=hour, minute=minute,
                offset=offset, priority=3)  # fmt: skip


def _iso_week(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    year, week = int(m["y"]), int(m["w"])
    try:
        a = date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    rng = (a.isoformat(), (a + timedelta(days=6)).isoformat())
    return _Hit(m.start(), m.end(), "week", "absolute", week=(year, week), rng=rng, priority=3)


def _dot(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m["d2"]:
        d, mo, y = int(m["d2"]), int(m["m2"]), 2000 + int(m["y2"])
    else:
        d, mo, y = int(m["d"]), int(m["m"]), int(m["y"])
    if not 1900 <= y <= 2100:
        return None
    day = _safe_date(y, mo, d)
    if day is None:
        return None
    if m["H"] is not None:
        hour, minute = int(m["H"]), int(m["M"])
        if hour <= 23 and minute <= 59:
            return _Hit(m.start(), m.end(), "minute", "absolute", day=day, hour=hour,
                        minute=minute, priority=3)  # fmt: skip
    end = m.end("y2") if m["d2"] else m.end("y")
    return _day_hit(m.start(), end, day, "absolute", 3)


def _slash(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    y = y + 2000 if y < 100 else y
    d, mo = (a, b) if ctx.dayfirst else (b, a)
    if mo > 12 and d <= 12:  # unambiguous the other way round
        d, mo = mo, d
    day = _safe_date(y, mo, d) if 1900 <= y <= 2100 else None
    return _day_hit(m.start(), m.end(), day, "absolute", 3) if day else None


def _month_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    mon = m["mon"]
    if mon == "May" and m["y"] is None and m["d"] is None:
        return None
    month, d = _month(mon), int(m["d"])
    if m["y"]:
        day = _safe_date(int(m["y"]), month, d)
        kind = "absolute"
    else:
        day = _closest_year(ctx, month, d)
        kind = "absolute"
    if day is None:
        return None
    if m["d_end"]:
        end_day = _safe_date(day.year, month, int(m["d_end"]))
        if end_day is None or end_day <= day:
            return None
        rng = (day.isoformat(), end_day.isoformat())
        return _Hit(m.start(), m.end(), "day", kind, rng=rng, interval=True, priority=3)
    return _day_hit(m.start(), m.end(), day, kind, 3)


def _month_year(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    year, month = int(m["y"]), _month(m["mon"])
    return _Hit(m.start(), m.end(), "month", "absolute", year=year, month=month, priority=2)


def _month_bare(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    month = _month(m["mon"])
    lead = m.group(0)[: m.start("mon") - m.start()].strip().lower()
    if m["mon"] == "May" and lead not in _MAY_LEADS:
        return None  # "spoke to May", "by May" may be a person
    part = "rel" if m["rel"] else "part" if m["part"] else "part2" if m["part2"] else "mon"
    start = m.start(part)
    today = ctx.today
    rel = (m["rel"] or "").lower()
    if rel == "last":
        year = today.year if month < today.month else today.year - 1
    elif rel == "next":
        year = today.year if month > today.month else today.year + 1
    elif rel == "this":
        year = today.year
    else:
        tense = _tense(ctx, start, m.end())
        if tense > 0:
            year = today.year if month >= today.month else today.year + 1
        elif tense < 0:
            year = today.year if month <= today.month else today.year - 1
        else:  # no cue: the nearest such month (the past one on a tie)
            year = min(
                (today.year - 1, today.year, today.year + 1),
                key=lambda y: (abs((y - today.year) * 12 + month - today.month), y),
            )
    return _Hit(start, m.end(), "month", "relative", year=year, month=month, priority=1)


def _year(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    after = ctx.text[m.end() : m.end() + 30]
    nxt = re.match(r"\s+([a-z]+)\b", after)
    if nxt:
        word = nxt.group(1)
        plural = word.endswith("s") and not word.endswith("ss") and word not in _YEAR_FOLLOWERS
        if plural or word in _COUNTED:
            return None  # "to 2000 people", "for 2030 views"
    if int(m["y"]) < 1900 and nxt and nxt.group(1) not in _YEAR_FOLLOWERS:
        return None  # "of 1800 men": before 1900, only a year that ends its phrase
    lead = (m["lead"] or "").lower()
    if m["the"] and not lead.endswith(" of"):
        return None  # "the in 1990" is no phrase; only "the end of 1990"
    attributive = m["poss"] or lead in _DETERMINERS
    if (
        attributive
        and not (nxt and nxt.group(1) not in _YEAR_FOLLOWERS)
        and not re.match(r"\s+[A-Z][a-z]", after)
    ):
        return None  # a determiner and a number with no noun after it: a count
    # TimeML extent: "early 1990", "mid-1996", "the end of 1990" include their modifier
    start = m.start("y")
    if lead in ("early", "late", "mid-") or lead.endswith(" of"):
        start = m.start("the") if m["the"] else m.start("lead")
    return _Hit(start, m.end("y"), "year", "absolute", year=int(m["y"]), priority=1)


def _weekday(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    target = _WEEKDAYS[m["wd"].lower()]
    today = ctx.today
    rel = (m["rel"] or "").lower()
    back = (today.weekday() - target) % 7
    fwd = (target - today.weekday()) % 7
    start = m.start("rel") if m["rel"] else m.start("wd")
    if rel in ("last", "past"):
        day = today - timedelta(days=back or 7)
    elif rel in ("next", "coming"):
        day = today + timedelta(days=fwd or 7)
    elif _is_future(ctx, start, m.end()):
        day = today + timedelta(days=fwd)
    else:
        day = today - timedelta(days=back)
    return _part_of_day(_day_hit(start, m.end(), day, "relative", 2), m["part"] or "")


def _dayword(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    w = re.sub(r"\s+", " ", m["w"].lower())
    shift = {
        "the day before yesterday": -2, "the day after tomorrow": 2, "yesterday": -1,
        "tomorrow": 1, "last night": -1,
    }.get(w.split(" ")[0] if w.split(" ")[0] in ("yesterday", "tomorrow") else w, 0)  # fmt: skip
    return _part_of_day(_day_hit(m.start(), m.end(), ctx.today + timedelta(days=shift),
                                 "relative", 2), w)  # fmt: skip


_PARTS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI"}


def _part_of_day(h: _Hit, words: str) -> _Hit:
    """The day of "this morning", "Friday night", with TimeML's 1998-02-22TMO as timex."""
    last = words.rsplit(" ", 1)[-1].lower()
    if last in _PARTS and h.day is not None:
        return replace(h, timex=f"{h.day.isoformat()}T{_PARTS[last]}")
    return h


def _period(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    rel, unit = m["rel"].lower(), m["unit"].lower()
    edge = (m["edge"] or "").lower()
    today, s, e = ctx.today, m.start(), m.end()
    step = {"this": 0, "last": -1, "past": -1, "next": 1, "coming": 1}[rel]
    if rel == "past" and unit != "weekend":
        # "the past week" is the rolling period before publication
        days = {"week": 7, "month": 30, "year": 365}[unit]
        return _day_range(s, e, today - timedelta(days=days), today - timedelta(days=1),
                          "relative", False)  # fmt: skip
    if unit == "weekend":
        sat = _week_start(today) + timedelta(days=5)
        if step == 0 and today.weekday() < 5 and not _is_future(ctx, s, e):
            step = 0
        sat += timedelta(days=7 * step)
        return _day_range(s, e, sat, sat + timedelta(days=1), "relative", False)
    if unit == "week":
        mon = _week_start(today) + timedelta(days=7 * step)
        if step == 0 and edge == "earlier":
            return _day_range(s, e, mon, max(mon, today - timedelta(days=1)), "relative", True)
        if step == 0 and edge == "later":
            return _day_range(s, e, min(today + timedelta(days=1), mon + timedelta(days=6)),
                              mon + timedelta(days=6), "relative", True)  # fmt: skip
        return _day_range(s, e, mon, mon + timedelta(days=6), "relative", True)
    if unit == "month":
        idx = today.year * 12 + today.month - 1 + step
        return _Hit(s, e, "month", "relative", year=idx // 12, month=idx % 12 + 1, priority=2)
    return _Hit(s, e, "year", "relative", year=today.year + step, priority=2)


def _ago(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    n = _num(m["n"])
    unit = m["unit"].lower()
    s, e = m.start(), m.end()
    if n is None:  # "a few days ago": a rough range
        if unit != "day":
            return None
        return _day_range(s, e, ctx.today - timedelta(days=6), ctx.today - timedelta(days=2),
                          "relative", False)  # fmt: skip
    return _shift(s, e, ctx, -n, unit)


def _in_n(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    n = _num(m["n"])
    if n is None:
        return None
    return _shift(m.start("n"), m.end(), ctx, n, m["unit"].lower())  # "in" is a signal


def _shift(s: int, e: int, ctx: _Ctx, n: int, unit: str) -> _Hit | None:
    if unit in ("minute", "hour"):
        moment = ctx.pub + (timedelta(minutes=n) if unit == "minute" else timedelta(hours=n))
        return _Hit(s, e, unit, "relative", day=moment.date(), hour=moment.hour,
                    minute=moment.minute, offset=moment.utcoffset(), priority=2)  # fmt: skip
    if unit == "day":
        return _day_hit(s, e, ctx.today + timedelta(days=n), "relative")
    if unit == "week":
        d = ctx.today + timedelta(weeks=n)
        iso = d.isocalendar()
        mon = _week_start(d)
        rng = (mon.isoformat(), (mon + timedelta(days=6)).isoformat())
        return _Hit(s, e, "week", "relative", week=(iso.year, iso.week), rng=rng, priority=2)
    if unit == "month":
        idx = ctx.today.year * 12 + ctx.today.month - 1 + n
        return _Hit(s, e, "month", "relative", year=idx // 12, month=idx % 12 + 1, priority=2)
    return _Hit(s, e, "year", "relative", year=ctx.today.year + n, priority=2)


def _span(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    rel, unit = m["rel"].lower(), m["unit"].lower()
    if not m["n"] and not m["pl"] and rel != "recent" and not m["the"]:
        return None  # "for next month" is a calendar period, handled by _period
    if not (m["prep"] or m["n"] or m["pl"] or rel == "recent"):
        return None  # "the next day" is told from the story's time, "last weeks" no period
    # TimeML extent: the preposition is a signal, not part of the expression
    m_start = m.start("the") if m["the"] else m.start("rel")
    n: int | None = 1
    if m["n"]:
        n = _num(m["n"])
    elif rel == "recent" or m["pl"]:
        n = {"hour": 24, "day": 7, "week": 4, "month": 6, "year": 3, "decade": 3}[unit]
    if n is None:  # "the past few days"
        n = 5 if unit == "day" else 3
    days = {"day": 1, "week": 7, "month": 30, "year": 365, "decade": 3652}.get(unit)
    s, e, today = m_start, m.end(), ctx.today
    if unit == "hour":
        days = max(1, (n + 23) // 24)
    assert days is not None
    total = n * days if unit != "hour" else days
    if rel in ("coming", "next"):
        return _day_range(s, e, today + timedelta(days=1), today + timedelta(days=total),
                          "relative", False)  # fmt: skip
    if unit == "hour":
        return _day_range(s, e, today - timedelta(days=total), today, "relative", False)
    hit = _day_range(s, e, today - timedelta(days=total), today - timedelta(days=1),
                     "relative", False)  # fmt: skip
    return replace(hit, timex="PAST_REF") if rel == "recent" else hit


def _time(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    hour = _hour24(int(m["H"]), m.groupdict().get("ampm"))
    minute = int(m["M"] or 0)
    if hour is None or minute > 59:
        return None
    offset = _zone_offset(m["z"], ctx.today, hour, minute)
    return _Hit(m.start(), m.end(), "minute", "relative", day=ctx.today, hour=hour,
                minute=minute, offset=offset, zone=m["z"], time_only=True,
                priority=1)  # fmt: skip


def _time_word(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    hour = 0 if m["w"].lower() == "midnight" else 12
    return _Hit(m.start("w"), m.end(), "minute", "relative", day=ctx.today, hour=hour,
                minute=0, time_only=True, priority=1)  # fmt: skip


_SPORT = re.compile(
    r"\b(?:scor\w*|points?|goals?|touchdowns?|game|match|innings?|penalt\w+|halftime|coach)\b",
    re.IGNORECASE,
)


def _sentence(ctx: _Ctx, start: int, end: int) -> str:
    left = max(0, start - 200)
    for b in _SENTENCE_END.finditer(ctx.text, left, start):
        left = b.end()
    nxt = _SENTENCE_END.search(ctx.text, end, end + 200)
    return ctx.text[left : nxt.start() if nxt else end + 200]


def _quarter_range(year: int, q: int, months: int) -> tuple[str, str]:
    first = date(year, (q - 1) * months + 1, 1)
    last_month = q * months
    nxt = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return first.isoformat(), (nxt - timedelta(days=1)).isoformat()


def _quarter(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """Quarters and halves: "the third quarter", "third-quarter", "the fiscal first quarter
    of 1990", "the latest quarter", "the year-ago quarter", "the first half of 1989"."""
    unit, det = m["unit"], (m["det"] or "").lower()
    ordw, mod = (m["ord"] or "").lower(), (m["mod"] or "").lower()
    y = m["y1"] or m["y2"]
    yrel = (m["yrel"] or m["yrel2"] or "").lower()
    anchored = bool(y or yrel)
    if not (det or ordw or mod or anchored or m["fiscal"]):
        return None  # a bare "quarter" is a district or a fourth
    if m["unit"] == "half" and not (anchored or m["fiscal"] or (m["sep"] or "").startswith("-")):
        return None  # "the second half" of a match; "first-half profit" is a period
    if not anchored and _SPORT.search(_sentence(ctx, m.start(), m.end())):
        return None  # quarters and halves of a game
    after = ctx.text[m.end() : m.end() + 12]
    if not anchored and re.match(r"\s+of\b", after):
        return None  # "the quarter of the city", "a half of"
    months = 3 if unit == "quarter" else 6
    n_units = 12 // months
    today = ctx.today
    cur = (today.month - 1) // months + 1
    step = {"last": -1, "next": 1, "this": 0}.get(yrel, 0)
    year = int(y) if y else today.year + step
    if ordw and not (unit == "quarter" and ordw == "last" and not anchored):
        n = _ORDINALS[ordw] if unit == "quarter" else (2 if ordw in ("last", "final") else
                                                       _ORDINALS[ordw])  # fmt: skip
        if n > n_units:
            return None
        if not anchored and n > cur and not _is_future(ctx, m.start(), m.end()):
            year -= 1  # "the fourth quarter" in February: the one just reported
        if mod.startswith(("year-", "comparable")):
            year -= 1
    else:
        idx = today.year * n_units + cur - 1
        if det == "next" or mod == "coming":
            idx += 1
        elif det in ("this",) or mod == "current":
            pass
        else:  # "the quarter", "the latest quarter", "last quarter": the one just ended
            idx -= 1
        if mod.startswith(("year-", "comparable")):
            idx -= n_units
        year, n = idx // n_units, idx % n_units + 1
        if anchored:  # "last year's quarter": the same quarter in the year named
            year = int(y) if y else today.year + step
    if not 1000 <= year <= 2999:
        return None
    tag = f"{year:04d}-{'Q' if unit == 'quarter' else 'H'}{n}"
    return _Hit(m.start(), m.end(), "year", "relative" if not y else "absolute", year=year,
                rng=_quarter_range(year, n, months), fixed=tag, unit=unit, priority=2)  # fmt: skip


def _fiscal(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """The label year of "fiscal 1989", "FY90", "the current fiscal year"."""
    if m["y"]:
        y = int(m["y"])
        if y < 100:
            y += 1900 if y > (ctx.today.year + 10) % 100 else 2000
        return _Hit(m.start(), m.end(), "year", "absolute", year=y, unit="fiscal_year",
                    priority=3)  # fmt: skip
    det, mod = m["det"].lower(), (m["mod"] or "").lower()
    step = -1 if det == "last" or mod in ("previous", "past", "latest") else 1 if (
        det == "next" or mod == "coming") else 0  # fmt: skip
    return _Hit(m.start(), m.end(), "year", "relative", year=ctx.today.year + step,
                unit="fiscal_year", priority=3)  # fmt: skip


def _decade(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """Decades: "the 1990s", "the mid-1980s", "the '80s" -> TimeML 199, 198."""
    if m["dec"]:
        first = int(m["dec"])
    else:
        two = int(m["dec2"])
        first = (1900 if two > ctx.today.year % 100 else 2000) + two
    rng = (f"{first:04d}-01-01", f"{first + 9:04d}-12-31")
    return _Hit(m.start(), m.end(), "year", "absolute", year=first, rng=rng,
                fixed=f"{first // 10:03d}", unit="decade", priority=2)  # fmt: skip


def _century(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """Centuries: "the 20th century", "this century" -> TimeML 19 (the years 1900-1999)."""
    if m["rel"]:
        n = ctx.today.year // 100 + 1 + {"this": 0, "last": -1, "next": 1}[m["rel"].lower()]
    else:
        n = int(m["n"]) if m["n"] else _CENTURY_ORD[m["w"].lower()]
    if not 1 <= n <= 30:
        return None
    first = (n - 1) * 100
    rng = (f"{first:04d}-01-01", f"{first + 99:04d}-12-31")
    return _Hit(m.start(), m.end(), "year", "relative" if m["rel"] else "absolute",
                year=first, rng=rng, fixed=f"{n - 1:02d}", unit="century",
                priority=2)  # fmt: skip


def _season_occurrence(d: date) -> tuple[int, str]:
    """The season a day falls in, as (year, code); winter belongs to its December's year."""
    if d.month in (12, 1, 2):
        return (d.year if d.month == 12 else d.year - 1), "WI"
    return d.year, ("SP" if d.month <= 5 else "SU" if d.month <= 8 else "FA")


def _season(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """Seasons: "last fall", "this summer", "the winter of 1994", "spring 1998" (1998-SP)."""
    code = _SEASONS[m["s"].lower()]
    rel = (m["rel"] or "").lower()
    if not (rel or m["y"] or m["part"]):
        return None  # a bare "spring" is a water source or a coil
    if m["s"].lower() == "fall" and not m["y"] and rel in ("the", ""):
        return None  # "the fall of the wall", "the fall in prices"
    after = ctx.text[m.end() : m.end() + 12]
    if not m["y"] and rel == "the" and re.match(r"\s+of\b", after):
        return None  # "the spring of Prague"; "the winter of 1994" has its year
    if (
        rel == "the"
        and not m["y"]
        and not _SEASON_LEAD.search(ctx.text, max(0, m.start() - 16), m.start())
    ):
        return None  # "the spring broke": a season is "in the spring", "during the summer"
    if rel == "the" and not m["y"]:
        nxt = re.match(r"\s+([a-z]+)\b", after)
        if nxt and nxt.group(1) not in _YEAR_FOLLOWERS:
            return None  # "the winter wheat", "the summer break": a season as an adjective
    order = ("SP", "SU", "FA", "WI")
    cy, cc = _season_occurrence(ctx.today)
    cur = cy * 4 + order.index(cc)
    if m["y"]:
        year = int(m["y"])
    else:
        if rel in ("this", "the", ""):
            # the occurrence of this year's season (winter: the one around publication)
            target = ctx.today.year * 4 + order.index(code)
            if code == "WI" and ctx.today.month <= 2:
                target -= 4
            if rel == "the" and target > cur and not _is_future(ctx, m.start(), m.end()):
                target -= 4
        elif rel in ("last", "this past", "the past"):
            target = cur - ((order.index(cc) - order.index(code)) % 4 or 4)
        else:  # next, the coming
            target = cur + ((order.index(code) - order.index(cc)) % 4 or 4)
        year = target // 4
    first = date(year, _SEASON_START[code], 1)
    end_month = _SEASON_START[code] + 2
    last = date(year + end_month // 13, (end_month - 1) % 12 + 1, 1)
    last = date(last.year + (last.month == 12), last.month % 12 + 1, 1) - timedelta(days=1)
    return _Hit(m.start(), m.end(), "year", "absolute" if m["y"] else "relative", year=year,
                rng=(first.isoformat(), last.isoformat()), fixed=f"{year:04d}-{code}",
                unit="season", priority=2)  # fmt: skip


def _now(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    """The publication day for "now", "currently" (TimeML PRESENT_REF)."""
    if m.group(0) == "NOW":
        return None  # the acronym (National Organization for Women), not the adverb
    return _Hit(m.start(), m.end(), "day", "relative", day=ctx.today, timex="PRESENT_REF",
                priority=1)  # fmt: skip


_RULES = (
    (_P_ISO, _iso), (_P_ISO_WEEK, _iso_week), (_P_DOT, _dot), (_P_SLASH, _slash),
    (_P_MDY, _month_day), (_P_DMY, _month_day), (_P_MONTH_YEAR, _month_year),
    (_P_MONTH_BARE, _month_bare), (_P_YEAR, _year), (_P_WEEKDAY, _weekday),
    (_P_DAYWORD, _dayword), (_P_PERIOD, _period), (_P_AGO, _ago), (_P_IN_N, _in_n),
    (_P_SPAN, _span), (_P_TIME_AMPM, _time), (_P_TIME_24, _time), (_P_TIME_WORD, _time_word),
    (_P_QUARTER, _quarter), (_P_FISCAL, _fiscal), (_P_DECADE, _decade), (_P_CENTURY, _century),
    (_P_SEASON, _season), (_P_NOW, _now),
)  # fmt: skip

# Candidate finding. Python's ``re`` can only skip ahead fast (a C loop over a literal or
# a first-character set) when a pattern starts with literals; the patterns above start with
# ``\b``, lookbehinds, optional words or case-insensitive text, so a plain ``finditer`` tries a
# match at every character (40-180 µs per pattern on a 500-word article). Each pattern
# therefore has a *twin*: an alternation whose branches all start with a lowercase literal (or
# a digit), run on the lowercased text. A twin matches at every position where its pattern can
# start (a superset, checked by tests against ``finditer``), so the pattern itself only runs
# at the twin's hits with ``match`` (which still sees the text before the position, so
# ``\b`` and lookbehinds behave as in a full scan). Same matches, 5-10x less scanning.
_MON_T = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_MONFULL_T = (
    "(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_WD_T = "(?:" + "|".join(_WEEKDAYS) + ")"
_NUM_WORDS_T = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|a few|several|few|an|a"  # noqa: E501
_UNIT_T = r"(?:minute|hour|day|week|month|year)"


def _twin(*branches: tuple[str, str]) -> re.Pattern[str]:
    """An alternation of ``word + rest`` for each ``("word|word", rest)`` pair: every branch
    starts with a literal, which gives the compiled pattern a first-character set to skip by."""
    alts = [re.escape(w) + rest for words, rest in branches for w in words.split("|")]
    return re.compile("|".join(alts))


_TWINS: dict[re.Pattern[str], re.Pattern[str] | tuple[re.Pattern[str], ...]] = {
    _P_ISO: re.compile(r"\d\d\d\d-\d\d-\d\d"),
    _P_ISO_WEEK: re.compile(r"\d\d\d\d-w\d\d"),
    _P_DOT: re.compile(r"\d\d?\.\d"),
    _P_SLASH: re.compile(r"\d\d?/\d"),
    _P_MDY: re.compile(_MON_T + r"\s+\d"),
    _P_DMY: re.compile(rf"\d\d?{_ORD}(?:\s*[-–]\s*\d\d?{_ORD})?\s+(?:of\s+)?{_MON_T}"),
    _P_MONTH_YEAR: _twin(
        ("early|late|mid|end of|start of|beginning of", rf"-?\s*{_MON_T},?\s+(?:19|20)\d"),
        ("jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", r"[a-z]*\.?,?\s+(?:19|20)\d"),
    ),
    _P_MONTH_BARE: _twin(
        (
            "in|since|until|till|by|during|from|through|for|of|before|after|on|to|and",
            rf"\s+(?:(?:early|late|mid-?|the end of|the start of)\s*)?{_MONFULL_T}",
        ),
        ("early|late|mid-", rf"\s*{_MONFULL_T}"),
        ("last|next|this", rf"\s+{_MONFULL_T}"),
    ),
    # _P_YEAR and _P_SPAN: anchored on their keyword instead (_ANCHORS below)
    _P_WEEKDAY: _twin(("last|next|this|past|coming", rf"\s+{_WD_T}"), ("|".join(_WEEKDAYS), "")),
    _P_DAYWORD: _twin(
        ("the day before yesterday|the day after tomorrow|yesterday|today|tomorrow|tonight", ""),
        ("this|last", r"\s+(?:morning|afternoon|evening|night)"),
    ),
    _P_PERIOD: _twin(
        ("earlier|later|early|late", r"\s+(?:this|last|next|past|coming)\s"),
        ("this|last|next|past|coming", r"\s+(?:week|month|year)"),
    ),
    _P_AGO: (
        re.compile(rf"\d\d?\d?\s+{_UNIT_T}s?\s+ago"),
        _twin((_NUM_WORDS_T, rf"\s+{_UNIT_T}s?\s+ago")),
    ),
    _P_IN_N: _twin(
        ("in|within", rf"\s+(?:\d\d?\d?|{_NUM_WORDS_T})\s+(?:day|week|month|year)"),
    ),
    _P_TIME_AMPM: re.compile(r"\d\d?(?:[:.]\d\d)?\s*[ap]\.?m"),
    _P_TIME_24: re.compile(r"\d\d?:\d\d"),
    _P_TIME_WORD: _twin(("at", r"\s+(?:noon|midday|midnight)")),
}
# Lowercasing is position-preserving for all but a few characters; these also match ASCII
# letters case-insensitively in ``re`` ("ı", "ſ"): with any of them, scan the slow way.
_LOWER_UNSAFE = ("ı", "ſ")

# Literals every match of a pattern contains (any one of them): a text without them skips
# the pattern entirely (a substring test costs ~1 µs). Case-insensitive patterns are tested
# against the lowercased text. None: always scan.
_MONTH3 = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GATES: dict[re.Pattern[str], tuple[bool, tuple[str, ...]] | None] = {
    _P_ISO: (False, ("-",)), _P_ISO_WEEK: (False, ("-W",)), _P_DOT: None,
    _P_SLASH: (False, ("/",)), _P_MDY: (False, _MONTH3), _P_DMY: (False, _MONTH3),
    _P_MONTH_YEAR: (False, _MONTH3), _P_MONTH_BARE: (False, _MONTH3),
    _P_YEAR: (False, ("16", "17", "18", "19", "20")),
    _P_WEEKDAY: (False, tuple(d.title() for d in _WEEKDAYS)),
    _P_DAYWORD: (True, ("yesterday", "today", "tomorrow", "night", "morning", "afternoon",
                        "evening")),
    _P_PERIOD: (True, ("week", "month", "year")), _P_AGO: (True, ("ago",)),
    _P_IN_N: (True, ("day", "week", "month", "year")),
    _P_SPAN: (True, ("hour", "day", "week", "month", "year", "decade")),
    _P_TIME_AMPM: (False, ("am", "pm", "AM", "PM", "a.m.", "p.m.")),
    _P_TIME_24: (False, (":",)), _P_TIME_WORD: (True, ("noon", "midday", "midnight")),
    _P_QUARTER: (False, ("quarter", "half")), _P_FISCAL: (False, ("iscal", "FY")),
    _P_DECADE: (False, ("0s", "0's")), _P_CENTURY: (True, ("century",)),
    _P_SEASON: (True, ("spring", "summer", "autumn", "fall", "winter")),
    _P_NOW: (True, ("now", "current", "present", "these days", "moment")),
}  # fmt: skip


# Patterns built around a keyword ("quarter", "summer", "now", a unit, a year number) are
# tried only in a small window around each keyword hit: (keyword regex on the lowercased
# text, characters the pattern may start before the keyword, characters it may run past it).
_ANCHORS: dict[re.Pattern[str], tuple[re.Pattern[str], int, int]] = {
    _P_QUARTER: (re.compile(r"quarter|half"), 72, 40),
    _P_SEASON: (re.compile(r"spring|summer|autumn|fall|winter"), 28, 30),
    _P_NOW: (re.compile(r"now|current|present|these days|moment"), 8, 6),
    _P_SPAN: (re.compile(r"recent|coming|past|last|next|previous"), 16, 32),
    _P_YEAR: (re.compile(r"(?:1[6-9]|20)\d\d"), 24, 8),
    _P_WEEKDAY: (re.compile(_WD_T), 8, 12),
    _P_AGO: (re.compile(r"ago"), 32, 2),
    _P_MONTH_BARE: (re.compile(_MONFULL_T), 24, 8),
}


def _anchored(
    pattern: re.Pattern[str], text: str, low: str, anchor: tuple[re.Pattern[str], int, int]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern every match of which contains a keyword:
    the pattern only runs in a window around each keyword hit."""
    keys, back, ahead = anchor
    pos, n = 0, len(text)
    for k in keys.finditer(low):
        if k.start() < pos:
            continue
        for m in pattern.finditer(text, max(pos, k.start() - back), min(n, k.end() + ahead)):
            if m.start() > k.start():
                break
            if m.end() >= k.end():  # the match holds this keyword
                yield m
                pos = m.end()
                break


def _may_match(pattern: re.Pattern[str], text: str, folded: str) -> bool:
    gate = _GATES[pattern]
    if gate is None:
        return True
    fold, needles = gate
    haystack = folded if fold else text
    return any(n in haystack for n in needles)


def _matches(pattern: re.Pattern[str], text: str, low: str | None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, but trying ``pattern`` only where its twin matches in
    ``low`` (the lowercased text; ``None``: plain ``finditer``)."""
    if low is not None and (anchor := _ANCHORS.get(pattern)) is not None:
        yield from _anchored(pattern, text, low, anchor)
        return
    twin = _TWINS.get(pattern)
    if low is None or twin is None:  # rare keywords: the gate already skips most texts
        yield from pattern.finditer(text)
        return
    match = pattern.match
    if isinstance(twin, tuple):  # several twins: try them all, the nearest hit first
        pos = 0
        while hits := [h for t in twin if (h := t.search(low, pos)) is not None]:
            start = min(h.start() for h in hits)
            m = match(text, start)
            if m is not None:
                yield m
            pos = start + 1 if m is None else max(m.end(), start + 1)
        return
    search = twin.search
    pos = 0
    while (cand := search(low, pos)) is not None:
        start = cand.start()
        m = match(text, start)
        if m is None:
            pos = start + 1
            continue
        yield m
        pos = max(m.end(), start + 1)


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, longest (then highest priority) first."""
    hits.sort(key=lambda h: (-(h.end - h.start), -h.priority, h.start))
    taken: list[_Hit] = []
    starts: list[int] = []  # the taken spans, sorted and disjoint: so are their ends
    ends: list[int] = []
    for h in hits:
        j = bisect.bisect_left(starts, h.end)  # spans before j start before h ends
        if j and ends[j - 1] > h.start:
            continue  # the last of them overlaps h (a log-time test: long dated pages)
        starts.insert(j, h.start)
        ends.insert(j, h.end)
        taken.append(h)
    taken.sort(key=lambda h: h.start)
    return taken


def _merge_times(hits: list[_Hit], text: str) -> list[_Hit]:
    """Join a day with an adjacent clock time: "Tuesday at 3 p.m. ET", "23:59, 4 March"."""
    out: list[_Hit] = []
    i = 0
    while i < len(hits):
        h = hits[i]
        nxt = hits[i + 1] if i + 1 < len(hits) else None
        if nxt is not None:
            gap = text[h.end : nxt.start]
            day_first = h.granularity == "day" and h.day is not None and nxt.time_only
            time_first = h.time_only and nxt.granularity == "day" and nxt.day is not None
            if day_first and _JOIN_DATE_TIME.match(gap):
                out.append(_with_day(nxt, h, h.start, nxt.end))
                i += 2
                continue
            if time_first and _JOIN_TIME_DATE.match(gap):
                out.append(_with_day(h, nxt, h.start, nxt.end))
                i += 2
                continue
        out.append(h)
        i += 1
    return out


def _with_day(time_hit: _Hit, day_hit: _Hit, start: int, end: int) -> _Hit:
    assert day_hit.day is not None and time_hit.hour is not None
    offset = time_hit.offset
    if time_hit.zone:
        offset = _zone_offset(time_hit.zone, day_hit.day, time_hit.hour, time_hit.minute or 0)
    return replace(time_hit, start=start, end=end, day=day_hit.day, kind=day_hit.kind,
                   offset=offset, time_only=False)  # fmt: skip


def _value(h: _Hit) -> str:
    if h.fixed:
        return h.fixed
    if h.interval and h.rng:
        return f"{h.rng[0]}/{h.rng[1]}"
    if h.granularity == "year":
        return f"{h.year:04d}"
    if h.granularity == "month":
        return f"{h.year:04d}-{h.month:02d}"
    if h.granularity == "week" and h.week:
        return f"{h.week[0]:04d}-W{h.week[1]:02d}"
    assert h.day is not None
    if h.granularity == "day":
        return h.day.isoformat()
    if h.granularity == "hour":
        return f"{h.day.isoformat()}T{h.hour:02d}{_iso_offset(h.offset)}"
    return f"{h.day.isoformat()}T{h.hour:02d}:{h.minute:02d}{_iso_offset(h.offset)}"


def find_dates(
    text: str, published_at: datetime, *, dayfirst: bool = True, field: str = "text"
) -> list[dict]:
    """All date/time expressions in ``text`` resolved against ``published_at`` (tz-aware)."""
    if not text:
        return []
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    ctx = _Ctx(text, published_at, published_at.date(), dayfirst)
    hits: list[_Hit] = []
    lowered = text.lower()
    # twins need a position-preserving lowercase; else scan the slow way, gate on casefold
    safe = len(lowered) == len(text) and not any(c in lowered for c in _LOWER_UNSAFE)
    low = lowered if safe else None
    folded = lowered if safe else text.casefold()
    for pattern, rule in _RULES:
        if not _may_match(pattern, text, folded):
            continue
        for m in _matches(pattern, text, low):
            hit = rule(m, ctx)
            if hit is not None:
                hits.append(hit)
    out = []
    for h in _merge_times(_select(hits), text):
        rec: dict = {
            "text": text[h.start : h.end],
            "field": field,
            "start": h.start,
            "end": h.end,
            "value": _value(h),
            "kind": h.kind,
            "granularity": h.granularity,
        }
        rec["unit"] = h.unit or h.granularity
        if h.timex:
            rec["timex"] = h.timex
        if h.rng:
            rec["range"] = {"start": h.rng[0], "end": h.rng[1]}
        out.append(rec)
    return out


def article_dates(
    title: str, text: str, published_at: datetime, *, dayfirst: bool = True
) -> list[dict]:
    """Dates of the title, then of the text. A text that opens with its title repeats the
    title's expressions: those are reported once, from the title."""
    title, text = title or "", text or ""
    out = find_dates(title, published_at, dayfirst=dayfirst, field="title")
    body = find_dates(text, published_at, dayfirst=dayfirst, field="text")
    if title and out and text.startswith(title):
        body = [d for d in body if d["start"] >= len(title)]
    out.extend(body)
    return out
