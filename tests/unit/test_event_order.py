"""EventOrder (the decision stage's event-time buffer) without Kafka: a dict as its table."""

from __future__ import annotations

import random
from typing import Any

import orjson

from service.dedup.watermark import STATE_KEY, EventOrder


def new(store: dict[str, Any] | None = None, **kw: Any) -> EventOrder:
    opts = {"partitions": 4, "lateness_s": 0.0, "idle_s": 10.0, "now": 0.0} | kw
    return EventOrder({} if store is None else store, **opts)


def feed(order: EventOrder, items: list[tuple[str, int, float]], now: float = 1.0) -> list[str]:
    """Offer (id, partition, ts) items one by one; ids as released (late ones included)."""
    out = []
    for aid, p, ts in items:
        if order.offer(aid, p, ts, {"id": aid}, now).late:
            out.append(aid)
        out.extend(a for a, _ in order.release(now))
    return out


def sorted_stream(n: int, partitions: int, seed: int) -> list[tuple[str, int, float]]:
    """n items in publication order (some at equal times), each on a random partition."""
    rng = random.Random(seed)
    ts, items = 0.0, []
    for i in range(n):
        ts += rng.choice([0.0, 0.0, 1.0, 5.0, 30.0])
        items.append((f"a{i:04d}", rng.randrange(partitions), ts))
    return items


def interleave(items: list[tuple[str, int, float]], seed: int) -> list[tuple[str, int, float]]:
    """A random merge of the per-partition subsequences (each keeps its own order): what a
    consumer fetching partitions in any order hands over."""
    rng = random.Random(seed)
    queues: dict[int, list[tuple[str, int, float]]] = {}
    for it in items:
        queues.setdefault(it[1], []).append(it)
    out = []
    while queues:
        p = rng.choice(sorted(queues))
        take = rng.randint(1, 20)
        out.extend(queues[p][:take])
        queues[p] = queues[p][take:]
        if not queues[p]:
            del queues[p]
    return out


def expected(items: list[tuple[str, int, float]]) -> list[str]:
    return [aid for aid, _, _ in sorted(items, key=lambda it: (it[2], it[0]))]


def test_any_interleaving_of_sorted_partitions_is_released_in_publication_order() -> None:
    items = sorted_stream(600, 4, seed=1)
    for seed in range(5):
        order = new()
        got = feed(order, interleave(items, seed))
        assert order.offer("end", 0, 1e9, {}, 1.0).late is False
        # the tail waits for the watermark; with every partition idle it all comes out
        assert len(order) > 1
        got += [a for a, _ in order.release(now=100.0) if a != "end"]
        assert got == expected(items), f"interleaving {seed}"
        assert len(order) == 0


def test_four_partitions_release_as_one() -> None:
    items = sorted_stream(300, 4, seed=2)
    four = feed(new(), interleave(items, 3))
    one = feed(new(partitions=1), [(a, 0, ts) for a, _, ts in items])
    assert four == one[: len(four)]


def test_a_partition_never_seen_holds_the_watermark_until_it_goes_idle() -> None:
    order = new()
    for i, p in enumerate([0, 1, 2]):
        order.offer(f"x{i}", p, 100.0 + i, {}, now=1.0)
    assert order.release(now=5.0) == []  # partition 3 may still send something older
    assert order.watermark(now=5.0) == float("-inf")
    # partition 3 silent for longer than idle_s since the clocks started: it leaves the minimum
    assert order.watermark(now=10.5) == 100.0
    order.offer("x3", 0, 200.0, {}, now=10.5)
    assert [a for a, _ in order.release(now=10.5)] == ["x0"]  # strictly below 101


def test_ties_at_the_watermark_are_held_until_it_passes_them() -> None:
    order = new(partitions=2)
    order.offer("b", 0, 50.0, {}, now=1.0)
    order.offer("c", 1, 50.0, {}, now=1.0)
    # both partitions are at 50: another article at 50 with a smaller id may still come
    assert order.release(now=1.0) == []
    assert order.offer("a", 1, 50.0, {}, now=1.0).late is False
    order.offer("d", 0, 51.0, {}, now=1.0)
    order.offer("e", 1, 51.0, {}, now=1.0)
    assert [k for k, _ in order.release(now=1.0)] == ["a", "b", "c"]


def test_lateness_holds_articles_that_much_longer() -> None:
    order = new(partitions=1, lateness_s=60.0)
    order.offer("a", 0, 0.0, {}, now=1.0)
    order.offer("b", 0, 59.0, {}, now=1.0)
    assert order.release(now=1.0) == []
    assert order.offer("early", 0, 30.0, {}, now=1.0).late is False  # out of order, in time
    order.offer("c", 0, 61.0, {}, now=1.0)
    assert [k for k, _ in order.release(now=1.0)] == ["a"]
    order.offer("d", 0, 200.0, {}, now=1.0)
    assert [k for k, _ in order.release(now=1.0)] == ["early", "b", "c"]


def test_a_late_article_is_handed_back_with_how_late_it_is() -> None:
    order = new(partitions=1)
    order.offer("a", 0, 100.0, {}, now=1.0)
    order.offer("b", 0, 200.0, {}, now=1.0)
    assert [k for k, _ in order.release(now=1.0)] == ["a"]
    late = order.offer("old", 0, 40.0, {}, now=1.0)
    assert late.late and late.late_by_s == 60.0
    assert "old" not in order  # not buffered: the caller decides it at once
    assert order.offer("tie", 0, 100.0, {}, now=1.0).late is False  # after "a" in id order
    assert order.offer("A", 0, 100.0, {}, now=1.0).late is True  # before "a": too late


def test_an_idle_partition_leaves_the_minimum_and_all_idle_releases_everything() -> None:
    order = new(partitions=2, idle_s=10.0)
    order.offer("a", 0, 10.0, {}, now=1.0)
    order.offer("b", 1, 5.0, {}, now=1.0)
    order.offer("c", 0, 20.0, {}, now=8.0)
    assert order.release(now=8.0) == []  # partition 1 is at 5: "b" is not strictly below
    assert order.next_idle_at(now=8.0) == 11.0  # partition 1 goes idle then
    order.offer("d", 0, 30.0, {}, now=12.0)
    assert [k for k, _ in order.release(now=12.0)] == ["b", "a", "c"]  # only 0 counts
    assert order.next_idle_at(now=12.0) == 22.0
    assert [k for k, _ in order.release(now=22.5)] == ["d"]
    assert order.next_idle_at(now=22.5) is None


def test_a_busy_partition_never_goes_idle() -> None:
    order = new(partitions=2, idle_s=10.0)
    order.offer("a", 0, 10.0, {}, now=1.0)
    order.busy = {1}  # its raw partition has lag: the partitioned stage is just slow
    assert order.release(now=100.0) == []
    assert order.next_idle_at(now=100.0) is None  # partition 0 idle; 1 wakes us with input
    order.busy = set()
    assert [k for k, _ in order.release(now=100.0)] == ["a"]


def test_restored_state_releases_what_the_uninterrupted_buffer_would() -> None:
    items = interleave(sorted_stream(400, 4, seed=4), 5)
    reference = feed(new(), items)
    store: dict[str, Any] = {}
    order = new(store)
    got = feed(order, items[:150])
    # a restart: the table comes back from its changelog (JSON), idle clocks start again
    restored = {k: orjson.loads(orjson.dumps(v)) for k, v in store.items()}
    order = new(restored, now=1000.0)
    assert len(order) == sum(1 for k in restored if k != STATE_KEY) > 0
    got += feed(order, items[150:], now=1001.0)
    assert got == reference


def test_downtime_does_not_make_partitions_idle() -> None:
    store: dict[str, Any] = {}
    order = new(store, partitions=2)
    order.offer("a", 0, 10.0, {}, now=1.0)
    order.offer("b", 1, 5.0, {}, now=1.0)
    order = new(store, partitions=2, now=5000.0)  # restarted long after
    assert order.release(now=5001.0) == []
    assert order.watermark(now=5001.0) == 5.0


def test_one_record_per_buffered_article_and_one_for_the_clock() -> None:
    store: dict[str, Any] = {}
    order = new(store, partitions=1)
    for i in range(5):
        order.offer(f"a{i}", 0, float(i), {"n": i}, now=1.0)
    assert set(store) == {STATE_KEY, "a0", "a1", "a2", "a3"} | {"a4"}
    order.release(now=1.0)
    assert set(store) == {STATE_KEY, "a4"}
    assert store[STATE_KEY] == {"max": {"0": 4.0}, "last": [3.0, "a3"]}
