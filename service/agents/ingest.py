"""The partitioned stage: validate, clean, enrich and sign each raw article.

Scales with workers (one task per raw partition). Bad input becomes a dead letter;
valid articles go, with their dedup features, to the single-partition decision stage.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from faust import StreamT

from ..app import Components
from ..deadletter import dead_letter
from ..enrich import load_pipeline
from ..errors import InvalidArticle
from ..pipeline import Timings, prepare
from . import publish

log = logging.getLogger(__name__)


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
        enricher = load_pipeline(settings.spacy_model or None)
        async for event in stream.events():
            msg = event.message
            metrics.consumed.inc()
            timings = Timings()
            try:
                article, features = prepare(
                    msg.value,
                    enricher,
                    max_bytes=settings.max_message_bytes,
                    max_body_chars=settings.max_body_chars,
                    monthfirst_sources=monthfirst,
                    timings=timings,
                )
            except InvalidArticle as exc:
                await send_dead_letter(
                    msg.key, msg.value, msg.tp, msg.offset, exc.code, exc.message
                )
                continue
            except Exception as exc:  # a bug on one article must not stop the stream
                log.exception(
                    "processing failed at %s[%d]@%d", msg.topic, msg.partition, msg.offset
                )
                await send_dead_letter(
                    msg.key,
                    msg.value,
                    msg.tp,
                    msg.offset,
                    "processing_error",
                    f"{type(exc).__name__}: {exc}",
                )
                continue
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
