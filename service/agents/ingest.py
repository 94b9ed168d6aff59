"""The partitioned stage: validate, clean, enrich and sign each raw article.

Scales with workers (one task per raw partition). Bad input becomes a dead letter;
valid articles go, with their dedup features, to the single-partition decision stage.
"""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

from faust import StreamT

from ..app import Components
from ..deadletter import dead_letter
from ..enrich import load_pipeline
from ..errors import InvalidArticle
from ..pipeline import Prepared, Timings, prepare_many
from . import publish

log = logging.getLogger(__name__)

# Raw events enriched together: the one being handled and those already waiting behind it.
LOOKAHEAD = 16


def register_ingest_agent(c: Components) -> None:
    settings = c.settings
    metrics = c.metrics
    monthfirst = frozenset(settings.monthfirst_sources)

    async def send_dead_letter(
        key: bytes | None, value: bytes | None, tp: Any, offset: int, code: str, msg: str
    ) -> None:
        record = dead_letter(
            value=value,
            key=key,
            topic=tp.topic,
            partition=tp.partition,
            offset=offset,
            code=code,
            message=msg,
        )
        await publish.send(c, settings.topic_dlq, key, record, tp)
        metrics.dead_lettered.labels(reason=code).inc()
        log.warning(
            "dead-lettered %s[%d]@%d: %s",
            tp.topic,
            tp.partition,
            offset,
            code,
            extra={"reason": code, "article_id": record["article_id"]},
        )

    @c.app.agent(c.raw, name="newsflow.ingest")
    async def ingest(stream: StreamT[bytes]) -> None:
        enricher = load_pipeline(settings.spacy_model or None, lead_words=settings.ner_lead_words)
        ahead: dict[tuple[str, int, int], tuple[Prepared | Exception, Timings]] = {}

        def prepared(msg: Any) -> tuple[Prepared | Exception, Timings]:
            """This message's outcome; on a miss, the messages already queued behind it are
            enriched in the same pass (one `nlp.pipe` over up to LOOKAHEAD articles)."""
            done = ahead.pop((msg.topic, msg.partition, msg.offset), None)
            if done is not None:
                return done
            ahead.clear()
            batch = [msg, *upcoming(stream, LOOKAHEAD - 1)]
            timings = [Timings() for _ in batch]
            results = prepare_many(
                [m.value for m in batch],
                enricher,
                max_bytes=settings.max_message_bytes,
                max_body_chars=settings.max_body_chars,
                monthfirst_sources=monthfirst,
                timings=timings,
            )
            for m, result, t in zip(batch[1:], results[1:], timings[1:], strict=True):
                ahead[(m.topic, m.partition, m.offset)] = (result, t)
            return results[0], timings[0]

        # One event at a time under the commit guard, like the decision stage: no `take_events`
        # buffer between Faust's stream and the agent, and a decision can slip in between two
        # raw articles. The enrichment is still batched, by lookahead.
        async for event in publish.atomic_events(c, stream):
            msg = event.message
            metrics.consumed.inc()
            result, timings = prepared(msg)
            await handle(msg, result, timings)

    async def handle(msg: Any, result: Prepared | Exception, timings: Timings) -> None:
        if isinstance(result, InvalidArticle):
            await send_dead_letter(
                msg.key, msg.value, msg.tp, msg.offset, result.code, result.message
            )
            return
        if isinstance(result, Exception):  # a bug on one article must not stop the stream
            log.error(
                "processing failed at %s[%d]@%d",
                msg.topic,
                msg.partition,
                msg.offset,
                exc_info=result,
            )
            await send_dead_letter(
                msg.key,
                msg.value,
                msg.tp,
                msg.offset,
                "processing_error",
                f"{type(result).__name__}: {result}",
            )
            return
        article, features = result
        for stage, seconds in timings.stages.items():
            metrics.stage_seconds.labels(stage=stage).observe(seconds)
        await publish.send(
            c,
            settings.topic_dedup,
            article["id"].encode(),
            {
                "article": article,
                "features": features,
                "partition": msg.tp.partition,  # the decision stage orders by it (event time)
                "produced_at": msg.timestamp,
                "ingested_at": time.time(),
                "traceparent": traceparent(msg.headers),
            },
            msg.tp,
        )


def traceparent(headers: Any) -> str | None:
    """The W3C trace context header of the input, carried through to the outputs."""
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for name, value in items:
        if name.lower() == "traceparent" and value:
            return bytes(value).decode("ascii", "replace")[:128]
    return None


def upcoming(stream: Any, limit: int) -> list[Any]:
    """Messages already delivered to the stream's queue, not yet taken: read, never removed,
    so the stream still hands each one over (and acks it) in order. Empty when the queue is
    not the asyncio one Faust uses today (then every article is enriched on its own)."""
    queue = getattr(getattr(stream, "channel", None), "queue", None)
    items = getattr(queue, "_queue", None)
    if items is None:
        return []
    out = []
    for item in itertools.islice(items, limit):
        message = getattr(item, "message", None)
        if message is not None and isinstance(getattr(message, "value", None), bytes):
            out.append(message)
    return out
