"""A raw batch that a rebalance overtook while it was prepared is not emitted or acked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from service.agents.publish import current_events as current


def batch(app: Any, generations: list[int]) -> list[Any]:
    return [
        SimpleNamespace(app=app, message=SimpleNamespace(generation_id=g, offset=i))
        for i, g in enumerate(generations)
    ]


def app(generation: int, active: bool = True) -> Any:
    return SimpleNamespace(
        consumer_generation_id=generation,
        flow_control=SimpleNamespace(is_active=lambda: active),
    )


def test_current_generation_is_kept_in_order() -> None:
    a = app(3)
    events = batch(a, [3, 3, 3])
    assert current(events) == events


def test_events_of_an_older_generation_are_dropped() -> None:
    a = app(4)
    events = batch(a, [3, 4, 3, 4])
    assert [e.message.offset for e in current(events)] == [1, 3]


def test_nothing_is_kept_while_a_rebalance_is_under_way() -> None:
    a = app(4, active=False)
    assert current(batch(a, [4, 4])) == []
    assert current([]) == []
