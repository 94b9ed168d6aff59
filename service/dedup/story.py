"""Story state kept in the ``stories`` mapping, and its public payload (the ``stories`` topic).

State values are plain JSON; every update returns a new dict (Faust logs on ``__setitem__``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import xxhash

MAX_TERMS = 64
MAX_ENTITIES = 50
MAX_DATES = 20
MAX_NUMBERS = 50
TOP_ENTITIES = 10
KEY_DATES = 5


def story_id_for(article_id: str) -> str:
    """Stable story id derived from the id of the story's first article."""
    return "story-" + xxhash.xxh3_64_hexdigest(article_id.encode("utf-8"))[:12]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _top(counts: dict[str, Any], n: int, key: Any = None) -> dict[str, Any]:
    """The n largest entries, trimmed only past 1.5 n (amortises the sort)."""
    if len(counts) <= n + n // 2:
        return counts
    ranked = sorted(counts.items(), key=key or (lambda kv: (-kv[1], kv[0])))
    return dict(ranked[:n])


def new_story(story_id: str, features: dict[str, Any]) -> dict[str, Any]:
    return {
        "story_id": story_id,
        "title": features["title"],
        "first_article": features["id"],
        "first_ts": features["published_ts"],
        "last_ts": features["published_ts"],
        "article_count": 0,
        "outlets": [],
        "recent": [],
        "terms": {},
        "entities": {},
        "dates": {},
        "lead_numbers": [],
        "norm": 0.0,
        "version": 0,
    }


def add_article(state: dict[str, Any], features: dict[str, Any], recent: int) -> dict[str, Any]:
    """A new story state with ``features``' article added (``state`` is left untouched)."""
    ts = features["published_ts"]
    terms = dict(state["terms"])
    for t, c in features["terms"].items():
        terms[t] = terms.get(t, 0) + c
    entities = {k: list(v) for k, v in state["entities"].items()}
    for e in features["entities"]:
        name_count = entities.get(e["id"])
        entities[e["id"]] = [e["name"], (name_count[1] if name_count else 0) + e["count"]]
    dates = dict(state["dates"])
    for d in features["dates"]:
        dates[d] = dates.get(d, 0) + 1
    numbers = list(dict.fromkeys([*state["lead_numbers"], *features["lead_numbers"]]))
    return {
        **state,
        "first_ts": min(state["first_ts"], ts),
        "last_ts": max(state["last_ts"], ts),
        "article_count": state["article_count"] + 1,
        "outlets": sorted({*state["outlets"], features["source"]} - {""}),
        "recent": [*state["recent"], features["id"]][-recent:],
        "terms": _top(terms, MAX_TERMS),
        "entities": _top(entities, MAX_ENTITIES, key=lambda kv: (-kv[1][1], kv[0])),
        "dates": _top(dates, MAX_DATES),
        "lead_numbers": numbers[:MAX_NUMBERS],
        "version": state["version"] + 1,
    }


def payload(state: dict[str, Any]) -> dict[str, Any]:
    """The ``stories`` topic value for a story state."""
    top = sorted(state["entities"].items(), key=lambda kv: (-kv[1][1], kv[0]))[:TOP_ENTITIES]
    dates = sorted(state["dates"].items(), key=lambda kv: (-kv[1], kv[0]))[:KEY_DATES]
    return {
        "story_id": state["story_id"],
        "title": state["title"],
        "first_seen": iso(state["first_ts"]),
        "last_seen": iso(state["last_ts"]),
        "article_count": state["article_count"],
        "outlets": state["outlets"],
        "recent_article_ids": state["recent"],
        "top_entities": [{"id": k, "name": v[0], "count": v[1]} for k, v in top],
        "key_dates": [d for d, _ in dates],
        "version": state["version"],
    }
