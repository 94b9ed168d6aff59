"""Raw articles in, enriched articles and dead letters out, through the real broker."""

from __future__ import annotations

import base64
import uuid

import pytest

from service import jsonio
from service.schemas import validator
from tests.conftest import scraped_article
from tests.integration.conftest import (
    WorkerProcess,
    collect,
    decode,
    http_status,
    keys_seen,
    produce,
)

pytestmark = pytest.mark.integration


def raw_article(article_id: str, i: int) -> dict[str, object]:
    return {
        "id": article_id,
        "source": f"outlet{i % 5}.example",
        "url": f"https://outlet{i % 5}.example/news/{article_id}",
        "title": f"Harbour authority in Port Elin approves expansion plan number {i}",
        "body": (
            f"The harbour authority of Port Elin approved plan {i} on Tuesday, officials said.\n\n"
            f"The plan adds {i + 3} berths and costs {i * 7 + 11} million euros, "
            "according to the council's statement."
        ),
        "published_at": f"2026-04-{(i % 27) + 1:02d}T09:{i % 60:02d}:00+02:00",
        "language": "en",
    }


def test_valid_articles_are_enriched_once_each(worker: WorkerProcess) -> None:
    tag = uuid.uuid4().hex[:6]
    articles = [raw_article(f"valid-{tag}-{i}", i) for i in range(30)] + [scraped_article()]
    articles[-1]["id"] = f"scraped-{tag}"
    produce(
        worker.settings,
        [jsonio.dumps(a) for a in articles],
        [str(a["id"]).encode() for a in articles],
    )
    wanted = {str(a["id"]) for a in articles}
    records = collect(worker.settings, worker.settings.topic_enriched, keys_seen(wanted))
    ours = [r for r in records if r.key.decode() in wanted]
    assert sorted(r.key.decode() for r in ours) == sorted(wanted)  # each exactly once
    check = validator("enriched")
    for record in ours:
        article = jsonio.loads(record.value)
        check(article)
        assert article["id"] == record.key.decode()
        assert article["story_id"]
    scraped = next(jsonio.loads(r.value) for r in ours if r.key.decode() == f"scraped-{tag}")
    assert "2211 views" not in scraped["text"] and "Marta Lindqvist" not in scraped["text"]
    assert scraped["published_at_utc"] == "2026-04-14T09:30:00+00:00"


def test_bad_input_goes_to_dlq_and_the_stream_goes_on(worker: WorkerProcess) -> None:
    tag = uuid.uuid4().hex[:6]
    good = raw_article(f"good-{tag}", 1)
    missing = {k: v for k, v in raw_article(f"missing-{tag}", 2).items() if k != "title"}
    wrong_type = {**raw_article(f"wrongtype-{tag}", 3), "published_at": 20260305}
    huge = {**raw_article(f"huge-{tag}", 4), "body": "x" * 300_000}
    version = {**raw_article(f"version-{tag}", 5), "schema_version": 99}
    bad = {
        "not_json": b"{not json " + tag.encode(),
        "not_object": jsonio.dumps([tag, 1, 2]),
        "missing_field": jsonio.dumps(missing),
        "wrong_type": jsonio.dumps(wrong_type),
        "body_too_large": jsonio.dumps(huge),
        "unknown_schema_version": jsonio.dumps(version),
        "not_utf8": b'{"id": "\xff\xfe' + tag.encode() + b'"}',
    }
    after = raw_article(f"after-{tag}", 6)
    values = [jsonio.dumps(good), *bad.values(), jsonio.dumps(after)]
    produce(worker.settings, values)

    def all_dead(records: list[object]) -> bool:
        originals = {base64.b64decode(d["original_base64"]) for d in decode(records)}
        return set(bad.values()) <= originals

    dead = decode(collect(worker.settings, worker.settings.topic_dlq, all_dead, timeout=60))
    by_original = {base64.b64decode(d["original_base64"]): d for d in dead}
    check = validator("dead_letter")
    for code, value in bad.items():
        assert value in by_original, f"{code} not dead-lettered"
        letter = by_original[value]
        check(letter)
        assert letter["error_code"] == code, letter
        assert letter["error_message"]
        assert letter["topic"] == worker.settings.topic_raw
    wanted = {f"good-{tag}", f"after-{tag}"}
    enriched = collect(worker.settings, worker.settings.topic_enriched, keys_seen(wanted), 60)
    assert wanted <= {r.key.decode() for r in enriched}
    assert worker.alive()
    assert http_status(worker.web + "/ready") == 200
