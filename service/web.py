"""HTTP views on the worker's web port: liveness, readiness, metrics and story lookup. Read-only.

Story lookup is served from the decision stage's Faust tables (``stories``: story id -> story
state, ``decisions``: article id -> story id). Those tables have one partition, so in a
deployment with several workers only the worker that is *active* for partition 0 of the
tables' changelogs (the one running the decision stage) holds them; any other worker answers
503 ``not_owner`` with the owner's URL when Faust knows it. Faust's ``@app.table_route`` could
forward such requests to the owner, but it relies on each worker's advertised ``web_host``
(``canonical_url``) being reachable from the others, which our default (``127.0.0.1`` when
bound to ``0.0.0.0``) is not; route lookups to the decision worker instead, or put every
worker behind a load balancer that retries a 503.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faust import web
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.types import TP

from .agents.publish import commits_stopped
from .app import Components
from .dedup import story as story_state
from .kafka_io import client_options
from .lifecycle import agents_down

log = logging.getLogger(__name__)

BROKER_CHECK_TTL_S = 5.0


def register_views(c: Components) -> None:
    app = c.app
    setup_prometheus_sensors(app, pattern="/metrics", registry=c.registry, name_prefix="faust")
    started = time.time()
    broker_state: dict[str, Any] = {"ok": False, "checked": 0.0, "error": "not checked yet"}

    async def broker_reachable() -> bool:
        if time.monotonic() - broker_state["checked"] < BROKER_CHECK_TTL_S:
            return bool(broker_state["ok"])
        broker_state["checked"] = time.monotonic()
        admin = AIOKafkaAdminClient(**client_options(c.settings), request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), 3)
            await asyncio.wait_for(admin.describe_cluster(), 3)
            broker_state.update(ok=True, error=None)
        except Exception as exc:
            broker_state.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        finally:
            await admin.close()
        return bool(broker_state["ok"])

    def readiness() -> dict[str, Any]:
        recovery = app.tables.recovery  # type: ignore[attr-defined]
        assigned = sorted(f"{tp.topic}[{tp.partition}]" for tp in app.consumer.assignment())
        return {
            "assigned": assigned,
            "rebalancing": bool(app.rebalancing),
            "recovering": bool(recovery.in_recovery),
            "recovered": recovery.completed.is_set(),
            "agents_down": agents_down(app.agents.values()),
            "stopping": bool(app.should_stop),
            "commits_stopped": commits_stopped(app),
        }

    @app.page("/health")
    async def health(self: web.View, request: web.Request) -> web.Response:
        return self.json({"status": "ok", "uptime_s": round(time.time() - started, 1)})

    @app.page("/ready")
    async def ready(self: web.View, request: web.Request) -> web.Response:
        try:
            state = readiness()
        except Exception as exc:  # consumer not started yet
            state = {"error": f"{type(exc).__name__}: {exc}"}
        state["broker_reachable"] = await broker_reachable()
        is_ready = bool(
            state.get("assigned")
            and state.get("recovered")
            and not state.get("rebalancing")
            and not state.get("recovering")
            and state.get("agents_down") == []
            and not state.get("stopping")
            and not state.get("commits_stopped")
            and state["broker_reachable"]
        )
        c.metrics.ready.set(1 if is_ready else 0)
        state["status"] = "ready" if is_ready else "not ready"
        return self.json(state, status=200 if is_ready else 503)

    register_story_views(c)

    @app.timer(interval=c.settings.lag_interval_s)
    async def measure_lag() -> None:
        await update_consumer_lag(c)

    lag_tasks: set[asyncio.Task[None]] = set()

    @app.on_partitions_assigned.connect
    async def lag_at_assignment(app: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        """The first lag sample as soon as partitions are assigned, not a timer tick later;
        measured in the background so that the rebalance does not wait for it."""
        task = asyncio.ensure_future(update_consumer_lag(c))
        lag_tasks.add(task)
        task.add_done_callback(lag_tasks.discard)


def public_story(state: dict[str, Any]) -> dict[str, Any]:
    """A story state from the table as published on the stories topic (schemas/story.v1.json).

    The same conversion the dedup engine uses for ``Decision.story``, so the HTTP view and the
    topic agree whatever the table's internal shape.
    """
    return {**story_state.payload(state), "schema_version": 1}


def register_story_views(c: Components) -> None:
    """GET /stories/{story_id} and GET /articles/{article_id}/story (trailing slash optional)."""
    app = c.app
    stories = c.tables["stories"]
    decisions = c.tables["decisions"]

    def unavailable(view: web.View, table: Any, key: str) -> web.Response | None:
        """503 while the table is recovering or lives on another worker; None when serving."""
        recovery = app.tables.recovery  # type: ignore[attr-defined]
        reason = None
        changelog = TP(table.changelog_topic.get_topic_name(), 0)
        if recovery.in_recovery or not recovery.completed.is_set():
            reason = "recovering"
        elif not app.assignor.is_active(changelog):
            reason = "not_owner"
        if reason is None:
            return None
        body: dict[str, Any] = {"error": reason}
        try:
            body["owner"] = str(app.router.key_store(table.name, key))
        except Exception:  # no assignment yet
            body["owner"] = None
        return view.json(body, status=503)

    def page(path: str, name: str) -> Any:
        def register(fun: Any) -> Any:
            app.page(path, name=name)(fun)
            app.page(path + "/", name=name + "-slash")(fun)
            return fun

        return register

    @page("/stories/{story_id}", "story")
    async def story(self: web.View, request: web.Request, story_id: str) -> web.Response:
        if (busy := unavailable(self, stories, story_id)) is not None:
            return busy
        state = stories.get(story_id)
        if state is None:
            return self.json({"error": "not_found", "story_id": story_id}, status=404)
        return self.json(public_story(state))

    @page("/articles/{article_id:.+}/story", "article-story")
    async def article_story(self: web.View, request: web.Request, article_id: str) -> web.Response:
        if (busy := unavailable(self, decisions, article_id)) is not None:
            return busy
        decision = decisions.get(article_id)
        if decision is None or "story_id" not in decision:  # also the reserved keys
            return self.json({"error": "not_found", "article_id": article_id}, status=404)
        story_id = decision["story_id"]
        state = stories.get(story_id)
        return self.json(
            {
                "article_id": article_id,
                "story_id": story_id,
                "story": public_story(state) if state is not None else None,
            }
        )


async def update_consumer_lag(c: Components) -> None:
    """Lag per partition of the input topics: end offset minus the group's committed offset."""
    s = c.settings
    topics = [s.topic_raw, s.topic_dedup]
    admin = AIOKafkaAdminClient(**client_options(s), request_timeout_ms=5000)
    consumer = AIOKafkaConsumer(**client_options(s), enable_auto_commit=False)
    try:
        await admin.start()
        await consumer.start()
        committed = await admin.list_consumer_group_offsets(s.app_id)
        from aiokafka import TopicPartition

        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in (consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
        ]
        ends = await consumer.end_offsets(tps) if tps else {}
        for tp, end in ends.items():
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            c.metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(
                max(0, end - done)
            )
            c.lag[(tp.topic, tp.partition)] = max(0, end - done)
    except Exception as exc:
        log.info("consumer lag not measured: %s", exc)
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()
