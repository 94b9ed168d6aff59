"""HTTP views on the worker's web port: liveness, readiness and metrics. Read-only."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faust import web
from faust.sensors.prometheus import setup_prometheus_sensors

from .app import Components
from .kafka_io import client_options

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
            and state["broker_reachable"]
        )
        c.metrics.ready.set(1 if is_ready else 0)
        state["status"] = "ready" if is_ready else "not ready"
        return self.json(state, status=200 if is_ready else 503)

    @app.timer(interval=c.settings.lag_interval_s)
    async def measure_lag() -> None:
        await update_consumer_lag(c)


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
    except Exception as exc:
        log.info("consumer lag not measured: %s", exc)
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()
