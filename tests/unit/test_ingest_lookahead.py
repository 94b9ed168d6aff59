"""The ingest agent's lookahead reads the stream's queue without taking from it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from service.agents.ingest import upcoming


def _stream_with(items: list[object]) -> SimpleNamespace:
    queue: asyncio.Queue[object] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    return SimpleNamespace(channel=SimpleNamespace(queue=queue))


def _event(offset: int, value: object = b"{}") -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(offset=offset, value=value))


def test_upcoming_reads_in_order_up_to_the_limit_and_leaves_the_queue_alone() -> None:
    stream = _stream_with([_event(i) for i in range(5)])
    got = upcoming(stream, 3)
    assert [m.offset for m in got] == [0, 1, 2]
    assert stream.channel.queue.qsize() == 5
    assert [m.offset for m in upcoming(stream, 10)] == [0, 1, 2, 3, 4]


def test_upcoming_skips_what_is_not_a_raw_message() -> None:
    stream = _stream_with([_event(0), "not an event", _event(2, value={"decoded": 1}), _event(3)])
    assert [m.offset for m in upcoming(stream, 10)] == [0, 3]


def test_upcoming_is_empty_without_a_queue_it_knows() -> None:
    assert upcoming(SimpleNamespace(), 4) == []
    assert upcoming(SimpleNamespace(channel=SimpleNamespace(queue=object())), 4) == []
