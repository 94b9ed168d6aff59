"""Poison input: >= 10,000 generated bad inputs mixed with valid (some adversarial) articles.

Fixed seed. Every bad input must reach the dead-letter topic exactly once with a reason
(matched by its original bytes), every valid article must be enriched exactly once, and the
worker must never restart (same pid, alive, healthy at the end).
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service import jsonio
from service.kafka_io import create_topics
from tests.conftest import unique_env
from tests.integration.conftest import WorkerProcess, collect, http_status, produce
from tests.integration.reliability import collect_all, count_keys, reliability_n, running

pytestmark = pytest.mark.integration

N_BAD = max(10_000, reliability_n(0))
N_GOOD = 300
SEED = 20260305
KNOWN_CODES = {
    "not_json", "not_utf8", "not_object", "too_large", "missing_field", "wrong_type",
    "invalid_value", "unknown_schema_version", "body_too_large", "processing_error",
}  # fmt: skip


def article(rng: random.Random, i: int, tag: str) -> dict[str, Any]:
    return {
        "id": f"{tag}-{i}",
        "source": f"outlet{rng.randint(0, 9)}.example",
        "url": f"https://outlet.example/{tag}/{i}",
        "title": f"Council of Varnholm approves plan {i}",
        "body": f"The council of Varnholm approved plan {i} on Monday.\n\nIt costs {i} euros.",
        "published_at": "2026-04-02T10:00:00+02:00",
        "language": "en",
    }


def _random_bytes(rng: random.Random, i: int) -> bytes:
    return rng.randbytes(rng.randint(0, 300))


def _truncated(rng: random.Random, i: int) -> bytes:
    whole = jsonio.dumps(article(rng, i, "trunc"))
    return whole[: rng.randint(0, len(whole) - 1)]


def _deep(rng: random.Random, i: int) -> bytes:
    depth = rng.choice([1_100, 5_000, 100_000])
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    inner = b'{"a":' * depth + b"1" + b"}" * depth
    return jsonio.dumps(article(rng, i, "deep"))[:-1] + b',"extra":' + inner + b"}"


def _huge(rng: random.Random, i: int) -> bytes:
    doc = article(rng, i, "huge")
    pick = rng.randrange(4)
    if pick == 0 and rng.random() < 0.05:  # over the message size limit, checked before parsing
        return b'{"id":"' + b"x" * 1_100_000 + b'"}'
    if pick == 1 and i % 10 == 0:
        doc["body"] = "word " * 41_000  # 205,000 characters: over max_body_chars
    elif pick == 2:
        doc["title"] = "T" * rng.randint(2_001, 50_000)
    else:
        doc["id"] = "i" * rng.randint(257, 100_000)  # very long id
    return jsonio.dumps(doc)


def _wrong_type(rng: random.Random, i: int) -> bytes:
    doc = article(rng, i, "type")
    field = rng.choice(["id", "source", "url", "title", "body", "published_at", "language"])
    doc[field] = rng.choice([None, 12345, 1.5, True, [], {}, ["a"], {"x": 1}])
    return jsonio.dumps(doc)


def _missing(rng: random.Random, i: int) -> bytes:
    doc = article(rng, i, "missing")
    for field in rng.sample(["id", "source", "url", "title", "body", "published_at"], 2):
        del doc[field]
    return jsonio.dumps(doc)


def _invalid_utf8(rng: random.Random, i: int) -> bytes:
    doc = jsonio.dumps(article(rng, i, "utf8"))
    bad = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
    at = rng.randint(1, len(doc) - 2)
    return doc[:at] + bad + doc[at:]


def _control(rng: random.Random, i: int) -> bytes:
    doc = jsonio.dumps(article(rng, i, "ctrl"))
    at = doc.index(b'"title":"') + 9
    return doc[:at] + bytes([rng.choice([0, 1, 7, 8, 10, 13, 27, 31])]) + doc[at:]


def _html(rng: random.Random, i: int) -> bytes:
    return rng.choice(
        [
            f"<script>alert({i})</script>",
            f"<html><body><h1>news {i}</h1></body></html>",
            f'<img src=x onerror="fetch(`//evil/{i}`)">',
            f"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>{i}</x>",
        ]
    ).encode()


def _absurd_date(rng: random.Random, i: int) -> bytes:
    doc = article(rng, i, "date")
    doc["published_at"] = rng.choice(
        [
            "99999-01-01T00:00:00Z",
            "0000-00-00T00:00:00Z",
            "0000-00-00",
            "2026-13-45T25:61:00Z",
            "2026-02-30T00:00:00Z",
            "2026-04-02T10:00:00",  # no offset
            "2026-04-02T10:00:00+99:00",
            "yesterday",
            "",
            "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
            "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        ]
    )
    return jsonio.dumps(doc)


def _nan(rng: random.Random, i: int) -> bytes:
    doc = jsonio.dumps(article(rng, i, "nan"))
    return doc[:-1] + rng.choice([b',"score":NaN}', b',"x":Infinity}', b',"x":-Infinity}'])


def _not_object(rng: random.Random, i: int) -> bytes:
    return rng.choice([b"null", b"true", b"1", b"[]", b'"just a string"', b"[1,2,3]", b"1e999"])


def _bad_values(rng: random.Random, i: int) -> bytes:
    doc = article(rng, i, "value")
    pick = rng.randrange(5)
    if pick == 0:
        doc["url"] = rng.choice(["ftp://x", "javascript:alert(1)", "//no-scheme", "x"])
    elif pick == 1:
        doc["language"] = rng.choice(["english!!", "e", "<script>", "en_US_POSIX_EXTRA"])
    elif pick == 2:
        doc["schema_version"] = rng.choice([0, 2, 99, -1])
    elif pick == 3:
        doc["schema_version"] = rng.choice(["1", 1.0, None])
    else:
        doc["id"] = ""
    return jsonio.dumps(doc)


BAD: list[Callable[[random.Random, int], bytes]] = [
    _random_bytes, _truncated, _deep, _huge, _wrong_type, _missing, _invalid_utf8, _control,
    _html, _absurd_date, _nan, _not_object, _bad_values,
]  # fmt: skip


def good_article(rng: random.Random, i: int) -> dict[str, Any]:
    """Valid but adversarial: markup, escaped control characters, odd Unicode, long bodies."""
    doc = article(rng, i, "good")
    pick = i % 6
    if pick == 1:
        doc["body"] += f"\n<script>alert({i})</script><iframe src=//evil></iframe>"
    elif pick == 2:
        doc["title"] += " \u0000\u0007\u001b[31m \u202e\u200b \U0001f4a5"
    elif pick == 3:
        doc["body"] += " ...." * 2_000 + " 04.03.26, 23:59 •" * 200
    elif pick == 4:
        doc["body"] = "Lorem ipsum dolor sit amet. " * 6_000  # 168,000 characters
    elif pick == 5:
        doc["published_at"] = "9999-12-31T23:59:59Z"
    return doc


def test_fuzzed_inputs_are_dead_lettered_and_the_worker_survives(
    kafka: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    values: list[bytes | None] = []
    keys: list[bytes | None] = []
    bad: Counter[bytes] = Counter()
    kinds: Counter[str] = Counter()
    good_ids = []
    good_every = N_BAD // N_GOOD
    for i in range(N_BAD):
        make = BAD[i % len(BAD)]
        value = make(rng, i)
        values.append(value)
        keys.append(rng.choice([None, rng.randbytes(8), b"\xff" * 300]))
        bad[value] += 1
        kinds[make.__name__.strip("_")] += 1
        if i % good_every == 0 and len(good_ids) < N_GOOD:
            doc = good_article(rng, i)
            values.append(jsonio.dumps(doc))
            keys.append(doc["id"].encode())
            good_ids.append(doc["id"])
    for _ in range(5):  # tombstones: no value at all
        values.append(None)
        keys.append(b"tombstone")
        bad[b""] += 1
    kinds["tombstone"] += 5

    (tmp_path / "w").mkdir()
    worker = WorkerProcess(
        env=unique_env(kafka, tmp_path / "w"), log_path=tmp_path / "w" / "worker.log"
    )
    settings = worker.settings
    asyncio.run(create_topics(settings))
    worker.start()
    assert worker.proc is not None
    pid = worker.proc.pid
    began = time.monotonic()
    with running(worker):
        produce(settings, values, keys)  # type: ignore[arg-type]
        total_bad = sum(bad.values())
        collect(settings, settings.topic_dlq, lambda r: len(r) >= total_bad, 300)
        collect(settings, settings.topic_enriched, lambda r: len(r) >= len(good_ids), 300)
        time.sleep(2.0)
        out = collect_all(settings, settings.topic_dlq, settings.topic_enriched)
        dlq, enriched = out[settings.topic_dlq], out[settings.topic_enriched]
        assert worker.alive() and worker.proc.pid == pid, "the worker restarted"
        assert http_status(worker.web + "/health") == 200
        for path in ("/table/", "/router/"):  # Faust's raw state views stay off
            assert http_status(worker.web + path) == 404, path
    elapsed = time.monotonic() - began

    letters = [jsonio.loads(r.value) for r in dlq]
    got = Counter(base64.b64decode(d["original_base64"]) for d in letters)
    codes = Counter(d["error_code"] for d in letters)
    missing = bad - got
    extra = got - bad
    seen = count_keys(enriched)
    print(
        f"\n[fuzz] bad inputs={sum(bad.values())} ({dict(kinds)}) valid={len(good_ids)} "
        f"dead letters={len(letters)} by code {dict(codes)}; enriched={len(enriched)}; "
        f"time={elapsed:.0f}s"
    )
    assert not missing, f"{sum(missing.values())} bad inputs not dead-lettered exactly once"
    assert not extra, f"{sum(extra.values())} unexpected or duplicated dead letters"
    assert all(d["error_code"] in KNOWN_CODES and d["error_message"] for d in letters)
    # a processing_error is a crash in enrichment that validation should have caught
    assert codes["processing_error"] == 0, [
        d["error_message"] for d in letters if d["error_code"] == "processing_error"
    ][:3]
    assert sorted(seen) == sorted(good_ids) and set(seen.values()) == {1}
