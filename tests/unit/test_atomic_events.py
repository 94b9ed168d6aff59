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
        self.commits: list[bool] = []  # per commit: were all table writes done by then?
        self.pending: list[asyncio.Future[Any]] = []

        async def commit(*args: Any, **kwargs: Any) -> bool:
            self.commits.append(all(f.done() for f in self.pending))
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


def test_a_commit_waits_for_the_table_writes_of_handled_events() -> None:
    """The writes are awaited once per commit, not per event: the events are acked at once,
    and the commit that follows includes every write they made."""

    async def run() -> FakeApp:
        c, stream = fake_components(), FakeStream(["a", "b"])
        publish.commit_guard(c.app)
        loop = asyncio.get_running_loop()
        async for _event in publish.atomic_events(c, stream):  # type: ignore[arg-type]
            write: asyncio.Future[Any] = loop.create_future()
            c.app.pending.append(write)
            c.app.producer.buffer.put(write)  # a changelog write, acknowledged later
            loop.call_later(0.05, write.set_result, None)
        assert stream.acked == ["a", "b"]  # acked before their writes are acknowledged
        assert not any(f.done() for f in c.app.pending)
        assert await c.app.consumer.commit()
        app: FakeApp = c.app
        return app

    app = asyncio.run(run())
    assert app.commits == [True], "committed before the events' table writes were acknowledged"


def test_a_failed_table_write_stops_all_commits() -> None:
    async def run() -> tuple[FakeApp, list[bool]]:
        c, stream = fake_components(), FakeStream(["a"])
        publish.commit_guard(c.app)
        async for _event in publish.atomic_events(c, stream):  # type: ignore[arg-type]
            write: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            write.set_exception(ConnectionError("broker gone"))
            c.app.producer.buffer.put(write)
        results = [await c.app.consumer.commit(), await c.app.consumer.commit()]
        assert publish.commits_stopped(c.app)
        return c.app, results

    app, results = asyncio.run(run())
    assert results == [False, False]
    assert app.commits == [], "a transaction missing a handled event's write was committed"
