"""The worker's life cycle without Kafka: agent state, the crash hook, bounded waits, probes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
import pytest

from service import lifecycle
from service.agents.publish import acquire_within
from service.broker import free_port, metadata_ok
from service.lifecycle import BrokerWatch, ExitingSupervisor, ModelUnavailable, agents_down

app = faust.App("test-lifecycle", store="memory://")


@app.agent()
async def fragile(stream: Any) -> None:
    async for value in stream:
        if value == "bad":
            raise ValueError("cannot handle this")


def test_an_agent_not_started_is_down() -> None:
    assert agents_down([fragile]) == [fragile.name]


def test_a_crashed_agent_is_down_and_asks_the_worker_to_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reasons: list[str] = []
    monkeypatch.setattr(lifecycle, "_on_crash", reasons.append)

    async def run() -> tuple[list[str], list[str]]:
        async with fragile.test_context(supervisor_strategy=ExitingSupervisor) as agent:
            await agent.put("fine")
            running = agents_down([agent])
            with pytest.raises(ValueError):
                await agent.put("bad")
            for _ in range(50):  # the supervisor wakes up on the crash
                if reasons:
                    break
                await asyncio.sleep(0.1)
            return running, agents_down([agent])

    running, crashed = asyncio.run(run())
    assert running == []
    assert crashed == [fragile.name]
    assert reasons == [f"agent {fragile.name} crashed: ValueError: cannot handle this"]


def test_commit_lock_wait_is_bounded() -> None:
    async def run() -> tuple[bool, bool, bool]:
        lock = asyncio.Lock()
        await lock.acquire()
        held = await acquire_within(lock, 1.0, lambda: False)
        gave_up = await acquire_within(lock, 60.0, lambda: True)
        asyncio.get_running_loop().call_later(0.2, lock.release)
        freed = await acquire_within(lock, 10.0, lambda: False)
        return held, gave_up, freed

    held, gave_up, freed = asyncio.run(asyncio.wait_for(run(), 30))
    assert (held, gave_up, freed) == (False, False, True)


def test_broker_watch_counts_time_unreachable() -> None:
    answers = [OSError("refused"), OSError("refused"), None, OSError("refused")]

    async def probe() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    async def run() -> list[float]:
        watch = BrokerWatch(probe)
        out = [await watch.check()]
        await asyncio.sleep(0.05)
        out.append(await watch.check())
        out.append(await watch.check())
        out.append(await watch.check())
        return out

    first, second, ok, again = asyncio.run(run())
    assert first == 0.0 or first < 0.05
    assert second >= 0.05  # measured from the first failure in a row
    assert ok == 0.0
    assert again < 0.05  # the count restarted after the broker answered


def test_a_missing_spacy_model_is_one_line() -> None:
    with pytest.raises(ModelUnavailable) as info:
        lifecycle.check_model("xx_no_such_model_here", 50)
    message = str(info.value)
    assert "\n" not in message
    assert "xx_no_such_model_here" in message and "NEWSFLOW_SPACY_MODEL" in message


def test_probing_for_a_broker_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception):  # noqa: B017 - any failure: nothing listens there
        asyncio.run(metadata_ok(f"127.0.0.1:{free_port()}"))
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
    assert logging.getLogger("aiokafka").level != logging.CRITICAL  # restored afterwards


def test_one_line_reason_names_the_chained_cause() -> None:
    try:
        try:
            raise ConnectionError("Connection at 127.0.0.1:9092 closed")
        except ConnectionError as inner:
            raise RuntimeError("Unexpected error during batch delivery") from inner
    except RuntimeError as exc:
        assert lifecycle.one_line(exc) == "RuntimeError: Unexpected error during batch delivery"
        assert lifecycle.one_line(exc, causes=True) == (
            "RuntimeError: Unexpected error during batch delivery, caused by "
            "ConnectionError: Connection at 127.0.0.1:9092 closed"
        )
