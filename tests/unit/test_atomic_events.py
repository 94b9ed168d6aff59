"""`publish.atomic_events`: an event taken from the stream is acked only once it was handled.

Faust's stream iterator acks its current event in a `finally` when the iterator is closed
(`Stream.__aiter__`, with `do_ack = stream.enable_acks`). `FakeStream` does the same, so
these tests fail if `atomic_events` lets Faust ack: at shutdown the agent is cancelled while
an event waits for the commit guard, and that event must stay unacked (else the shutdown
commit goes past it and the article is lost).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from service.agents import publish


class FakeStream:
    def __init__(self, events: list[str]) -> None:
        self._events = events
        self.enable_acks = True
        self.acked: list[str] = []

    async def events(self) -> Any:
        do_ack = self.enable_acks  # read when iteration starts, as Faust does
        for event in self._events:
            try:
                yield event
            finally:
                if do_ack and event not in self.acked:
                    self.acked.append(event)

    async def ack(self, event: str) -> None:
        if event not in self.acked:
            self.acked.append(event)


class FakeApp:  # a class, not a SimpleNamespace: the guard registry holds apps weakly
    def __init__(self) -> None:
        async def commit(*args: Any, **kwargs: Any) -> bool:
            return True

        self.consumer = SimpleNamespace(commit=commit)
        self.producer = SimpleNamespace(buffer=SimpleNamespace(put=lambda fut: None))


def fake_components() -> Any:
    return SimpleNamespace(app=FakeApp())


def test_handled_events_are_acked_in_order() -> None:
    async def run() -> list[str]:
        c, stream = fake_components(), FakeStream(["a", "b", "c"])
        handled = []
        async for event in publish.atomic_events(c, stream):  # type: ignore[arg-type]
            handled.append(event)
        assert handled == ["a", "b", "c"]
        return stream.acked

    assert asyncio.run(run()) == ["a", "b", "c"]


def test_an_event_waiting_for_the_guard_when_the_agent_is_cancelled_stays_unacked() -> None:
    async def run() -> FakeStream:
        c, stream = fake_components(), FakeStream(["a", "b", "c"])
        guard = publish.commit_guard(c.app)
        handled: list[str] = []
        first_done = asyncio.Event()

        async def agent() -> None:
            async for event in publish.atomic_events(c, stream):  # type: ignore[arg-type]
                handled.append(event)
                first_done.set()
                await asyncio.sleep(0)

        task = asyncio.create_task(agent())
        await first_done.wait()
        await guard.lock.acquire()  # a commit holds the guard while "b" is taken
        await asyncio.sleep(0.05)
        task.cancel()  # the worker shuts down
        await asyncio.gather(task, return_exceptions=True)
        guard.lock.release()
        assert handled == ["a"]
        return stream

    stream = asyncio.run(run())
    assert stream.acked == ["a"], f"acked without being handled: {stream.acked[1:]}"
