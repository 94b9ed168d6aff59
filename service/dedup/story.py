"""Story state kept in the ``stories`` mapping, and its public payload (the ``stories`` topic).

State values are plain JSON; every update returns a new dict (Faust logs on ``__setitem__``).
"""

from __future__ import annotations

import functools
import operator
from datetime import UTC, datetime
from typing import Any

import xxhash

from service.dedup.scoring import PLACE_TYPES, salient_numbers

_second = operator.itemgetter(1)

MAX_TERMS = 40
MAX_BODY_TERMS = 160  # the body centroid: the largest summed counts of the articles' terms
MAX_LINK_TERMS = 120  # the summed unit vectors of the articles' title+lead terms (the cosine)
MAX_LINK_BODY = 320  # the same of their body terms
MAX_ENTITIES = 50
MAX_DATES = 20
MAX_NUMBERS = 30
MAX_PLACES = 20
TOP_ENTITIES = 10
KEY_DATES = 5


def story_id_for(article_id: str) -> str:
    """Stable story id derived from the id of the story's first article."""
    return "story-" + xxhash.xxh3_64_hexdigest(article_id.encode("utf-8"))[:12]


@functools.lru_cache(maxsize=4096)  # a story's first_ts recurs on every update
def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _top(counts: dict[str, Any], n: int, count: Any = None) -> dict[str, Any]:
    """The n largest entries (ties by key), trimmed only past 1.5 n (amortises the sort)."""
    if len(counts) <= n + n // 2:
        return counts
    keys = _largest(counts, n, count)
    return dict(zip(keys, map(counts.__getitem__, keys), strict=True))


def _largest(counts: dict[str, Any], n: int, count: Any = None) -> list[str]:
    """Keys of the n largest entries, ties by key: sorted by key, then (stable) by count,
    largest first. Two sorts of plain strs and ints: sorting (-count, key) pairs compared
    the strings of every tie (most counts tie)."""
    by_key = sorted(counts)
    if count is None:
        return sorted(by_key, key=counts.__getitem__, reverse=True)[:n]
    return sorted(by_key, key=lambda k: count(counts[k]), reverse=True)[:n]


def _summed(held: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``held``'s counts plus ``added``'s, new keys after, in ``added``'s order."""
    if not held:  # a new story: the article's counts as they are (0 + c is c), inserted one
        return {t: c for t, c in added.items()}  # by one: sized as the loop's dict (not a clone)
    out = dict(held)
    get = out.get
    for t, c in added.items():
        out[t] = get(t, 0) + c
    return out


def _with(outlets: list[str], source: str) -> list[str]:
    """The sorted distinct outlets with ``source`` (the same list when already there)."""
    if not source or source in outlets:
        return outlets
    return sorted([*outlets, source])


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
        "body": {},
        "link_terms": {},
        "link_body": {},
        "link_n": 0,
        "entities": {},
        "dates": {},
        "numbers": {},
        "places": {},
        "version": 0,
    }


def add_article(
    state: dict[str, Any],
    features: dict[str, Any],
    recent: int,
    unit: tuple[dict[str, float], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """A new story state with ``features``' article added (``state`` is left untouched).

    ``unit``: the article's unit title+lead and body vectors (``scoring.Query``), summed into
    the story's ``link_terms`` / ``link_body`` for the mean cosines; None (a copy) adds none:
    a copy repeats its original's words, and counting them twice would tilt the mean."""
    ts = features["published_ts"]
    terms = _summed(state["terms"], features["terms"])
    body = _summed(state.get("body") or {}, features.get("body_terms") or {})
    entities = dict(state["entities"])  # values are replaced below, never mutated
    places = dict(state["places"])
    for e in features["entities"]:
        held = entities.get(e["id"])
        entities[e["id"]] = [e["name"], (held[1] if held else 0) + e["count"], e["type"]]
        if e["type"] in PLACE_TYPES:
            places[e["id"]] = places.get(e["id"], 0) + e["count"]
    dates = dict(state["dates"])
    for d in features["dates"]:
        dates[d] = dates.get(d, 0) + 1
    numbers = dict(state["numbers"])
    for n in salient_numbers(features["lead_numbers"]):
        numbers[n] = numbers.get(n, 0) + 1
    links = {}
    if unit is not None:
        links = {
            "link_terms": _top(_summed(state.get("link_terms") or {}, unit[0]), MAX_LINK_TERMS),
            "link_body": _top(_summed(state.get("link_body") or {}, unit[1]), MAX_LINK_BODY),
            "link_n": state.get("link_n", 0) + 1,
        }
    # a late article published before the story's first becomes its first (first_seen too)
    earlier = (ts, features["id"]) < (state["first_ts"], state["first_article"])
    return {
        **state,
        "first_article": features["id"] if earlier else state["first_article"],
        "first_ts": min(state["first_ts"], ts),
        "last_ts": max(state["last_ts"], ts),
        "article_count": state["article_count"] + 1,
        "outlets": _with(state["outlets"], features["source"]),
        "recent": [*state["recent"], features["id"]][-recent:],
        "terms": _top(terms, MAX_TERMS),
        "body": _top(body, MAX_BODY_TERMS),
        "entities": _top(entities, MAX_ENTITIES, _second),
        "dates": _top(dates, MAX_DATES),
        "numbers": _top(numbers, MAX_NUMBERS),
        "places": _top(places, MAX_PLACES),
        **links,
        "version": state["version"] + 1,
    }


def payload(state: dict[str, Any]) -> dict[str, Any]:
    """The ``stories`` topic value for a story state."""
    entities = state["entities"]
    top = _largest(entities, TOP_ENTITIES, _second)
    dates = _largest(state["dates"], KEY_DATES)
    return {
        "story_id": state["story_id"],
        "title": state["title"],
        "first_seen": iso(state["first_ts"]),
        "last_seen": iso(state["last_ts"]),
        "article_count": state["article_count"],
        "outlets": state["outlets"],
        "recent_article_ids": state["recent"],
        "top_entities": [{"id": k, "name": entities[k][0], "count": entities[k][1]} for k in top],
        "key_dates": dates,
        "version": state["version"],
    }
