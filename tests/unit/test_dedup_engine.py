"""DedupEngine end to end on hand-written articles, eviction, determinism, JSON state."""

from __future__ import annotations

from typing import Any

import orjson

from service.dedup import DedupConfig, DedupEngine, article_features
from tests.unit.dedup_samples import (
    QUAKE_PERU,
    article,
    ecuador,
    peru,
    peru_rewrite,
    synthetic_features,
)

Tables = tuple[dict[str, Any], dict[str, Any]]


def new_engine(**config: Any) -> tuple[DedupEngine, Tables]:
    tables: Tables = ({}, {})
    return DedupEngine(DedupConfig(**config), *tables), tables


def stream() -> list[dict[str, Any]]:
    """Original, syndicated copy, edited copy, rewrite, different earthquake: in time order."""
    copy = article("peru-copy", QUAKE_PERU, source="wire.example", published="2026-02-11T21:30Z")
    edited = QUAKE_PERU.replace("Rescue teams were searching", "Rescuers combed").replace(
        "promised emergency", "pledged emergency"
    )
    near = article(
        "peru-edit", "By Ana Diaz\n" + edited, source="daily.example", published="2026-02-11T22:00Z"
    )
    return [peru(), copy, near, peru_rewrite(), ecuador()]


def test_exact_near_story_and_new_story() -> None:
    engine, _ = new_engine()
    ordered = sorted(stream(), key=lambda a: a["published_at_utc"])
    d = {a["id"]: engine.decide(article_features(a)) for a in ordered}
    first = d["peru-1"]
    assert first.duplicate_kind is None and first.duplicate_of is None
    assert first.story_id.startswith("story-")
    assert (d["peru-copy"].duplicate_kind, d["peru-copy"].duplicate_of) == ("exact", "peru-1")
    assert (d["peru-edit"].duplicate_kind, d["peru-edit"].duplicate_of) == ("near", "peru-1")
    assert d["peru-edit"].evidence["jaccard"] >= 0.5
    assert d["peru-2"].duplicate_kind == "story"
    assert d["peru-2"].duplicate_of == "peru-1"
    assert d["peru-2"].evidence["score"] >= 0.4
    assert {a for a, x in d.items() if x.story_id == first.story_id} == {
        "peru-1",
        "peru-copy",
        "peru-edit",
        "peru-2",
    }
    assert d["ecuador-1"].story_id != first.story_id
    assert d["ecuador-1"].duplicate_kind is None

    story = d["peru-2"].story
    assert story["story_id"] == first.story_id
    assert story["article_count"] == 4
    assert story["outlets"] == [
        "andesreport.example",
        "daily.example",
        "quakewatch.example",
        "wire.example",
    ]
    assert story["recent_article_ids"][-1] == "peru-2"
    assert story["title"] == peru()["title"]
    assert story["first_seen"] == "2026-02-11T21:05:00+00:00"
    assert {"id": "Q419", "name": "Peru", "count": 8} in story["top_entities"]
    assert story["key_dates"] == ["2026-02-10"]
    assert story["version"] == 4


def test_decisions_are_deterministic() -> None:
    def run() -> list[tuple[Any, ...]]:
        engine, tables = new_engine()
        out = []
        for a in stream():
            x = engine.decide(article_features(a))
            out.append((x.story_id, x.duplicate_of, x.duplicate_kind, x.similarity, x.story))
        return [*out, orjson.dumps(tables, option=orjson.OPT_SORT_KEYS)]

    assert run() == run()


def test_state_values_survive_a_json_round_trip() -> None:
    engine, tables = new_engine()
    for a in stream():
        engine.decide(article_features(a))
    restored = tuple({k: orjson.loads(orjson.dumps(v)) for k, v in t.items()} for t in tables)
    assert restored == tables
    for t in tables:
        assert t and all(orjson.loads(orjson.dumps(v)) == v for v in t.values())
    # a restarted engine on the restored tables decides the same way
    again = DedupEngine(DedupConfig(), *restored)
    assert again.rebuild() == len(tables[0])
    copy = article("late-copy", QUAKE_PERU, source="late.example", published="2026-02-12T03:00Z")
    assert again.decide(article_features(copy)).duplicate_of == "peru-1"
    features = article_features(copy)
    assert orjson.loads(orjson.dumps(features)) == features


def test_writes_replace_values_never_mutate_them() -> None:
    engine, (_, stories) = new_engine()
    engine.decide(article_features(peru()))
    before = {k: orjson.dumps(v) for k, v in stories.items()}
    held = dict(stories)
    engine.decide(article_features(peru_rewrite()))
    assert {k: orjson.dumps(v) for k, v in held.items()} == before


def test_expire_by_time_window() -> None:
    engine, (articles, stories) = new_engine()
    for a in stream():
        engine.decide(article_features(a))
    t_last = max(r["t"] for r in articles.values())
    assert engine.expire(t_last) == 0
    # past the 72 h story window, before the 7-day index window
    n_stories = len(stories)
    assert n_stories == 2
    assert engine.expire(t_last + 80 * 3600) == n_stories
    assert not stories and len(articles) == 5
    later = article(
        "peru-late", QUAKE_PERU, source="late.example", published="2026-02-15T12:00:00+00:00"
    )
    d = engine.decide(article_features(later))
    assert d.duplicate_kind == "exact" and d.duplicate_of == "peru-1"
    assert d.story["article_count"] == 1  # the story state was evicted, its id is kept
    later_ts = articles["peru-late"]["t"]
    assert engine.expire(later_ts) == 0
    assert engine.expire(later_ts + 169 * 3600) == 6 + 1  # six articles, one story
    assert not articles and not stories
    # the derived indexes empty with the tables: nothing outlives the window
    assert engine.indexed == 0
    assert not engine._buckets and not engine._df and not engine._edf
    assert not engine._term_stories and not engine._entity_stories


def test_expire_by_size_keeps_the_newest() -> None:
    engine, (articles, stories) = new_engine(max_index_articles=2, max_recent_stories=1)
    for a in stream():
        engine.decide(article_features(a))
    t_first = min(r["t"] for r in articles.values())
    assert engine.expire(t_first) > 0
    assert sorted(articles) == ["ecuador-1", "peru-2"]
    assert len(stories) == 1
    kept = {i for v in engine._buckets.values() for i in ([v] if isinstance(v, str) else v)}
    assert kept == {"ecuador-1", "peru-2"}


class CountingDict(dict[str, Any]):
    """A dict counting what a Faust table turns into changelog records."""

    writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)


def test_two_table_writes_per_decision() -> None:
    articles, stories = CountingDict(), CountingDict()
    engine = DedupEngine(DedupConfig(), articles, stories)
    feats = synthetic_features(200, step_hours=0.01)
    for f in feats:
        engine.decide(f)
    assert (articles.writes, stories.writes) == (200, 200)


def test_a_rebuilt_engine_decides_like_one_that_never_restarted() -> None:
    config = {"max_index_articles": 150, "max_recent_stories": 40, "story_window_hours": 24.0}
    feats = synthetic_features(420)  # 210 h of stream: both windows and both bounds evict
    live, (articles, stories) = new_engine(**config)
    for i, f in enumerate(feats[:300]):
        live.decide(f)
        if i % 25 == 24:
            live.expire(f["published_ts"])
    kinds = {live.decide(f).duplicate_kind for f in feats[300:301]}
    # a restart: the tables come back from their changelogs (JSON, any key order)
    restored = [
        {k: orjson.loads(orjson.dumps(t[k])) for k in reversed(list(t))}
        for t in (articles, stories)
    ]
    again = DedupEngine(DedupConfig(**config), *restored)
    assert again.rebuild() == live.indexed == len(articles) > 0
    assert again._df == live._df and again._edf == live._edf
    assert again._buckets == live._buckets
    assert again._term_stories == live._term_stories
    for i, f in enumerate(feats[301:]):
        a, b = live.decide(f), again.decide(f)
        assert a == b, f["id"]
        kinds.add(a.duplicate_kind)
        if i % 10 == 9:
            assert live.expire(f["published_ts"]) == again.expire(f["published_ts"])
    assert kinds == {None, "exact", "near", "story"}
    assert restored == [articles, stories]


def test_a_hot_bucket_offers_its_earliest_articles_whatever_the_insertion_order() -> None:
    engine, _ = new_engine(max_bucket=2)
    base = article_features(peru())
    # copies decided out of time order: the earliest is decided last
    for i, hours in enumerate((5, 4, 3, 1)):
        engine.decide({**base, "id": f"copy-{i}", "published_ts": base["published_ts"] + hours})
    d = engine.decide({**base, "id": "late", "published_ts": base["published_ts"] + 9})
    assert (d.duplicate_kind, d.duplicate_of) == ("exact", "copy-3")
