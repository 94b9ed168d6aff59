"""The broker is stopped (SIGTERM) and started again during a replay; the worker carries on.

Uses its own broker (not the session's), so the other tests are not disturbed. The worker is
never restarted by the test: it must reconnect by itself (same pid, alive at the end), and
every article must be enriched exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.broker import LocalBroker, free_port
from service.kafka_io import create_topics
from tests.conftest import unique_env
from tests.integration.conftest import WorkerProcess, collect, keys_seen, produce
from tests.integration.reliability import (
    collect_all,
    count_keys,
    dead_originals,
    generate,
    loss_and_duplicates,
    reliability_n,
    running,
    wait_raw_progress,
)

pytestmark = pytest.mark.integration

N = reliability_n(1_000)
DOWN_S = 8.0


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    broker = LocalBroker(data_dir=tmp_path / "kafka", port=free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def test_worker_survives_a_broker_restart(own_broker: LocalBroker, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    env = unique_env(own_broker.bootstrap, tmp_path / "w", NEWSFLOW_RAW_PARTITIONS="4")
    worker = WorkerProcess(env=env, log_path=tmp_path / "w" / "worker.log")
    settings = worker.settings
    asyncio.run(create_topics(settings))
    inputs = generate(N, n_bad=N // 100, seed=21, tag="brk")
    produce(settings, inputs.values, inputs.keys)
    began = time.monotonic()
    worker.start()
    assert worker.proc is not None
    pid = worker.proc.pid
    with running(worker, tail=8000):
        wait_raw_progress(settings, 0.3, timeout=60 + N / 10, alive=worker.alive)
        stopped = time.monotonic()
        assert own_broker.stop(), "broker was not running"
        time.sleep(DOWN_S)
        assert worker.alive(), f"worker exited while the broker was down:\n{worker.log_tail()}"
        own_broker.start()
        restarted = time.monotonic()
        wanted = set(inputs.valid_ids)
        collect(settings, settings.topic_enriched, keys_seen(wanted), 180 + N / 10)
        wait_raw_progress(settings, 1.0, timeout=60, alive=worker.alive)
        assert worker.alive() and worker.proc.pid == pid, "the worker was restarted"
    elapsed = time.monotonic() - began
    out = collect_all(settings, settings.topic_enriched, settings.topic_dlq)
    enriched, dlq = out[settings.topic_enriched], out[settings.topic_dlq]
    lost, dups = loss_and_duplicates(inputs.valid_ids, count_keys(enriched))
    dead = dead_originals(dlq)
    print(
        f"\n[broker restart] articles={len(inputs.valid_ids)} lost={len(lost)} "
        f"duplicated={len(dups)} dead letters={sum(dead.values())}/{len(inputs.bad)} "
        f"broker down {restarted - stopped:.0f}s; time={elapsed:.0f}s"
    )
    assert not lost, f"{len(lost)} lost, e.g. {lost[:5]}"
    assert not dups, f"{len(dups)} duplicated, e.g. {list(dups.items())[:5]}"
    assert dead == {v: 1 for v in inputs.bad}
