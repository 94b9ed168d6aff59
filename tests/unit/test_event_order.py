"""EventOrder (the decision stage's event-time buffer) without Kafka: a dict as its table."""

from __future__ import annotations

import random
from typing import Any

import orjson

from service.dedup import DedupConfig, DedupEngine, article_features
from service.dedup.watermark import STATE_KEY, EventOrder, KeyPrefixed
from tests.unit.dedup_samples import QUAKE_PERU, article, peru


def new(store: dict[str, Any] | None = None, **kw: Any) -> EventOrder:
    opts = {"partitions": 4, "lateness_s": 0.0, "idle_s": 10.0, "now": 0.0} | kw
    return EventOrder({} if store is None else store, **opts)


def feed(order: EventOrder, items: list[tuple[str, int, float]], now: float = 1.0) -> list[str]:
    """Offer (id, partition, ts) items one by one; ids as released (late ones included)."""
    out = []
    for aid, p, ts in items:
        if order.offer(aid, p, ts, {"id": aid}, now).late:
            out.append(aid)
        out.extend(a for a, _ in order.release())
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
        # the tail waits for the watermark; with every partition idle it all comes out
        assert len(order) > 1
        assert order.mark_idle(now=100.0) == {0, 1, 2, 3}
        got += [a for a, _ in order.release()]
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
    assert order.release() == []  # partition 3 may still send something older
    assert order.watermark() == float("-inf")
    assert order.mark_idle(now=10.5) == {3}  # silent since the clocks started (at 0)
    assert order.watermark() == 100.0
    order.offer("x3", 0, 200.0, {}, now=10.5)
    assert [a for a, _ in order.release()] == ["x0"]  # strictly below 101


def test_ties_at_the_watermark_are_held_until_it_passes_them() -> None:
    order = new(partitions=2)
    order.offer("b", 0, 50.0, {}, now=1.0)
    order.offer("c", 1, 50.0, {}, now=1.0)
    # both partitions are at 50: another article at 50 with a smaller id may still come
    assert order.release() == []
    assert order.offer("a", 1, 50.0, {}, now=1.0).late is False
    order.offer("d", 0, 51.0, {}, now=1.0)
    order.offer("e", 1, 51.0, {}, now=1.0)
    assert [k for k, _ in order.release()] == ["a", "b", "c"]


def test_lateness_holds_articles_that_much_longer() -> None:
    order = new(partitions=1, lateness_s=60.0)
    order.offer("a", 0, 0.0, {}, now=1.0)
    order.offer("b", 0, 59.0, {}, now=1.0)
    assert order.release() == []
    assert order.offer("early", 0, 30.0, {}, now=1.0).late is False  # out of order, in time
    order.offer("c", 0, 61.0, {}, now=1.0)
    assert [k for k, _ in order.release()] == ["a"]
    order.offer("d", 0, 200.0, {}, now=1.0)
    assert [k for k, _ in order.release()] == ["early", "b", "c"]


def test_a_late_article_is_handed_back_with_how_late_it_is() -> None:
    order = new(partitions=1)
    order.offer("a", 0, 100.0, {}, now=1.0)
    order.offer("b", 0, 200.0, {}, now=1.0)
    assert [k for k, _ in order.release()] == ["a"]
    late = order.offer("old", 0, 40.0, {}, now=1.0)
    assert late.late and late.late_by_s == 60.0
    assert "old" not in order  # not buffered: the caller decides it at once
    assert order.offer("tie", 0, 100.0, {}, now=1.0).late is False  # after "a" in id order
    assert order.offer("A", 0, 100.0, {}, now=1.0).late is True  # before "a": too late


def test_an_idle_partition_leaves_the_minimum_until_its_next_article() -> None:
    order = new(partitions=2, idle_s=10.0)
    order.offer("a", 0, 10.0, {}, now=1.0)
    order.offer("b", 1, 5.0, {}, now=1.0)
    order.offer("c", 0, 20.0, {}, now=8.0)
    assert order.release() == []  # partition 1 is at 5: "b" is not strictly below
    assert order.timed_out(now=10.0) == set()
    assert order.timed_out(now=11.5) == {1}
    order.offer("d", 0, 30.0, {}, now=12.0)
    assert order.mark_idle(now=12.0) == {1}
    assert [k for k, _ in order.release()] == ["b", "a", "c"]  # only partition 0 counts
    order.offer("e", 1, 40.0, {}, now=13.0)  # partition 1 is back: the minimum again
    order.offer("f", 0, 35.0, {}, now=13.0)
    assert [k for k, _ in order.release()] == ["d"]
    assert order.mark_idle(now=30.0) == {0, 1}
    assert [k for k, _ in order.release()] == ["f", "e"]


def test_a_busy_partition_never_goes_idle() -> None:
    order = new(partitions=2, idle_s=10.0)
    order.offer("a", 0, 10.0, {}, now=1.0)
    # partition 1 has raw consumer lag: the partitioned stage is slow, not quiet
    assert order.mark_idle(now=100.0, busy={1}) == {0}
    assert order.release() == []
    assert order.mark_idle(now=100.0) == {1}
    assert [k for k, _ in order.release()] == ["a"]


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
    assert order.mark_idle(now=5001.0) == set()
    assert order.release() == []
    assert order.watermark() == 5.0


def test_one_record_per_buffered_article_and_one_for_the_clock() -> None:
    store: dict[str, Any] = {}
    order = new(store, partitions=1)
    for i in range(5):
        order.offer(f"a{i}", 0, float(i), {"n": i}, now=1.0)
    assert set(store) == {STATE_KEY, "a0", "a1", "a2", "a3"} | {"a4"}
    order.release()
    assert set(store) == {STATE_KEY, "a4"}
    assert store[STATE_KEY] == {"max": {"0": 4.0}, "last": [3.0, "a3"]}


def test_a_late_original_joins_its_copys_story_as_its_first_article() -> None:
    """Decided after its later copy (it arrived late): not flagged a duplicate of a later
    article, and the story's first article and first_seen become the original's."""
    engine = DedupEngine(DedupConfig(), {}, {})
    copy = article("peru-copy", QUAKE_PERU, source="wire.example", published="2026-02-11T21:30Z")
    first = engine.decide(article_features(copy))
    late = engine.decide(article_features(peru()))
    assert late.story_id == first.story_id
    assert (late.duplicate_kind, late.duplicate_of) == (None, None)
    assert late.evidence["later_match"] == "peru-copy"
    assert engine.stories[first.story_id]["first_article"] == "peru-1"
    assert late.story["first_seen"] == "2026-02-11T21:05:00+00:00"
    # an article after both still names the earliest one
    again = article("peru-again", QUAKE_PERU, source="x.example", published="2026-02-11T22:00Z")
    assert engine.decide(article_features(again)).duplicate_of == "peru-1"


def test_a_key_prefixed_view_shares_a_table_without_touching_its_other_keys() -> None:
    table: dict[str, Any] = {"": {"n": 3}, "a1": {"story_id": "s"}}
    order = new(KeyPrefixed(table, "\x00p:"), partitions=1)
    order.offer("b", 0, 1.0, {"id": "b"}, now=1.0)
    assert set(table) == {"", "a1", "\x00p:", "\x00p:b"}
    assert "b" in order and "a1" not in order
    restored = new(KeyPrefixed(dict(table), "\x00p:"), partitions=1)
    assert len(restored) == 1 and restored.has_state()
    order.offer("c", 0, 2.0, {}, now=1.0)
    assert [k for k, _ in order.release()] == ["b"]
    assert set(table) == {"", "a1", "\x00p:", "\x00p:c"}
