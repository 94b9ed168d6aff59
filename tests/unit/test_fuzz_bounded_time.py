"""No single input makes validation, cleaning or enrichment take unbounded time.

A guard against catastrophic regex backtracking and quadratic loops: adversarial bodies and
titles (long runs of separators, digits, dots, date-like fragments, nested brackets) go through
the whole per-article path (`service.pipeline.prepare` with the real spaCy pipeline) and each
must finish within BOUND_S. Each case runs in a forked child that is killed at the deadline,
so a catastrophic case fails in seconds instead of hanging the suite (before the long-run guard
in `service/enrich/pipeline.py`, "((((…" or 50,000 emoji took minutes in spaCy's tokenizer).
Measured here after the guard: at most 1.4 s per case (100,000-character bodies).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from typing import Any

import pytest

from service import jsonio
from service.enrich import load_pipeline
from service.errors import InvalidArticle
from service.pipeline import prepare

BOUND_S = 5.0  # measured worst case 1.4 s; the machine is shared
SIZE = 100_000

ADVERSARIAL = {
    "separators": "—•|·" * (SIZE // 4),
    "spaces_and_newlines": " \n\t\r" * (SIZE // 4),
    "digits": "7" * SIZE,
    "dots": "." * SIZE,
    "digit_dot_runs": "1.2.3.4.5.6.7.8.9." * (SIZE // 18),
    "dateline_repeated": "04.03.26, 23:59 •" * (SIZE // 17),
    "dates_spaced": "04.03.26, 23:59 • " * (SIZE // 18),
    "nested_brackets": "(" * (SIZE // 2) + ")" * (SIZE // 2),
    "nested_mixed": "([{<" * (SIZE // 8) + ">}])" * (SIZE // 8),
    "month_words": "March 5, 2026 " * (SIZE // 14),
    "number_words": "1,000,000.00 " * (SIZE // 13),
    "unclosed_tags": "<a " * (SIZE // 3),
    "url_like": "http://" * (SIZE // 7),
    "capitalised": "Aa " * (SIZE // 3),
    "one_long_word": "x" * SIZE,
    "emoji": "\U0001f4a5" * (SIZE // 2),
    "combining_marks": "a" + "\u0301" * SIZE,
    "views_and_shares": "3016 views 12 shares " * (SIZE // 21),
}


@pytest.fixture(scope="module")
def enricher() -> Any:
    return load_pipeline()


def _article(title: str, body: str) -> bytes:
    return jsonio.dumps(
        {
            "id": "fuzz-1",
            "source": "fuzz.example",
            "url": "https://fuzz.example/1",
            "title": title,
            "body": body,
            "published_at": "2026-03-05T10:00:00+02:00",
            "language": "en",
        }
    )


def _run(value: bytes, enricher: Any) -> None:
    with contextlib.suppress(InvalidArticle):
        prepare(value, enricher, max_bytes=1_000_000, max_body_chars=200_000)


def _timed(value: bytes, enricher: Any) -> float:
    """Seconds `prepare` took in a forked child (inf if it had to be killed at the deadline)."""
    child = multiprocessing.get_context("fork").Process(target=_run, args=(value, enricher))
    began = time.perf_counter()
    child.start()
    child.join(BOUND_S)
    took = time.perf_counter() - began
    if child.is_alive():
        child.kill()
        child.join()
        return float("inf")
    assert child.exitcode == 0, f"prepare crashed (exit code {child.exitcode})"
    return took


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_body_is_processed_in_bounded_time(name: str, enricher: Any) -> None:
    took = _timed(_article("A title", ADVERSARIAL[name]), enricher)
    assert took < BOUND_S, f"{name}: {took:.2f}s"


@pytest.mark.parametrize("name", ["dateline_repeated", "nested_brackets", "digit_dot_runs"])
def test_adversarial_title_is_processed_in_bounded_time(name: str, enricher: Any) -> None:
    took = _timed(_article(ADVERSARIAL[name][:2_000], ADVERSARIAL[name]), enricher)
    assert took < BOUND_S, f"{name}: {took:.2f}s"
