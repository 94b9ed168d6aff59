"""Decisions in publication order: the same file gives the same decisions whatever the raw
partitioning, the state it starts from, or a kill -9 while articles wait in the buffer.

The file (640 articles from the reliability generator: originals, exact copies, near-copies and
rewrites of recent originals, each copy published after its original, some articles at equal
times) is produced in publication order, keyed by id so that copies and originals land on
different raw partitions, before the worker starts: the worker meets it as a backlog and the
consumer hands the partitions over in whatever order it fetches them. Four replays, run side
by side: (a) 4 partitions, (b) 4 partitions again from empty state, (c) 1 partition, (d) 4
partitions with a kill -9 of the worker while the event-time buffer holds articles. All four
must agree on (story_id, duplicate_of, duplicate_kind) for every article, and every
duplicate_of must name an article published no later than the one flagged.
The samples `make run` shows get the same publication-order check through 4 partitions.
"""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service import jsonio
from service.cli import SAMPLES, read_jsonl
from service.kafka_io import create_topics
from tests.conftest import unique_env
from tests.integration.conftest import WorkerProcess, collect, decode, keys_seen, produce
from tests.integration.reliability import generate, raw_progress, running

pytestmark = pytest.mark.integration

N = 640
TIMEOUT = 600  # per replay, for all 640 decisions (four replays share the machine)
FAST_REJOIN = {"BROKER_SESSION_TIMEOUT": "10", "BROKER_HEARTBEAT_INTERVAL": "1"}
# First starts one at a time: four workers declaring their changelog topics at once on a loaded
# broker made one miss a changelog at its first assignment ("Ignoring missing topic"), and its
# dedup agent crash-looped on PartitionsMismatch (a Faust race, seen on main's tables too).
STARTING = threading.Lock()
_BUFFERED = re.compile(r"^newsflow_event_order_buffered ([0-9.e+-]+)$", re.M)


def the_file() -> tuple[list[bytes], list[bytes | None], dict[str, float]]:
    """Values, keys and publication times of the test file, in publication order."""
    inputs = generate(N, seed=21, tag="eo", step_s=45.0)
    values, published = [], {}
    previous = ""
    for i, value in enumerate(inputs.values):
        doc = jsonio.loads(value)
        if i % 9 == 1:  # ties: published in the same second as the article before
            doc["published_at"] = previous
        previous = doc["published_at"]
        published[doc["id"]] = datetime.fromisoformat(doc["published_at"]).timestamp()
        values.append(jsonio.dumps(doc))
    return values, inputs.keys, published


def buffered(worker: WorkerProcess) -> float:
    try:
        with urllib.request.urlopen(worker.web + "/metrics", timeout=2) as resp:
            found = _BUFFERED.search(resp.read().decode())
    except OSError:
        return 0.0
    return float(found.group(1)) if found else 0.0


def started_worker(
    kafka: str, workdir: Path, values: list[bytes], keys: list[bytes | None], partitions: int
) -> WorkerProcess:
    """A worker of its own topics (`partitions` raw partitions), with the file already produced
    into them: the whole file is a backlog when the worker starts."""
    workdir.mkdir(parents=True)
    env = unique_env(kafka, workdir, NEWSFLOW_RAW_PARTITIONS=str(partitions), **FAST_REJOIN)
    worker = WorkerProcess(env=env, log_path=workdir / "worker.log")
    asyncio.run(create_topics(worker.settings))
    produce(worker.settings, values, keys)
    with STARTING:
        worker.start()
    return worker


def replay(
    kafka: str, workdir: Path, values: list[bytes], keys: list[bytes | None], partitions: int
) -> list[dict[str, Any]]:
    worker = started_worker(kafka, workdir, values, keys, partitions)
    s = worker.settings
    with running(worker):
        ids = {k.decode() for k in keys if k is not None}
        out = decode(collect(s, s.topic_enriched, keys_seen(ids), timeout=TIMEOUT))
        assert_all(out, ids, worker)
    return out


def assert_all(out: list[dict[str, Any]], ids: set[str], worker: WorkerProcess) -> None:
    """Inside `running`, so that a failure prints the worker's log tail."""
    missing = ids - {a["id"] for a in out}
    ready = f"buffered {buffered(worker):.0f}"
    assert not missing, f"{len(missing)} never decided ({ready}), e.g. {sorted(missing)[:5]}"


def replay_with_kill(
    kafka: str, workdir: Path, values: list[bytes], keys: list[bytes | None]
) -> tuple[list[dict[str, Any]], float]:
    """4 partitions; SIGKILL once 30% of the raw topic is committed and the buffer holds
    articles (read from the worker's own gauge); restart and finish. Returns the outputs and
    how many articles the buffer held just before the kill."""
    worker = started_worker(kafka, workdir, values, keys, 4)
    s = worker.settings
    held = 0.0
    with running(worker):
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done, end = raw_progress(s)
            held = buffered(worker)
            if end and 0.3 <= done / end < 0.9 and held > 0:
                break
            assert worker.alive(), worker.log_tail()
            time.sleep(0.2)
        else:
            raise AssertionError("never saw the buffer hold articles mid-replay")
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(10)
        worker.start()
        ids = {k.decode() for k in keys if k is not None}
        out = decode(collect(s, s.topic_enriched, keys_seen(ids), timeout=TIMEOUT))
        assert_all(out, ids, worker)
    return out, held


def decisions(records: list[dict[str, Any]]) -> dict[str, tuple[Any, Any, Any]]:
    return {a["id"]: (a["story_id"], a["duplicate_of"], a["duplicate_kind"]) for a in records}


def pointing_later(records: list[dict[str, Any]], published: dict[str, float]) -> list[str]:
    """Articles whose duplicate_of was published after them."""
    return [
        f"{a['id']} -> {a['duplicate_of']}"
        for a in records
        if a["duplicate_of"] is not None and published[a["duplicate_of"]] > published[a["id"]]
    ]


def test_same_decisions_through_4_partitions_1_partition_and_a_kill_9(
    kafka: str, tmp_path: Path
) -> None:
    values, keys, published = the_file()
    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        a = pool.submit(replay, kafka, tmp_path / "a", values, keys, 4)
        b = pool.submit(replay, kafka, tmp_path / "b", values, keys, 4)
        c = pool.submit(replay, kafka, tmp_path / "c", values, keys, 1)
        d = pool.submit(replay_with_kill, kafka, tmp_path / "d", values, keys)
        runs = {"a": a.result(), "b": b.result(), "c": c.result()}
        runs["d"], held = d.result()
    for name, out in runs.items():
        ids = [r["id"] for r in out]
        assert len(ids) == len(set(ids)) == N, f"{name}: {len(ids)} outputs, {len(set(ids))} ids"
    got = {name: decisions(out) for name, out in runs.items()}
    kinds: dict[Any, int] = {}
    for kind in (v[2] for v in got["c"].values()):
        kinds[kind] = kinds.get(kind, 0) + 1
    late = {name: sum(1 for r in out if r["evidence"].get("late")) for name, out in runs.items()}
    differ = {
        name: [k for k in got["c"] if got[name][k] != got["c"][k]] for name in ("a", "b", "d")
    }
    print(
        f"\n[event order] {N} articles, kinds (1 partition) {kinds}; buffer held {held:.0f} at "
        f"the kill; late {late}; differing from 1 partition: "
        f"{ {n: len(v) for n, v in differ.items()} }; time {time.monotonic() - began:.0f}s"
    )
    assert kinds.get("exact", 0) > 30 and kinds.get("near", 0) > 10, kinds
    assert held > 0
    for name, keys_differing in differ.items():
        sample = [(k, got[name][k], got["c"][k]) for k in keys_differing[:3]]
        assert not keys_differing, f"{name}: {len(keys_differing)} differ, e.g. {sample}"
    for name, out in runs.items():
        later = pointing_later(out, published)
        assert not later, f"{name}: duplicate_of a later article: {later[:5]}"
        assert late[name] == 0


def test_make_run_samples_never_point_to_a_later_article(kafka: str, tmp_path: Path) -> None:
    """`make run` replays the samples in file order (not publication order) into 4 raw
    partitions; every duplicate_of must still name an article published no later."""
    pairs = list(read_jsonl(SAMPLES))
    published = {
        (doc := jsonio.loads(v))["id"]: datetime.fromisoformat(doc["published_at"])
        .astimezone(UTC)
        .timestamp()
        for _, v in pairs
    }
    values = [v for _, v in pairs]
    keys = [k for k, _ in pairs]
    out = replay(kafka, tmp_path / "samples", values, keys, 4)
    assert len(out) == len(published)
    assert any(a["duplicate_kind"] == "exact" for a in out)
    later = pointing_later(out, published)
    assert not later, f"duplicate_of a later article: {later}"
