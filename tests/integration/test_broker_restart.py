"""The broker is stopped (SIGTERM) and started again, round after round, while articles flow.

Uses its own broker (not the session's), so the other tests are not disturbed. The worker must
either ride through (reconnect by itself: same pid) or exit cleanly, non-zero with a one-line
reason from `service.lifecycle`, so that a supervisor restarts it; the test plays that
supervisor. Either way every article is enriched exactly once (read_committed) and every bad
input is dead-lettered exactly once. A worker that cannot reach the broker for long exits and
says why.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import jsonio
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
    raw_progress,
    reliability_n,
    running,
    worker_troubles,
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


def exit_reasons(worker: WorkerProcess) -> list[str]:
    """The worker's error lines from service.lifecycle (why it exits; then, if the stop hit
    its bound, that too)."""
    return [
        jsonio.loads(line)["msg"]
        for line in worker.log_path.read_text(errors="replace").splitlines()
        if line.startswith("{")
        and '"logger":"service.lifecycle"' in line
        and '"level":"error"' in line
    ]


def supervise(worker: WorkerProcess, restarts: list[str]) -> None:
    """Restart the worker if it exited, after checking it exited as it must (non-zero, with a
    reason): the part compose's `restart: unless-stopped` plays in a deployment."""
    if worker.alive():
        return
    assert worker.proc is not None
    code = worker.proc.returncode
    every = exit_reasons(worker)  # one log across starts: the lines since the last exit
    reasons = every[worker.extra.get("reasons_seen", 0) :]
    worker.extra["reasons_seen"] = len(every)
    assert code != 0 and reasons, f"worker exited {code} without a reason:\n{worker.log_tail()}"
    restarts.append(f"exit {code}: {' / '.join(reasons)}")
    worker.start(timeout=180)


def wait_progress(
    worker: WorkerProcess, beyond: int, timeout: float, restarts: list[str]
) -> tuple[int, int]:
    """Wait until the group has committed more than `beyond` raw offsets (or all of them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervise(worker, restarts)
        done, end = raw_progress(worker.settings)
        if end and (done > beyond or done >= end):
            return done, end
        time.sleep(0.5)
    raise AssertionError(f"no progress beyond {beyond} raw offsets in {timeout:.0f}s")


def run_rounds(own_broker: LocalBroker, tmp_path: Path, rounds: int) -> None:
    (tmp_path / "w").mkdir()
    env = unique_env(own_broker.bootstrap, tmp_path / "w", NEWSFLOW_RAW_PARTITIONS="4")
    worker = WorkerProcess(env=env, log_path=tmp_path / "w" / "worker.log")
    settings = worker.settings
    asyncio.run(create_topics(settings))
    inputs = generate(N, n_bad=N // 100, seed=21, tag="brk")
    # half before the start, the rest in one batch after each restart: articles keep flowing
    first = len(inputs.values) // 2
    chunks = [(0, first)]
    step = max(1, (len(inputs.values) - first) // rounds)
    for r in range(rounds):
        lo = first + r * step
        chunks.append((lo, len(inputs.values) if r == rounds - 1 else lo + step))
    restarts: list[str] = []
    downs: list[float] = []
    began = time.monotonic()
    lo, hi = chunks[0]
    produce(settings, inputs.values[lo:hi], inputs.keys[lo:hi])
    worker.start()
    assert worker.proc is not None
    with running(worker, tail=8000):
        done = 0
        for r in range(rounds):
            done, _ = wait_progress(worker, done, 120 + N / 10, restarts)
            stopped = time.monotonic()
            assert own_broker.stop(), "broker was not running"
            time.sleep(DOWN_S)
            own_broker.start()
            downs.append(time.monotonic() - stopped)
            lo, hi = chunks[r + 1]
            produce(settings, inputs.values[lo:hi], inputs.keys[lo:hi])
        wanted = set(inputs.valid_ids)
        deadline = time.monotonic() + 240 + N / 10
        while time.monotonic() < deadline:
            supervise(worker, restarts)
            got = collect(settings, settings.topic_enriched, keys_seen(wanted), 20)
            if wanted <= {x.key.decode() for x in got if x.key is not None}:
                break
        done, end = wait_progress(worker, 0, 60, restarts)
        while done < end and time.monotonic() < deadline:
            done, end = wait_progress(worker, done, 60, restarts)
    elapsed = time.monotonic() - began
    out = collect_all(settings, settings.topic_enriched, settings.topic_dlq)
    enriched, dlq = out[settings.topic_enriched], out[settings.topic_dlq]
    lost, dups = loss_and_duplicates(inputs.valid_ids, count_keys(enriched))
    dead = dead_originals(dlq)
    print(
        f"\n[broker restart x{rounds}] articles={len(inputs.valid_ids)} lost={len(lost)} "
        f"duplicated={len(dups)} dead letters={sum(dead.values())}/{len(inputs.bad)} "
        f"broker down {min(downs):.0f}-{max(downs):.0f}s per round; worker restarts="
        f"{len(restarts)} {restarts}; time={elapsed:.0f}s"
    )
    if lost or dups:
        print(worker_troubles(worker.log_path))
    assert not lost, f"{len(lost)} lost, e.g. {lost[:5]}"
    assert not dups, f"{len(dups)} duplicated, e.g. {list(dups.items())[:5]}"
    assert dead == {v: 1 for v in inputs.bad}


def test_worker_survives_three_broker_restarts(own_broker: LocalBroker, tmp_path: Path) -> None:
    run_rounds(own_broker, tmp_path, rounds=int(os.environ.get("NEWSFLOW_BROKER_ROUNDS", "3")))


@pytest.mark.slow
def test_worker_survives_ten_broker_restarts(own_broker: LocalBroker, tmp_path: Path) -> None:
    run_rounds(own_broker, tmp_path, rounds=10)


def test_worker_without_a_broker_for_long_says_why_and_exits(
    own_broker: LocalBroker, tmp_path: Path
) -> None:
    (tmp_path / "w").mkdir()
    env = unique_env(own_broker.bootstrap, tmp_path / "w", NEWSFLOW_BROKER_LOST_EXIT_S="15")
    worker = WorkerProcess(env=env, log_path=tmp_path / "w" / "worker.log")
    asyncio.run(create_topics(worker.settings))
    worker.start()
    assert worker.proc is not None
    with running(worker, tail=8000):
        own_broker.stop()
        stopped = time.monotonic()
        # 15 s unreachable, checked every 5 s, then at most the 20 s shutdown bound
        code = worker.proc.wait(15 + 5 + 20 + 30)
        took = time.monotonic() - stopped
    reasons = exit_reasons(worker)
    print(f"\n[broker gone] worker exited {code} after {took:.0f}s: {reasons}")
    assert code != 0
    assert reasons and "unreachable for" in reasons[0], worker.log_tail()
    assert own_broker.bootstrap in reasons[0]
