"""Shared input generation and checks for the reliability tests (not a test module).

Articles are generated from a fixed seed with short bodies (two or three sentences), so the
worker's spaCy NER on the lead stays cheap. About a quarter of the articles repeat an earlier
one: exact copies (same body, another outlet), near-copies (one sentence changed) and rewrites
of the same event. Published times rise in produce order by `step_s` per article (default
20 s: 10,000 articles span 56 hours, inside both dedup windows, 72 h story and 168 h near);
a larger step makes the stream outlive the windows, so state expires during the replay.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from service import jsonio
from service.kafka_io import client_options
from service.settings import Settings
from tests.integration.conftest import WorkerProcess, collect

START = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)

PLACES = [
    "Port Elin", "Varnholm", "Castel Brio", "Nordby", "Ashgrove", "Lake Tamir", "Orsk Bay",
    "Mirava", "Kelton", "San Ordo", "Fennick", "Dunmoor", "Rasheen", "Tollan", "Bexley Cross",
    "Ivory Hill", "Marrowgate", "Quillon", "Saltmere", "Evendale",
]  # fmt: skip
ACTORS = [
    "the harbour authority", "the city council", "the regional government", "the port union",
    "the transport ministry", "the water board", "the fire service", "the central bank",
    "the health agency", "the school district", "the energy regulator", "the airport operator",
]  # fmt: skip
VERBS = [
    "approved", "rejected", "postponed", "announced", "suspended", "expanded", "reviewed",
    "cancelled", "funded", "defended",
]  # fmt: skip
THINGS = [
    "a new ferry terminal", "the budget for next year", "a rail link", "a flood barrier",
    "a wage agreement", "a hospital wing", "new speed limits", "a solar park",
    "the night bus network", "a desalination plant", "a tram extension", "a housing plan",
]  # fmt: skip
FILLER = [
    "Officials said the decision followed months of talks.",
    "Residents had asked for a public hearing before the vote.",
    "The opposition called the move rushed.",
    "A spokesperson declined to give further details.",
    "Work is expected to start within weeks.",
    "Critics said the costs had been underestimated.",
]


def reliability_n(default: int) -> int:
    """Article count of a reliability test: NEWSFLOW_RELIABILITY_N, else `default`."""
    raw = os.environ.get("NEWSFLOW_RELIABILITY_N") or ""
    return int(raw) if raw else default


@dataclass
class Inputs:
    """A generated replay: raw values and keys in produce order, and what each one is."""

    values: list[bytes] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    valid_ids: list[str] = field(default_factory=list)
    bad: list[bytes] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    kind_list: list[str] = field(default_factory=list)  # per valid id

    def add_valid(self, article: dict[str, Any], kind: str) -> None:
        self.values.append(jsonio.dumps(article))
        self.keys.append(str(article["id"]).encode())
        self.valid_ids.append(str(article["id"]))
        self.kinds[kind] += 1
        self.kind_list.append(kind)

    def add_bad(self, value: bytes, key: bytes | None, kind: str) -> None:
        self.values.append(value)
        self.keys.append(key)
        self.bad.append(value)
        self.kinds[kind] += 1


def _event(rng: random.Random) -> dict[str, Any]:
    return {
        "place": rng.choice(PLACES),
        "actor": rng.choice(ACTORS),
        "verb": rng.choice(VERBS),
        "thing": rng.choice(THINGS),
        "number": rng.randint(2, 9999),
        "cost": rng.randint(3, 900),
        "weekday": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
    }


def _body(e: dict[str, Any], rng: random.Random, rewrite: bool = False) -> str:
    if rewrite:
        lead = (
            f"In {e['place']}, {e['thing']} was {e['verb']} by {e['actor']} on {e['weekday']}, "
            f"a plan said to cost {e['cost']} million euros."
        )
    else:
        lead = (
            f"{e['actor'].capitalize()} of {e['place']} {e['verb']} {e['thing']} on "
            f"{e['weekday']}, officials said. The project number {e['number']} is expected "
            f"to cost {e['cost']} million euros."
        )
    return f"{lead}\n\n{rng.choice(FILLER)} {rng.choice(FILLER)}"


def _title(e: dict[str, Any]) -> str:
    return f"{e['place']}: {e['actor']} {e['verb']} {e['thing']}"


def generate(
    n_valid: int,
    *,
    n_bad: int = 0,
    seed: int = 6,
    tag: str = "r",
    bad_every: int = 0,
    step_s: float = 20.0,
) -> Inputs:
    """`n_valid` articles (about 75% originals, the rest copies/rewrites) and `n_bad` bad inputs
    interleaved evenly, all from `seed`. Ids are `{tag}-{i}`; bad inputs carry ids `{tag}-bad-j`.
    """
    rng = random.Random(seed)
    out = Inputs()
    originals: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (event, article)
    bad_every = bad_every or (max(1, n_valid // n_bad) if n_bad else 0)
    bad_done = 0
    for i in range(n_valid):
        published = START + timedelta(seconds=step_s * i)
        aid = f"{tag}-{i}"
        roll = rng.random()
        base: dict[str, Any] = {
            "id": aid,
            "source": f"outlet{rng.randint(0, 39)}.example",
            "url": f"https://news.example/{aid}",
            "published_at": published.isoformat(),
            "language": "en",
        }
        if originals and roll < 0.10:  # exact copy of a recent original
            _, orig = rng.choice(originals[-50:])
            out.add_valid({**base, "title": orig["title"], "body": orig["body"]}, "exact")
        elif originals and roll < 0.18:  # near copy: one filler sentence replaced
            e, orig = rng.choice(originals[-50:])
            lead = orig["body"].split("\n\n")[0]
            body = f"{lead}\n\n{rng.choice(FILLER)} Updated at {published:%H:%M}."
            out.add_valid({**base, "title": orig["title"], "body": body}, "near")
        elif originals and roll < 0.25:  # same event, other words
            e, _ = rng.choice(originals[-50:])
            title = f"{e['thing'].capitalize()} {e['verb']} in {e['place']}"
            out.add_valid({**base, "title": title, "body": _body(e, rng, rewrite=True)}, "story")
        else:
            e = _event(rng)
            article = {**base, "title": _title(e), "body": _body(e, rng)}
            originals.append((e, article))
            out.add_valid(article, "original")
        if bad_every and bad_done < n_bad and (i + 1) % bad_every == 0:
            value = jsonio.dumps({**base, "id": f"{tag}-bad-{bad_done}", "title": 12345})
            out.add_bad(value, f"{tag}-bad-{bad_done}".encode(), "bad")
            bad_done += 1
    while bad_done < n_bad:
        out.add_bad(f"{tag}-bad-{bad_done} {{not json".encode(), None, "bad")
        bad_done += 1
    return out


def count_keys(records: Iterable[Any]) -> Counter[str]:
    return Counter(r.key.decode() for r in records if r.key is not None)


def dead_originals(records: Iterable[Any]) -> Counter[bytes]:
    """How often each original value occurs among dead letters."""
    return Counter(base64.b64decode(jsonio.loads(r.value)["original_base64"]) for r in records)


def decisions(records: Iterable[Any]) -> dict[str, tuple[Any, Any, Any]]:
    """(story_id, duplicate_of, duplicate_kind) per article id of enriched records."""
    out = {}
    for r in records:
        a = jsonio.loads(r.value)
        out[a["id"]] = (a["story_id"], a["duplicate_of"], a["duplicate_kind"])
    return out


def final_stories(records: Iterable[Any]) -> dict[str, tuple[int, int]]:
    """(version, article_count) of the last record per story id (the compacted state)."""
    out = {}
    for r in records:
        s = jsonio.loads(r.value)
        out[r.key.decode()] = (s["version"], s["article_count"])
    return out


@contextlib.contextmanager
def running(*workers: WorkerProcess, tail: int = 4000) -> Iterator[None]:
    """Stop the workers when the block ends; if it fails, print each worker's log tail first."""
    try:
        yield
    except BaseException:
        for w in workers:
            print(f"--- worker log {w.log_path} (tail)\n{w.log_tail(tail)}")
        raise
    finally:
        for w in workers:
            if w.proc is not None:
                w.stop()


def collect_all(settings: Settings, *topics: str) -> dict[str, list[Any]]:
    """Every committed record of each topic, read once more after the workers stopped, so
    that a late duplicate shows too."""
    return {topic: collect(settings, topic, lambda r: True, 10) for topic in topics}


def worker_troubles(log_path: Path, limit: int = 40) -> str:
    """The worker log's warnings and errors other than dead letters: printed when a
    reliability check fails, since the check runs after the worker is gone."""
    lines = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if ('"level":"warning"' in line or '"level":"error"' in line)
        and "dead-lettered" not in line
    ]
    return "\n".join(lines[-limit:]) or "(none)"


def loss_and_duplicates(expected: Iterable[str], seen: Counter[str]) -> tuple[list[str], dict]:
    """Ids never seen, and ids seen more than once (with their counts)."""
    lost = [k for k in expected if seen.get(k, 0) == 0]
    dups = {k: v for k, v in seen.items() if v > 1}
    return lost, dups


async def _raw_progress(settings: Settings) -> tuple[int, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=5000)
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    try:
        await admin.start()
        await consumer.start()
        tps = [TopicPartition(settings.topic_raw, p) for p in range(settings.raw_partitions)]
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(settings.app_id)
        done = 0
        for tp in tps:
            meta = committed.get(tp)
            done += meta.offset if meta is not None and meta.offset > 0 else 0
        return done, sum(ends.values())
    finally:
        await consumer.stop()
        await admin.close()


def raw_progress(settings: Settings) -> tuple[int, int]:
    """(committed, end) offsets of the raw topic summed over partitions, for the app's group."""
    try:
        return asyncio.run(_raw_progress(settings))
    except Exception:  # broker away or group not there yet
        return 0, 0


def wait_raw_progress(
    settings: Settings, fraction: float, timeout: float, alive: Callable[[], bool]
) -> float:
    """Block until the group committed `fraction` of the raw topic; returns the fraction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, end = raw_progress(settings)
        if end and done / end >= fraction:
            return done / end
        assert alive(), "worker died on its own"
        time.sleep(0.3)
    raise AssertionError(f"raw topic not {fraction:.0%} committed after {timeout}s")
