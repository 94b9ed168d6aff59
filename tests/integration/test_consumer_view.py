"""The consumer's view through the session worker: story lookup over HTTP, `newsflow stories`."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import uuid
from typing import Any

import pytest

from service import jsonio
from service.schemas import validator
from tests.conftest import REPO
from tests.integration.conftest import WorkerProcess, collect, decode, keys_seen, produce

pytestmark = pytest.mark.integration


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status), jsonio.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), jsonio.loads(exc.read())


@pytest.fixture(scope="module")
def one_story(worker: WorkerProcess) -> dict[str, Any]:
    """Three outlets publishing the same article: one story of three articles."""
    tag = uuid.uuid4().hex[:8]
    title = f"Ferry operator {tag} suspends the Orvik crossing after engine fire"
    body = (
        f"The ferry operator {tag} suspended its Orvik crossing on Monday after a fire broke "
        "out in the engine room of the MV Selna, the coastguard said.\n\nAll 212 passengers "
        "were brought ashore safely; two crew members were treated for smoke inhalation."
    )
    ids = [f"ferry-{tag}-{i}" for i in range(3)]
    articles = [
        {
            "id": aid,
            "source": f"outlet{i}.example",
            "url": f"https://outlet{i}.example/news/{aid}",
            "title": title,
            "body": body,
            "published_at": f"2026-05-04T1{i}:00:00+02:00",
            "language": "en",
        }
        for i, aid in enumerate(ids)
    ]
    produce(worker.settings, [jsonio.dumps(a) for a in articles], [a.encode() for a in ids])
    enriched = decode(collect(worker.settings, worker.settings.topic_enriched, keys_seen(set(ids))))
    story_ids = {a["story_id"] for a in enriched if a["id"] in ids}
    assert len(story_ids) == 1, story_ids
    return {"ids": ids, "title": title, "story_id": story_ids.pop()}


def test_stories_topic_holds_the_story_and_every_record_is_schema_valid(
    worker: WorkerProcess, one_story: dict[str, Any]
) -> None:
    sid = one_story["story_id"]
    records = collect(
        worker.settings,
        worker.settings.topic_stories,
        lambda rs: any(r.key == sid.encode() and b'"article_count":3' in r.value for r in rs),
    )
    check = validator("story")
    for record in records:
        story = jsonio.loads(record.value)
        check(story)
        assert record.key.decode() == story["story_id"]
        headers = dict(record.headers)
        assert headers["content-type"] == b"application/json"
        assert headers["schema-version"] == b"1"
    last = [jsonio.loads(r.value) for r in records if r.key == sid.encode()][-1]
    assert last["article_count"] == 3
    assert last["outlets"] == ["outlet0.example", "outlet1.example", "outlet2.example"]


def test_story_lookup_over_http(worker: WorkerProcess, one_story: dict[str, Any]) -> None:
    sid = one_story["story_id"]
    status, story = get_json(f"{worker.web}/stories/{sid}")
    assert status == 200, story
    validator("story")(story)
    assert story["story_id"] == sid
    assert story["title"] == one_story["title"]
    assert story["article_count"] == 3
    assert set(one_story["ids"]) <= set(story["recent_article_ids"])
    assert get_json(f"{worker.web}/stories/{sid}/") == (200, story)

    article_id = one_story["ids"][1]
    status, found = get_json(f"{worker.web}/articles/{article_id}/story")
    assert status == 200, found
    assert found == {"article_id": article_id, "story_id": sid, "story": story}
    assert get_json(f"{worker.web}/articles/{article_id}/story/") == (200, found)


def test_unknown_ids_are_404_json(worker: WorkerProcess) -> None:
    assert get_json(f"{worker.web}/stories/story-nope") == (
        404,
        {"error": "not_found", "story_id": "story-nope"},
    )
    assert get_json(f"{worker.web}/articles/nope/story") == (
        404,
        {"error": "not_found", "article_id": "nope"},
    )


def test_newsflow_stories_prints_the_current_stories(
    worker: WorkerProcess, one_story: dict[str, Any]
) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "stories", "--timeout", "3"],
        env=worker.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "\x1b[" not in out  # plain lines when stdout is not a terminal
    table = out.strip().split("\n\n")[-1].splitlines()
    assert table[0].startswith("LAST SEEN (UTC)")
    assert table[-1].endswith("stories") or table[-1].endswith("story")
    row = next(line for line in table if one_story["story_id"] in line)
    cells = row.split()
    # last seen 10:00 UTC (12:00+02:00), first seen 08:00 UTC, 3 articles, 3 outlets
    assert cells[:6] == ["2026-05-04", "10:00", "2026-05-04", "08:00", "3", "3"]
    assert row.endswith(one_story["title"])
