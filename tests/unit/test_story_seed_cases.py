"""The seed cases (bench/data/story_seed_cases.jsonl, hand-written): rewrites of the
secret-talks story share one story, while three other events about the same people (the
Senate war-powers vote, the push to declare victory, an older round of talks) stay apart, as
published and with all of them moved into the same days. They run inside the project's own dev
set (bench/data/dedup_dev.jsonl): concurrent stories about the same people, and document
frequencies warm as in a running worker. Needs no ../shared."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.seed_streams import reported_for_days
from service import jsonio
from service.dedup import DedupConfig, DedupEngine, article_features
from service.enrich import load_pipeline
from service.pipeline import enrich_article
from service.validation import parse_timestamp

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
CASES = DATA / "story_seed_cases.jsonl"
DEV = DATA / "dedup_dev.jsonl"
TALKS = "seed:secret-talks"


def _read(path: Path) -> tuple[dict[str, Any], ...]:
    lines = path.read_text("utf-8").splitlines()
    return tuple(jsonio.loads(line) for line in lines if line.strip())


@functools.cache
def _rows() -> tuple[dict[str, Any], ...]:
    return _read(CASES)


def _decide(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Story ids per gold story, through the worker's path in publication order."""
    enricher = load_pipeline()
    engine = DedupEngine(DedupConfig(), {}, {})
    out: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (parse_timestamp(r["published_at"]), r["id"])):
        raw = {k: v for k, v in row.items() if k not in {"gold_story", "note", "base"}}
        decision = engine.decide(article_features(enrich_article(raw, enricher)))
        out[row["id"]] = decision.story_id
    return out


def _moved_into_the_same_week(rows: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """The older (2025) round of talks moved by whole days into the week of the others (its
    internal gaps kept), so that no time window can tell it apart."""
    week = parse_timestamp("2026-03-04T00:00:00+00:00")
    first = min(parse_timestamp(r["published_at"]) for r in rows)
    days = (week - first).days + 1
    moved = []
    for r in rows:
        t = parse_timestamp(r["published_at"])
        if t < week:
            t += timedelta(days=days)
        moved.append({**r, "published_at": t.isoformat()})
    return moved


@pytest.mark.parametrize("aligned", [False, True], ids=["as-published", "same-week"])
def test_the_seed_cases_separate_events_not_topics(aligned: bool) -> None:
    rows = _moved_into_the_same_week(_rows()) if aligned else list(_rows())
    rows += _read(DEV)
    story_of = _decide(rows)
    gold = {r["id"]: r["gold_story"] for r in rows}
    talks = {story_of[i] for i, g in gold.items() if g == TALKS}
    assert len(talks) == 1, "the secret-talks rewrites are one story"
    events = sorted({g for g in gold.values() if g.startswith("seed:")} - {TALKS})
    assert len(events) == 3
    for g in events:
        mine = {story_of[i] for i, s in gold.items() if s == g}
        others = {story_of[i] for i, s in gold.items() if s != g}
        assert not mine & others, f"{g} joined another event's story"


def test_a_story_still_being_reported_takes_its_rewrites_days_after_it_began() -> None:
    """The secret-talks report syndicated again every day for four days, then the two other
    rewrites on day five: they join the story it began, since outlets never stopped reporting
    it (a story's start is no evidence against a follow-up; its recent activity is)."""
    stream = reported_for_days(list(_rows()))
    story_of = _decide([*stream, *_read(DEV)])
    talks = [r["id"] for r in stream if r["gold_story"] == TALKS]
    assert len(talks) == 7  # the first report, its 4 daily copies, the 2 later rewrites
    assert len({story_of[i] for i in talks}) == 1
