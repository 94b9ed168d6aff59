"""Cleaning removes scraped noise and keeps the real paragraphs (seed article included)."""

from __future__ import annotations

import time

import pytest

from service.text import clean_text
from tests.conftest import SEED, seed_article


@pytest.fixture(scope="module")
def seed_clean() -> str:
    if not SEED.exists():
        pytest.skip("shared seed article not found")
    article = seed_article()
    return clean_text(article["body"], article["title"])


def test_seed_view_counters_and_teasers_are_gone(seed_clean: str) -> None:
    assert "views" not in seed_clean
    assert "04.03.26" not in seed_clean
    assert "05.03.26" not in seed_clean
    assert "US Senate fails to vote" not in seed_clean
    assert "Trump's inner circle demands declaration" not in seed_clean


def test_seed_header_byline_tags_and_labels_are_gone(seed_clean: str) -> None:
    assert "$43.450.22" not in seed_clean
    assert "Kyiv • UNN" not in seed_clean
    assert "Stepan Haftko" not in seed_clean
    assert "News of the World" not in seed_clean
    assert not seed_clean.rstrip().endswith("Iran")
    assert "\nDetails\n" not in seed_clean
    # The repeated headline is dropped; the title lives in its own field.
    assert "may have held secret talks behind Israel's back, Netanyahu" not in seed_clean


def test_seed_real_paragraphs_are_kept(seed_clean: str) -> None:
    assert seed_clean.startswith("Israeli Prime Minister Netanyahu requested an explanation")
    for sentence in (
        "Israeli Prime Minister Benjamin Netanyahu initiated an urgent request",
        "Earlier this week, Israeli intelligence services received information",
        "During a phone call, White House representatives assured Netanyahu",
        "through third countries in recent days.",
        "Special Envoy Steve Witkoff and Jared Kushner",
        "— commented an American official on the situation",
    ):
        assert sentence in seed_clean
    assert "\n\n" in seed_clean
    assert "\n\n\n" not in seed_clean


def test_teaser_glued_after_a_sentence_is_cut_but_the_sentence_stays() -> None:
    body = (
        "Officials met in Doha on Monday. Ceasefire talks stall in Gaza04.03.26, 23:59 • 3016 views"
        "\n\nThe next round is planned."
    )
    text = clean_text(body)
    assert text == "Officials met in Doha on Monday.\n\nThe next round is planned."


def test_inline_counter_and_ui_labels() -> None:
    body = "Read also:\nShare\nThe minister resigned on Friday • 1 204 views\nFollow us on Telegram"
    assert clean_text(body) == "The minister resigned on Friday"


def test_short_trailing_line_alone_is_kept() -> None:
    body = "The council voted 7 to 2.\n\nMore details later"
    assert clean_text(body) == "The council voted 7 to 2.\n\nMore details later"


def test_control_characters_and_whitespace_are_normalised() -> None:
    assert clean_text("A\u200b b\u0000c\t\t d\r\n\r\n\r\nE.") == "A bc d\n\nE."


def test_hostile_input_is_cleaned_in_bounded_time() -> None:
    hostile = ("a" * 5000 + "04.03.26, 23:59 ") * 40 + "• 12"
    began = time.perf_counter()
    clean_text(hostile)
    assert time.perf_counter() - began < 2.0
