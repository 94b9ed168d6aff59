"""The ordered decision stage: one partition, articles decided in publication (event-time) order.

Articles from all raw partitions are buffered and released by `EventOrder` (dedup/watermark.py)
in (published_ts, id) order, so the decisions are the same whatever the partitioning, backlog
or replay; a late article (older than what was already released) is decided at once, marked
`late` in its evidence. The buffer lives in the changelogged `decisions` table, under reserved
keys (`PENDING_PREFIX`).

State lives in Faust tables (changelogged, restored on restart). A decisions table keyed by
article id makes the stage idempotent: an id seen before is not emitted again, whatever the
reason it came back (a producer retry, a replay, a rebalance after a crash).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from faust import StreamT

from .. import jsonio
from ..app import Components
from ..dedup import DedupConfig, DedupEngine
from ..dedup.watermark import EventOrder, KeyPrefixed
from ..pipeline import utc_now_iso
from ..web import update_consumer_lag
from . import publish

log = logging.getLogger(__name__)

EXPIRE_EVERY = 500
# Decisions since the last expiry, kept in the decisions table under a key no article has (ids
# are non-empty), so that it is restored with the tables: a restarted worker expires state at
# the same articles as an uninterrupted one and so decides the same. (An in-memory counter
# restarted at 0 changed 4 of 1,500 decisions after three kill -9s in the crash test.)
EXPIRY_KEY = ""
# A dedup-input record with this key set carries no article: it wakes the agent to release
# buffered articles (sent by the agent's own timer, see `wake`).
TICK = "tick"
# The event-time buffer lives in the decisions table under keys with this prefix (no article id
# starts with a NUL character), so that it is changelogged and restored with the other state
# without a fourth table (a new changelog topic raced the first assignment under load).
PENDING_PREFIX = "\x00pending:"
TICK_INTERVAL_S = 1.0


def register_dedup_agent(c: Components) -> None:
    settings = c.settings
    metrics = c.metrics
    t = c.tables
    engine = DedupEngine(
        DedupConfig(
            near_window_hours=settings.near_window_hours,
            story_window_hours=settings.story_window_hours,
        ),
        articles=t["articles"],
        stories=t["stories"],
    )
    decisions = t["decisions"]
    # The engine's indexes live in memory, derived from the two tables: rebuild them on the
    # first event after start (tables recovered) and after every assignment (a rebalance may
    # have restored other state); the count check catches anything else that moved the tables.
    stale = [True]

    @c.app.on_partitions_assigned.connect
    async def _assigned(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        stale[0] = True

    order = EventOrder(
        KeyPrefixed(decisions, PENDING_PREFIX),
        partitions=settings.raw_partitions,
        lateness_s=settings.allowed_lateness_s,
        idle_s=settings.partition_idle_s,
        now=time.monotonic(),
    )
    tick_value = jsonio.dumps({TICK: True})

    @c.app.timer(interval=TICK_INTERVAL_S)
    async def wake() -> None:
        """Send the decision stage a tick when a partition holding buffered articles back
        went quiet (no article for the idle timeout and, measured now, no raw consumer lag),
        or when restored state waits for its first event. Marking idle and releasing happen
        in the agent, on the tick, inside the transaction of the dedup-input partition, so
        they commit atomically with the tick's offset (a plain send of the tick: it is input,
        not output)."""
        try:
            if not await tick_due():
                return
            await c.app.producer.send(settings.topic_dedup, None, tick_value, 0, None, None)
        except Exception as exc:  # not started yet, or the broker is away: try again later
            log.info("event-order tick not sent: %s", exc)

    async def tick_due() -> bool:
        if c.dedup_tp not in c.app.consumer.assignment():
            return False
        if stale[0] and order.has_state():
            return c.app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        if not len(order) or not order.timed_out(time.monotonic()):
            return False
        await update_consumer_lag(c)  # judge idleness on fresh lag, not a 10 s old one
        return bool(order.timed_out(time.monotonic()) - busy_partitions())

    @c.app.agent(c.dedup_input, name="newsflow.dedup")
    async def dedup(stream: StreamT[dict[str, Any]]) -> None:
        async for event in publish.atomic_events(c, stream):
            item: dict[str, Any] = event.value
            source = event.message.tp
            now = time.monotonic()
            if stale[0] or engine.indexed != len(t["articles"]):
                stale[0] = False
                began = time.perf_counter()
                indexed = engine.rebuild()
                held = order.restore(now)
                took = time.perf_counter() - began
                log.info(
                    "dedup indexes rebuilt: %d articles, %d buffered, in %.2f s",
                    indexed,
                    held,
                    took,
                )
            if item.get(TICK):
                idle = order.mark_idle(now, busy_partitions())
                if idle:
                    log.info("raw partitions idle: %s", sorted(idle))
            else:
                await take(item, source, now)
            for _, ready in order.release():
                await decide(ready, source, None)
            metrics.event_order_buffered.set(len(order))
            newest, last = order.newest(), order.last_released()
            if newest is not None and last is not None:
                metrics.watermark_lag_seconds.set(max(0.0, newest - last[0]))

    def busy_partitions() -> set[int]:
        return {p for (topic, p), n in c.lag.items() if topic == settings.topic_raw and n > 0}

    async def take(item: dict[str, Any], source: Any, now: float) -> None:
        """Buffer an article for event-time order, or decide it now when late (or when it
        carries no source partition: an item from before event-time order)."""
        article_id = item["article"]["id"]
        if article_id in decisions or article_id in order:
            metrics.skipped.inc()
            return
        partition = item.get("partition")
        if partition is None:
            await decide(item, source, None)
            return
        ts = float(item["features"].get("published_ts", 0.0))
        offered = order.offer(article_id, int(partition), ts, item, now)
        if offered.late:
            metrics.late.inc()
            await decide(item, source, offered.late_by_s)

    async def decide(item: dict[str, Any], source: Any, late_by_s: float | None) -> None:
        article: dict[str, Any] = item["article"]
        features: dict[str, Any] = item["features"]
        article_id = article["id"]
        if article_id in decisions:
            metrics.skipped.inc()
            return
        began = time.perf_counter()
        decision = engine.decide(features)
        metrics.stage_seconds.labels(stage="dedup").observe(time.perf_counter() - began)
        evidence = decision.evidence
        if late_by_s is not None:
            evidence = {**evidence, "late": True, "late_by_s": late_by_s}
        article.update(
            story_id=decision.story_id,
            duplicate_of=decision.duplicate_of,
            duplicate_kind=decision.duplicate_kind,
            similarity=round(float(decision.similarity), 4),
            evidence=evidence,
            processed_at=utc_now_iso(),
        )
        decisions[article_id] = {
            "story_id": decision.story_id,
            "t": features.get("published_ts", 0.0),
        }
        began = time.perf_counter()
        trace = item["traceparent"].encode() if item.get("traceparent") else None
        await publish.send(c, settings.topic_enriched, article_id.encode(), article, source, trace)
        story = {**decision.story, "schema_version": 1}
        await publish.send(
            c, settings.topic_stories, decision.story_id.encode(), story, source, trace
        )
        metrics.stage_seconds.labels(stage="publish").observe(time.perf_counter() - began)
        metrics.enriched.inc()
        if decision.duplicate_kind:
            metrics.duplicates.labels(kind=decision.duplicate_kind).inc()
        metrics.stories.labels(event="created" if story["version"] == 1 else "updated").inc()
        now = time.time()
        if item.get("produced_at"):
            metrics.end_to_end_seconds.labels(reference="produced").observe(
                max(0.0, now - float(item["produced_at"]))
            )
        if features.get("published_ts"):
            metrics.end_to_end_seconds.labels(reference="published").observe(
                max(0.0, now - float(features["published_ts"]))
            )
        since_expiry = int(decisions.get(EXPIRY_KEY, {}).get("n", 0)) + 1
        if since_expiry >= EXPIRE_EVERY:
            since_expiry = 0
            expire_decisions(decisions, engine, float(features.get("published_ts", 0.0)))
        decisions[EXPIRY_KEY] = {"n": since_expiry}
        metrics.dedup_index_size.labels(kind="articles").set(len(t["articles"]))
        metrics.dedup_index_size.labels(kind="stories").set(len(t["stories"]))


def expire_decisions(decisions: Any, engine: DedupEngine, now: float) -> int:
    """Evict by event time, so a replay of the same input evicts the same entries."""
    evicted = engine.expire(now)
    cutoff = now - engine.config.near_window_hours * 3600
    old = [
        k
        for k, v in decisions.items()
        if k != EXPIRY_KEY and not k.startswith(PENDING_PREFIX) and float(v.get("t", 0.0)) < cutoff
    ]
    for key in old:
        del decisions[key]
    return evicted + len(old)
