"""Sending from inside an agent so that outputs commit atomically with the input offset.

faust-streaming picks a send's Kafka transaction by the *destination* topic's partition
(`TransactionManager.send`), which only works when output topics are co-partitioned with,
and consumed in the same group as, the input. Ours are not (4 raw partitions feed one
decision partition; the output topics are not consumed at all), so under
`processing_guarantee="exactly_once"` Faust's own `topic.send` would put our outputs in a
transaction that never commits, or fail. Here the transaction is chosen by the *source*
partition, exactly as Faust's commit does for the offsets: outputs, table changelogs and
offsets of one source partition commit or abort together (Kafka's consume-transform-produce).
"""

from __future__ import annotations

from typing import Any

from faust.types import TP

from .. import __version__, jsonio
from ..app import Components

CONTENT_TYPE = b"application/json"


def output_headers(traceparent: bytes | None = None) -> list[tuple[str, bytes]]:
    headers = [
        ("content-type", CONTENT_TYPE),
        ("schema-version", b"1"),
        ("newsflow-version", __version__.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent))
    return headers


async def send(
    c: Components,
    topic: str,
    key: bytes | None,
    value: Any,
    source: TP,
    traceparent: bytes | None = None,
) -> None:
    """Send a JSON value in the transaction of `source` (or plainly without exactly-once)."""
    app = c.app
    headers = output_headers(traceparent)
    data = jsonio.dumps(value)
    if c.settings.processing_guarantee == "exactly_once":
        group = app.assignor.group_for_topic(source.topic)
        transactional_id = f"{app.conf.id}-{group}-{source.partition}"
        await app.producer.send(
            topic, key, data, None, None, headers, transactional_id=transactional_id
        )
    else:
        await app.producer.send(topic, key, data, None, None, headers)
