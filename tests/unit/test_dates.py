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


# --------------------------------------------------------------------------- TimeML families
# PUB is Thursday 2026-03-05: first quarter, spring (TimeML: winter is December-February).


@pytest.mark.parametrize(
    ("text", "surface", "value", "unit"),
    [
        ("Profit fell in the third quarter.", "the third quarter", "2025-Q3", "quarter"),
        ("Profit will rise in the third quarter.", "the third quarter", "2026-Q3", "quarter"),
        ("Its third-quarter profit fell.", "third-quarter", "2025-Q3", "quarter"),
        (
            "Sales in the fourth quarter of 2024 rose.",
            "the fourth quarter of 2024",
            "2024-Q4",
            "quarter",
        ),
        ("Net income for the quarter rose 5%.", "the quarter", "2025-Q4", "quarter"),
        ("Sales in the current quarter are weak.", "the current quarter", "2026-Q1", "quarter"),
        ("It lost $3 in the year-ago quarter.", "the year-ago quarter", "2024-Q4", "quarter"),
        ("than in last year's third quarter", "last year's third quarter", "2025-Q3", "quarter"),
        ("Output grew in the first half of 2025.", "the first half of 2025", "2025-H1", "half"),
        ("Its second-half profit fell.", "second-half", "2025-H2", "half"),
        ("Revenue in fiscal 2025 rose.", "fiscal 2025", "2025", "fiscal_year"),
        ("for the current fiscal year", "the current fiscal year", "2026", "fiscal_year"),
        ("Prices rose in the 1990s.", "the 1990s", "199", "decade"),
        ("It began in the mid-1980s.", "the mid-1980s", "198", "decade"),
        ("a hit in the '80s", "the '80s", "198", "decade"),
        ("the worst war of the 20th century", "the 20th century", "19", "century"),
        ("the worst flood this century", "this century", "20", "century"),
        ("Talks began last summer.", "last summer", "2025-SU", "season"),
        ("Talks resume this spring.", "this spring", "2026-SP", "season"),
        ("It will open next winter.", "next winter", "2026-WI", "season"),
        ("It froze in the winter of 1994.", "the winter of 1994", "1994-WI", "season"),
        ("The plan dates from spring 2024.", "spring 2024", "2024-SP", "season"),
        ("It closed in early 1990, when", "early 1990", "1990", "year"),
        ("by the end of 1990.", "the end of 1990", "1990", "year"),
        ("the 1996 law on trade", "1996", "1996", "year"),
        ("the company's 1989 budget", "1989", "1989", "year"),
        ("independence from Spain in 1898.", "1898", "1898", "year"),
    ],
)
def test_timeml_periods(text: str, surface: str, value: str, unit: str) -> None:
    d = one(text)
    assert (d["text"], d["value"], d["unit"]) == (surface, value, unit)
    assert d["granularity"] in ("year", "month", "week", "day", "hour", "minute")


def test_periods_coarser_than_the_v1_enum_carry_a_range() -> None:
    d = one("Prices rose in the 1990s.")
    assert d["granularity"] == "year" and d["range"] == {"start": "1990-01-01",
                                                         "end": "1999-12-31"}  # fmt: skip
    q = one("Profit fell in the third quarter.")
    assert q["range"] == {"start": "2025-07-01", "end": "2025-09-30"}
    w = one("It will open next winter.")
    assert w["range"] == {"start": "2026-12-01", "end": "2027-02-28"}


@pytest.mark.parametrize("text", ["Prices are now higher.", "It is currently closed.",
                                  "Right now, nobody knows."])  # fmt: skip
def test_now_is_the_publication_day_with_present_ref(text: str) -> None:
    d = one(text)
    assert (d["value"], d["granularity"], d["timex"]) == ("2026-03-05", "day", "PRESENT_REF")


def test_recent_years_is_past_ref_without_its_preposition() -> None:
    d = one("Prices rose in recent years.")
    assert d["text"] == "recent years" and d["timex"] == "PAST_REF"
    assert d["range"]["end"] == "2026-03-04"


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("Growth slowed over the past decade.", "the past decade", "2016-03-05/2026-03-04"),
        ("It opens early next year.", "early next year", "2027"),
        ("It fell late last year.", "late last year", "2025"),
        ("Prices rose two years ago.", "two years ago", "2024"),
        ("Sales fell last month.", "last month", "2026-02"),
        ("Sales rose this year.", "this year", "2026"),
        ("Talks stalled last week.", "last week", "2026-W09"),
        ("It was signed in March.", "March", "2026-03"),
    ],
)
def test_relative_periods(text: str, surface: str, value: str) -> None:
    d = one(text)
    assert (d["text"], d["value"]) == (surface, value)


def test_part_of_day_keeps_the_day_and_says_which_part() -> None:
    d = one("Markets fell this morning.")
    assert (d["value"], d["timex"]) == ("2026-03-05", "2026-03-05TMO")
    assert one("They met on Tuesday night.")["timex"] == "2026-03-03TNI"


def test_now_is_no_event_date_for_dedup() -> None:
    from service.dedup.features import _event_dates

    found = find_dates("Prices are now higher than on Tuesday.", PUB)
    assert _event_dates(found) == ["2026-03-03"]


def test_title_dates_are_not_repeated_from_a_text_opening_with_the_title() -> None:
    from service.enrich.dates import article_dates

    title = "Talks resumed on Tuesday"
    out = article_dates(title, title + ".\n\nThey end on Friday.", PUB)
    assert [(d["field"], d["text"]) for d in out] == [("title", "Tuesday"), ("text", "Friday")]
    other = article_dates(title, "Talks went on. Tuesday was calm.", PUB)
    assert [d["field"] for d in other] == ["title", "text"]


@pytest.mark.parametrize(
    "trap",
    [
        "The spring broke in the old clock.",
        "They bathed in a hot spring.",
        "They plan the sowing of the winter wheat.",
        "the fall in oil prices",
        "after the fall of the wall",
        "He finished second in the race.",
        "It is the second largest bank.",
        "He scored twice in the third quarter.",
        "Arsenal led in the second half of the match.",
        "They won a quarter of the vote.",
        "She lives in the French Quarter.",
        "He reached the quarter-final.",
        "Three quarters of voters agreed.",
        "the company's 2000 employees",
        "More than 1990 people signed it.",
        "It employs the 2000 workers it had.",
        "The army lost 1800 men.",
        "Protesters march on the capital.",
        "May said the talks were over.",
        "They know the snow is nowhere.",
        "NOW, the women's group, objected.",
        "Women in their 20s and 30s voted.",
        "The video got 3016 views and cost $43.",
        "He spent half of his savings.",
    ],
)
def test_new_family_traps_yield_no_date(trap: str) -> None:
    assert find_dates(trap, PUB) == []


def test_march_as_a_lowercase_verb_is_no_month() -> None:
    found = find_dates("Protesters march in March.", PUB)
    assert [d["text"] for d in found] == ["March"]


def test_select_keeps_the_longest_disjoint_spans_like_the_pairwise_rule() -> None:
    """_select's bisect test picks what comparing each hit with every taken one picks."""
    import random

    from service.enrich import dates as d

    rng = random.Random(5)
    for _ in range(200):
        hits = []
        for _ in range(rng.randint(0, 30)):
            s = rng.randint(0, 80)
            hits.append(d._Hit(s, s + rng.randint(1, 12), "day", "absolute",
                               priority=rng.randint(0, 3)))  # fmt: skip
        naive: list = []
        for h in sorted(hits, key=lambda h: (-(h.end - h.start), -h.priority, h.start)):
            if all(h.end <= t.start or h.start >= t.end for t in naive):
                naive.append(h)
        assert d._select(list(hits)) == sorted(naive, key=lambda h: h.start)
