"""Per-article dedup features: the expensive, partitionable half of deduplication.

``article_features`` runs in the parallel (partitioned) stage; its JSON-serializable result is
all the single ordered decision stage (``DedupEngine.decide``) needs.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from service.dedup import scoring, signatures
from service.dedup.normalize import exact_hash, normalize_text

MAX_ENTITIES = 30
MAX_DATES = 10
_NON_EVENT_DATE_KINDS = frozenset({"publication", "published", "publish_date"})


def parse_utc(value: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp (naive means UTC)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _entities(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for e in raw:
        eid = e.get("id") or e.get("name")
        if not eid:
            continue
        eid = str(eid)
        count = int(e.get("count") or 1)
        if eid in by_id:
            by_id[eid]["count"] += count
        else:
            by_id[eid] = {
                "id": eid,
                "name": str(e.get("name") or eid),
                "type": str(e.get("type") or ""),
                "count": count,
            }
    ranked = sorted(by_id.values(), key=lambda e: (-e["count"], e["id"]))
    return ranked[:MAX_ENTITIES]


def _event_dates(raw: list[dict[str, Any]]) -> list[str]:
    """Day values (YYYY-MM-DD) of the dated events found: day precision or finer only, so vague
    periods ("in recent days", intervals), weeks, months and years are left out."""
    out: dict[str, None] = {}
    for d in raw:
        if str(d.get("kind") or "").lower() in _NON_EVENT_DATE_KINDS:
            continue
        if d.get("timex") == "PRESENT_REF":  # "now": the publication day, not an event's
            continue
        value = d.get("value")
        if isinstance(value, str) and len(value) >= 10 and "/" not in value and "W" not in value:
            out[value[:10]] = None
    return list(out)[:MAX_DATES]


def article_features(article: dict[str, Any]) -> dict[str, Any]:
    """Everything the decision stage needs about one enriched article, as plain JSON data."""
    title = str(article.get("title") or "")
    body = normalize_text(str(article.get("text") or "")) or normalize_text(title)
    tokens = signatures.words(body)
    shingles = signatures.shingles(tokens)
    title_norm = " ".join(unicodedata.normalize("NFKC", title).casefold().split())
    lead = " ".join(tokens[: scoring.LEAD_WORDS])
    return {
        "id": str(article["id"]),
        "source": str(article.get("source") or ""),
        "title": title,
        "published_at": str(article["published_at_utc"]),
        "published_ts": parse_utc(str(article["published_at_utc"])),
        "exact": exact_hash(body),
        "signature": signatures.minhash(shingles),
        "n_shingles": len(shingles),
        "lead_key": signatures.lead_key(tokens),
        "numbers": signatures.numbers(body),
        "lead_numbers": signatures.numbers(f"{title_norm} {lead}"),
        "terms": scoring.terms(title_norm, lead),
        "body_terms": scoring.body_terms(tokens),
        "entities": _entities(list(article.get("entities") or [])),
        "dates": _event_dates(list(article.get("dates") or [])),
    }
