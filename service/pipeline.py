"""The per-article work of the partitioned stage, as plain functions over dicts.

Agents call these; so do the evaluation scripts and benchmarks, so they all measure the
same code path. Stage timings are returned, not recorded, to keep this free of metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .text import clean_text
from .validation import parse_timestamp


class Enricher(Protocol):
    def entities(self, title: str, text: str) -> list[dict[str, Any]]: ...

    def dates(
        self, title: str, text: str, published_at: datetime, *, dayfirst: bool = True
    ) -> list[dict[str, Any]]: ...

    def language(self, title: str, text: str) -> str: ...


DEDUP_FIELDS = ("story_id", "duplicate_of", "duplicate_kind", "similarity", "evidence")


@dataclass
class Timings:
    """Seconds spent per stage for one article."""

    stages: dict[str, float] = field(default_factory=dict)

    def measure(self, stage: str, fn: Callable[[], Any]) -> Any:
        began = time.perf_counter()
        try:
            return fn()
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - began


def utc_now_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat()


def enrich_article(
    raw: dict[str, Any],
    enricher: Enricher,
    *,
    dayfirst: bool = True,
    timings: Timings | None = None,
) -> dict[str, Any]:
    """Validated raw article -> enriched article (dedup fields still empty)."""
    t = timings or Timings()
    published = parse_timestamp(raw["published_at"])
    title = raw["title"]
    text: str = t.measure("clean", lambda: clean_text(raw["body"], title))
    entities = t.measure("entities", lambda: enricher.entities(title, text))
    dates = t.measure("dates", lambda: enricher.dates(title, text, published, dayfirst=dayfirst))
    language = raw.get("language")
    article: dict[str, Any] = {
        **raw,
        "schema_version": raw.get("schema_version", 1),
        "published_at_utc": published.astimezone(UTC).isoformat(),
        "language": language or enricher.language(title, text),
        "language_detected": not language,
        "fetched_at": raw.get("fetched_at"),
        "text": text,
        "entities": entities,
        "dates": dates,
    }
    for name in DEDUP_FIELDS:
        article[name] = None
    return article


def prepare(
    value: bytes | None,
    enricher: Enricher,
    *,
    max_bytes: int,
    max_body_chars: int,
    monthfirst_sources: frozenset[str] = frozenset(),
    timings: Timings | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Raw message value -> (enriched article, dedup features). Raises InvalidArticle."""
    from .dedup import article_features
    from .validation import decode_raw

    t = timings or Timings()
    began = time.perf_counter()
    try:
        raw = decode_raw(value, max_bytes=max_bytes, max_body_chars=max_body_chars)
    finally:
        t.stages["validate"] = time.perf_counter() - began
    dayfirst = raw["source"] not in monthfirst_sources
    article = enrich_article(raw, enricher, dayfirst=dayfirst, timings=t)
    features = t.measure("features", lambda: article_features(article))
    return article, features
