"""Cleaning and dates on the project's own scraped page (tests/fixtures/scraped_article.txt):
the behaviours the shared seed article checks, on a clone without ../shared too."""

from __future__ import annotations

from datetime import datetime

import pytest

from service.enrich.dates import find_dates
from service.text import clean_text
from tests.conftest import SCRAPED, scraped_article

PUB = datetime.fromisoformat("2026-04-14T11:30:00+02:00")  # a Tuesday


@pytest.fixture(scope="module")
def cleaned() -> str:
    article = scraped_article()
    return clean_text(article["body"], article["title"])


def test_view_counters_and_glued_teasers_are_gone(cleaned: str) -> None:
    assert "views" not in cleaned
    assert "13.04.26" not in cleaned and "14.04.26" not in cleaned
    assert "Ferry operators cancel weekend crossings" not in cleaned
    assert "Fuel prices rise in the north" not in cleaned


def test_header_dateline_labels_byline_and_tags_are_gone(cleaned: str) -> None:
    assert "$41.180.07" not in cleaned
    assert "NFA" not in cleaned
    assert "\nDetails\n" not in cleaned
    assert "Marta Lindqvist" not in cleaned
    assert "Regional news" not in cleaned and "Labour unions" not in cleaned
    assert not cleaned.rstrip().endswith("unions")
    # the headline repeated in the body is dropped (the title has its own field)
    assert "extend strike as port talks collapse" not in cleaned


def test_real_paragraphs_quotes_and_subheads_are_kept(cleaned: str) -> None:
    assert cleaned.startswith("The strike at the port of Varnholm entered its ninth day")
    for sentence in (
        "Mayor Ilse Brandt told the city council on Tuesday",
        "said its offer of 14.04.2026 remained on the table",
        "Union leader Tomas Ekdal said members voted on 11.04.2026",
        "Container ships have been diverted to Saltmere",
        "We will not accept a deal that puts night shifts at risk",
        "— said Ekdal at a rally outside the port gates.",
        "keep the port competitive with its neighbours.",
    ):
        assert sentence in cleaned
    # the paragraph the teaser was glued to keeps its sentence
    assert "needed to keep the port competitive" in cleaned
    assert "\n\n" in cleaned and "\n\n\n" not in cleaned


def test_day_first_dates_in_the_raw_page() -> None:
    found = {d["text"]: d for d in find_dates(SCRAPED.read_text("utf-8"), PUB)}
    assert found["13.04.26, 18:40"]["value"] == "2026-04-13T18:40"
    assert found["14.04.26, 07:05"]["value"] == "2026-04-14T07:05"
    assert found["11.04.2026"]["value"] == "2026-04-11"  # day first: 11 April, not 4 November
    assert found["14.04.2026"]["value"] == "2026-04-14"
    assert not any("2211" in t or "1389" in t or "47" in t or "41." in t for t in found)


def test_slashed_dates_follow_the_source_order() -> None:
    text = "voted on 11/04/2026"
    assert find_dates(text, PUB)[0]["value"] == "2026-04-11"  # day first by default
    assert find_dates(text, PUB, dayfirst=False)[0]["value"] == "2026-11-04"
