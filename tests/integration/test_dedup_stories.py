"""Duplicate detection through the real broker: one story across outlets, the right kinds.

The worker here has its own topics with one raw partition, so the order into the decision
stage is the produce order (publication order) and the expected kinds are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service import jsonio
from service.cli import SAMPLES
from service.kafka_io import create_topics
from service.schemas import validator
from tests.conftest import SEED, seed_article, unique_env
from tests.integration.conftest import WorkerProcess, collect, decode, keys_seen, produce

pytestmark = pytest.mark.integration

IRAN_STORY = ["sample-007", "sample-009", "sample-011", "sample-012", "sample-013",
              "sample-014", "sample-021", "unn-2026-03-05-secret-talks"]  # fmt: skip


@pytest.fixture(scope="module")
def decided(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not SEED.exists():
        pytest.skip("shared seed article not found")
    data = tmp_path_factory.mktemp("dedup-worker")
    worker = WorkerProcess(
        env=unique_env(kafka, data, NEWSFLOW_RAW_PARTITIONS="1"), log_path=data / "worker.log"
    )
    asyncio.run(create_topics(worker.settings))
    worker.start()
    try:
        articles = [jsonio.loads(line) for line in Path(SAMPLES).read_bytes().splitlines()]
        articles.append(seed_article())
        articles.sort(key=lambda a: datetime.fromisoformat(a["published_at"]).astimezone(UTC))
        ids = [a["id"] for a in articles]
        produce(worker.settings, [jsonio.dumps(a) for a in articles], [i.encode() for i in ids])
        s = worker.settings
        enriched = decode(collect(s, s.topic_enriched, keys_seen(set(ids)), timeout=120))
        story_ids = {a["story_id"] for a in enriched}
        stories = collect(s, s.topic_stories, keys_seen(story_ids), timeout=60)
        latest: dict[str, Any] = {}
        for record in stories:  # compaction-style reading: the last value per key wins
            latest[record.key.decode()] = jsonio.loads(record.value)
        yield {"articles": {a["id"]: a for a in enriched}, "stories": latest, "count": len(ids)}
    finally:
        worker.stop()


def test_every_article_once_with_dedup_fields(decided: dict[str, Any]) -> None:
    articles = decided["articles"]
    assert len(articles) == decided["count"]
    check = validator("enriched")
    for article in articles.values():
        check(article)
        assert article["story_id"]
        assert (article["duplicate_kind"] is None) == (article["duplicate_of"] is None)


def test_the_outlets_versions_of_one_event_share_a_story(decided: dict[str, Any]) -> None:
    articles = decided["articles"]
    stories = {articles[i]["story_id"] for i in IRAN_STORY}
    assert len(stories) == 1, {i: articles[i]["story_id"] for i in IRAN_STORY}
    first = articles["sample-007"]
    assert first["duplicate_kind"] is None
    for i in IRAN_STORY[1:]:
        assert articles[i]["duplicate_kind"] in {"exact", "near", "story"}, articles[i]
        assert articles[i]["evidence"], articles[i]


def test_copies_are_marked_by_kind(decided: dict[str, Any]) -> None:
    articles = decided["articles"]
    syndicated = articles["sample-013"]  # verbatim copy of sample-012 under another outlet
    assert syndicated["duplicate_kind"] == "exact"
    assert syndicated["duplicate_of"] == "sample-012"
    assert syndicated["similarity"] == pytest.approx(1.0)
    edited = articles["sample-011"]  # sample-009 with byline, paragraph and boilerplate edits
    assert edited["duplicate_kind"] == "near"
    assert edited["duplicate_of"] == "sample-009"
    assert articles["unn-2026-03-05-secret-talks"]["duplicate_kind"] == "story"


def test_same_kind_of_event_with_other_facts_gets_its_own_story(decided: dict[str, Any]) -> None:
    articles = decided["articles"]
    assert articles["sample-001"]["story_id"] != articles["sample-010"]["story_id"]  # quakes
    assert articles["sample-005"]["story_id"] != articles["sample-006"]["story_id"]  # matches
    assert articles["sample-010"]["duplicate_kind"] is None
    assert articles["sample-006"]["duplicate_kind"] is None


def test_stories_topic_latest_state_matches_the_articles(decided: dict[str, Any]) -> None:
    articles = decided["articles"]
    story_id = articles["sample-007"]["story_id"]
    story = decided["stories"][story_id]
    validator("story")(story)
    members = [a for a in articles.values() if a["story_id"] == story_id]
    assert story["article_count"] == len(members)
    assert story["outlets"] == sorted({a["source"] for a in members})
    assert story["version"] == len(members)
    assert (
        story["recent_article_ids"][-1] == max(members, key=lambda a: a["published_at_utc"])["id"]
    )
    assert story["title"] == articles["sample-007"]["title"]
