"""The per-article work of the partitioned stage, as plain functions over dicts.

Agents call these; so do the evaluation scripts and benchmarks, so they all measure the
same code path. Stage timings are returned, not recorded, to keep this free of metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
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

    def measure(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args)
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
    text: str = t.measure("clean", lambda: clean_text(raw["body"], raw["title"]))
    entities = t.measure("entities", lambda: enricher.entities(raw["title"], text))
    return _assemble(raw, text, entities, enricher, dayfirst=dayfirst, timings=t)


def _assemble(
    raw: dict[str, Any],
    text: str,
    entities: list[dict[str, Any]],
    enricher: Enricher,
    *,
    dayfirst: bool,
    timings: Timings,
) -> dict[str, Any]:
    """Dates and language for a cleaned article with its entities -> the enriched article."""
    published = parse_timestamp(raw["published_at"])
    title = raw["title"]
    dates = timings.measure(
        "dates", lambda: enricher.dates(title, text, published, dayfirst=dayfirst)
    )
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


Prepared = tuple[dict[str, Any], dict[str, Any]]


def prepare_many(
    values: Sequence[bytes | None],
    enricher: Enricher,
    *,
    max_bytes: int,
    max_body_chars: int,
    monthfirst_sources: frozenset[str] = frozenset(),
    timings: Sequence[Timings] | None = None,
) -> list[Prepared | Exception]:
    """``prepare`` for a batch of raw values, the NER run once over the batch.

    The outcome stays per message, in input order: (article, features), or the exception
    that message raised (``InvalidArticle`` or any other), so a bad message costs only
    itself. Batch stage times (entities) are shared equally among the batch's articles.
    """
    from .dedup import article_features
    from .validation import decode_raw

    ts = list(timings) if timings is not None else [Timings() for _ in values]
    out: list[Prepared | Exception | None] = [None] * len(values)
    ok: list[tuple[int, dict[str, Any], str]] = []  # (index, raw, cleaned text)
    for i, value in enumerate(values):
        t = ts[i]
        began = time.perf_counter()
        try:
            raw = decode_raw(value, max_bytes=max_bytes, max_body_chars=max_body_chars)
        except Exception as exc:
            out[i] = exc
            continue
        finally:
            t.stages["validate"] = time.perf_counter() - began
        try:
            text: str = t.measure("clean", clean_text, raw["body"], raw["title"])
        except Exception as exc:
            out[i] = exc
            continue
        ok.append((i, raw, text))
    entities = _entities_batch(enricher, ok, ts)
    for (i, raw, text), ents in zip(ok, entities, strict=True):
        t = ts[i]
        try:
            if isinstance(ents, Exception):
                raise ents
            dayfirst = raw["source"] not in monthfirst_sources
            article = _assemble(raw, text, ents, enricher, dayfirst=dayfirst, timings=t)
            features = t.measure("features", article_features, article)
        except Exception as exc:
            out[i] = exc
            continue
        out[i] = (article, features)
    return [r if r is not None else RuntimeError("not processed") for r in out]


def _entities_batch(
    enricher: Enricher, ok: list[tuple[int, dict[str, Any], str]], ts: Sequence[Timings]
) -> list[list[dict[str, Any]] | Exception]:
    """Entities for each article; if the batch fails, article by article to isolate it."""
    if not ok:
        return []
    began = time.perf_counter()
    try:
        many = getattr(enricher, "entities_many", None)
        pairs = [(raw["title"], text) for _, raw, text in ok]
        if many is not None:
            result: list[list[dict[str, Any]] | Exception] = list(many(pairs))
            share = (time.perf_counter() - began) / len(ok)
            for i, _, _ in ok:
                ts[i].stages["entities"] = ts[i].stages.get("entities", 0.0) + share
            return result
    except Exception:
        pass
    result = []
    for i, raw, text in ok:
        try:
            result.append(ts[i].measure("entities", enricher.entities, raw["title"], text))
        except Exception as exc:
            result.append(exc)
    return result
