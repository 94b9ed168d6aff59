"""Plain aiokafka helpers for the CLI and tests: topic creation, producing, consuming."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from .settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection options (bootstrap, TLS, SASL) shared by every aiokafka client."""
    from .app import broker_credentials

    opts: dict[str, Any] = {"bootstrap_servers": settings.bootstrap_servers}
    creds = broker_credentials(settings)
    if creds is not None:
        opts["security_protocol"] = settings.security_protocol.upper()
        context = getattr(creds, "ssl_context", None) or getattr(creds, "context", None)
        if context is not None:
            opts["ssl_context"] = context
        if settings.security_protocol.upper().startswith("SASL"):
            opts["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
            opts["sasl_plain_username"] = settings.sasl_username
            opts["sasl_plain_password"] = settings.sasl_password.reveal()
    return opts


def topic_specs(settings: Settings) -> list[NewTopic]:
    rf = settings.replication_factor
    return [
        NewTopic(settings.topic_raw, settings.raw_partitions, rf),
        NewTopic(settings.topic_enriched, settings.enriched_partitions, rf),
        NewTopic(
            settings.topic_stories,
            settings.stories_partitions,
            rf,
            topic_configs={
                "cleanup.policy": "compact",
                "min.cleanable.dirty.ratio": "0.1",
                "segment.ms": "600000",
            },
        ),
        NewTopic(
            settings.topic_dlq,
            settings.dlq_partitions,
            rf,
            topic_configs={"retention.ms": str(30 * 24 * 3600 * 1000)},
        ),
        NewTopic(settings.topic_dedup, 1, rf),
        # The decision stage's table changelogs, named as Faust names them. Created here so
        # that several workers starting at once never see a first assignment without them
        # (Faust then fails the dedup agent with PartitionsMismatch until it declares them).
        *(
            NewTopic(
                changelog_topic(settings, table), 1, rf, topic_configs={"cleanup.policy": "compact"}
            )
            for table in TABLES
        ),
    ]


TABLES = ("articles", "stories", "decisions")


def changelog_topic(settings: Settings, table: str) -> str:
    """Faust's changelog topic of a decision-stage table: `<app id>-dedup-<table>-changelog`."""
    return f"{settings.app_id}-dedup-{table}-changelog"


async def create_topics(settings: Settings) -> list[str]:
    """Create every topic newsflow uses; existing ones are left alone. Returns created names."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    created = []
    try:
        existing = set(await admin.list_topics())
        for spec in topic_specs(settings):
            if spec.name in existing:
                continue
            try:
                await admin.create_topics([spec])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
    return created


async def produce_lines(
    settings: Settings,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes]],
    *,
    rate: float = 0.0,
    progress: Any = None,
) -> int:
    """Produce (key, value) pairs, optionally at `rate` per second. Returns the count sent."""
    producer = AIOKafkaProducer(
        **client_options(settings),
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=max(settings.max_message_bytes * 4, 1_048_576),
    )
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    sent = 0
    began = time.monotonic()
    try:
        pending = []
        for key, value in records:
            if rate > 0:
                due = began + sent / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(await producer.send(topic, value=value, key=key))
            sent += 1
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
            if progress is not None:
                progress(sent)
        await asyncio.gather(*pending)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def consume(
    settings: Settings,
    topic: str,
    *,
    from_beginning: bool = True,
    idle_timeout: float | None = None,
    max_messages: int | None = None,
    group_id: str | None = None,
) -> AsyncIterator[Any]:
    """Yield committed records of a topic (read_committed) until idle or max reached."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(settings),
        group_id=group_id,
        auto_offset_reset="earliest" if from_beginning else "latest",
        isolation_level="read_committed",
        enable_auto_commit=group_id is not None,
    )
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()
        raise
    count = 0
    try:
        while max_messages is None or count < max_messages:
            timeout_ms = int((idle_timeout if idle_timeout is not None else 1.0) * 1000)
            batch = await consumer.getmany(timeout_ms=timeout_ms, max_records=500)
            if not batch:
                if idle_timeout is not None:
                    return
                continue
            for records in batch.values():
                for record in records:
                    yield record
                    count += 1
                    if max_messages is not None and count >= max_messages:
                        return
    finally:
        await consumer.stop()
