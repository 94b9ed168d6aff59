"""The partitioned stage: validate, clean, enrich and sign each raw article.

Scales with workers (one task per raw partition). Bad input becomes a dead letter;
valid articles go, with their dedup features, to the single-partition decision stage.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from faust import StreamT
from faust.streams import Stream

from ..app import Components
from ..deadletter import dead_letter
from ..enrich import load_pipeline
from ..errors import InvalidArticle
from ..pipeline import Prepared, Timings, prepare_many
from . import publish

log = logging.getLogger(__name__)

# Up to this many raw events per batch, or what arrived within this many seconds.
BATCH_MAX = 16
BATCH_WITHIN_S = 0.05


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
        # Batches amortise the NER (one nlp.pipe pass); each message keeps its own outcome,
        # dead letter and source partition (transaction). Acks follow the whole batch.
        batches = cast(Stream, stream).take_events(BATCH_MAX, within=BATCH_WITHIN_S)
        async for events in publish.atomic_batches(c, stream, batches):
            messages = [event.message for event in events]
            metrics.consumed.inc(len(messages))
            timings = [Timings() for _ in messages]
            results = prepare_many(
                [msg.value for msg in messages],
                enricher,
                max_bytes=settings.max_message_bytes,
                max_body_chars=settings.max_body_chars,
                monthfirst_sources=monthfirst,
                timings=timings,
            )
            for msg, result, t in zip(messages, results, timings, strict=True):
                await handle(msg, result, t)

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
