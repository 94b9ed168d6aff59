"""Date rules, traps and the seed article (pure functions, no model)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from service.enrich.dates import find_dates

PUB = datetime.fromisoformat("2026-03-05T14:30:00+02:00")  # a Thursday, ISO week 2026-W10
SEED = Path(__file__).resolve().parents[2].parent / "shared/seeds/unn-secret-talks-2026-03-05.txt"


def one(text: str, pub: datetime = PUB, **kw: bool) -> dict:
    found = find_dates(text, pub, **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("teaser 04.03.26, 23:59 • 3016 views", "04.03.26, 23:59", "2026-03-04T23:59"),
        ("dated 2026-03-02 in the file", "2026-03-02", "2026-03-02"),
        ("signed on March 1, 2026.", "March 1, 2026", "2026-03-01"),
        ("expires on 15 March.", "15 March", "2026-03-15"),
        ("born on 12/03/1961", "12/03/1961", "1961-03-12"),
        ("until 31.12.2027 at least", "31.12.2027", "2027-12-31"),
        ("elections in May 2026.", "May 2026", "2026-05"),
        ("signed in 2015.", "2015", "2015"),
        ("week 2026-W10 data", "2026-W10", "2026-W10"),
        ("at 2026-03-04T10:00Z", "2026-03-04T10:00Z", "2026-03-04T10:00+00:00"),
        ("approved it yesterday.", "yesterday", "2026-03-04"),
        ("Two days ago the army said", "Two days ago", "2026-03-03"),
        ("Strikes continued last week.", "last week", "2026-W09"),
        ("due next month in Brussels", "next month", "2026-04"),
        ("fell this morning", "this morning", "2026-03-05"),
        ("resigned three hours ago", "three hours ago", "2026-03-05T11+02:00"),
        ("They met on Tuesday.", "Tuesday", "2026-03-03"),
        ("They will meet on Tuesday.", "Tuesday", "2026-03-10"),
        ("The firm said on Thursday it grew.", "Thursday", "2026-03-05"),
        (
            "The vote is set for 3 p.m. ET on Monday.",
            "3 p.m. ET on Monday",
            "2026-03-09T15:00-04:00",
        ),
        (
            "It took effect at 14:00 GMT on Wednesday.",
            "14:00 GMT on Wednesday",
            "2026-03-04T14:00+00:00",
        ),
        ("Results at 10:00 CET.", "10:00 CET", "2026-03-05T10:00+01:00"),
        ("in mid-March", "mid-March", "2026-03"),
    ],
)
def test_rules(text: str, surface: str, value: str) -> None:
    d = one(text)
    assert (d["text"], d["value"]) == (surface, value)
    assert text[d["start"] : d["end"]] == surface


def test_earlier_this_week_is_a_range_in_the_publication_week() -> None:
    d = one("Earlier this week, intelligence services received information.")
    assert d["kind"] == "relative" and d["granularity"] == "week"
    assert d["value"] == "2026-W10"
    assert d["range"] == {"start": "2026-03-02", "end": "2026-03-04"}


def test_in_recent_days_is_a_range_before_publication() -> None:
    d = one("through third countries in recent days.")
    assert d["range"] == {"start": "2026-02-26", "end": "2026-03-04"}
    assert d["value"] == "2026-02-26/2026-03-04"


def test_day_month_range() -> None:
    d = one("The conference was held on 2-3 March in Paris.")
    assert d["range"] == {"start": "2026-03-02", "end": "2026-03-03"}


def test_dayfirst_false_reads_month_first() -> None:
    assert one("on 03/12/2025", dayfirst=False)["value"] == "2025-03-12"
    assert one("on 03/12/2025")["value"] == "2025-12-03"


def test_fields_offsets_and_kinds() -> None:
    d = one("Police said the suspect was arrested on 28.06.2025 in Berlin.")
    assert d["field"] == "text" and d["kind"] == "absolute" and d["granularity"] == "day"
    assert find_dates("on Friday", PUB, field="title")[0]["field"] == "title"


def test_naive_published_at_is_taken_as_utc() -> None:
    assert one("yesterday", datetime(2026, 3, 5, 12))["value"] == "2026-03-04"


@pytest.mark.parametrize(
    "trap",
    [
        "The video got 3016 views.",
        "The ticket costs $43.",
        "The fund holds $43.450.22 in reserve.",
        "US and Iran may have held secret talks.",
        "We treated these messages as nonsense.",
        "The team won 3-1 at home.",
        "The match ended 2:1.",
        "Call 0800 500 335 or +380 44 123 4567.",
        "Unemployment rose to 7.5% and inflation to 12.3 percent.",
        "More than 2030 people signed it.",
        "Version 3.8.18 was released.",
        "Room 1204 of building 2026.",
        "The shop is open 24/7.",
        "Black Friday sales rose.",
        "He spoke to May about it.",
    ],
)
def test_traps_yield_no_date(trap: str) -> None:
    assert find_dates(trap, PUB) == []


def test_seed_article_raw_text() -> None:
    if not SEED.exists():
        pytest.skip("shared seed article missing")
    found = {d["text"]: d for d in find_dates(SEED.read_text("utf-8"), PUB)}
    assert found["04.03.26, 23:59"]["value"] == "2026-03-04T23:59"
    assert found["05.03.26, 00:12"]["value"] == "2026-03-05T00:12"
    assert found["Earlier this week"]["range"]["start"] == "2026-03-02"
    assert "recent days" in found  # TimeML extent: "in" is a signal, outside
    assert not any("3016" in t or "43" in t for t in found)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The ultimatum expires at 23:59 on Sunday.", "2026-03-08T23:59"),
        ("The ceasefire takes effect on Monday.", "2026-03-09"),
        ("The ultimatum expired on Sunday.", "2026-03-01"),
    ],
)
def test_present_tense_with_future_meaning(text: str, value: str) -> None:
    assert one(text)["value"] == value


_SCAN_TEXTS = [
    "In early May 2026 and IN MAY, mid-March, the end of June; LAST monday, next Friday.",
    "Berlin early May, within May, tomorrow morning, THE DAY AFTER TOMORROW, Yesterday.",
    "in 2025 when, mid-2024, end of 2023, For 2030 views, between 1999 and 2001.",
    "04.03.26, 23:59 • 3016 views; 12/03/1961, 2026-03-04T10:00Z, 2026-W10, 3.8.18.",
    "Two days ago, A FEW weeks ago, ٣ days ago, in ١٠ days, in a couple of weeks' time.",
    "3 p.m. ET, 10am, 9.30 PM (Kyiv time), at noon, At Midnight, 14:00 hrs, 9:45-10:30.",
    "over the past few days, In The Coming Weeks, during the last 24 hours, for next month.",
    "1st-3rd of March, 15 Sept. 2025, Sept. 15, Dec 3rd, mar. 2024, Black Friday.",
    "ſeveral days ago on İstanbul time, yeſterday, ıN 2020.",  # slow-path characters
    "The Third Quarter, third-quarter, the 1988 fiscal fourth quarter of 1989, last year's"
    " quarter, first-half, behalf, the comparable year-ago quarter, quarter-final.",
    "This past Summer, the winter of 1994, spring 1998, in the fall, late-autumn, Fall 2020.",
    "Now, right now, currently, these days, at present, presently, known, snow, momentum.",
    "in recent years, over the past 20 years, the next few days, recent weeks, past years,"
    " the 1996 law, its 1990 plan, the company's 1989 results, the end of 1990, 1898.",
]


def test_twin_scan_equals_finditer() -> None:
    """Each pattern tried only where its twin matches finds exactly what finditer finds."""
    from service.enrich import dates as d

    gold = Path(__file__).resolve().parents[2] / "bench/data/dates_gold.jsonl"
    texts = list(_SCAN_TEXTS)
    if gold.exists():
        texts += [line for line in gold.read_text("utf-8").splitlines() if line.strip()]
    for text in texts:
        low = text.lower()
        if len(low) != len(text) or any(c in low for c in d._LOWER_UNSAFE):
            continue
        for pattern, _ in d._RULES:
            want = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in d._matches(pattern, text, low)] == want, pattern.pattern
