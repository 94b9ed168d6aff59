"""Cost of the metrics per article: the domain metrics the agents update and the updates
Faust's Prometheus monitor makes per message (same prometheus-client calls, fresh registry).

Prints microseconds per article for each, and, with --article-ms (the measured processing
time of one article, e.g. sum/count of newsflow_stage_seconds over all stages), the share of
throughput the metrics cost.

    python bench/bench_metrics.py [--articles 200000] [--article-ms 12]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from service.metrics import STAGES, create_metrics


def domain_cost(n: int) -> float:
    """Seconds per article for the calls in service/agents (ingest + dedup/publish)."""
    m = create_metrics(CollectorRegistry())
    began = time.perf_counter()
    for i in range(n):
        m.consumed.inc()
        for stage in STAGES:
            m.stage_seconds.labels(stage=stage).observe(0.001)
        m.enriched.inc()
        if i % 10 == 0:
            m.duplicates.labels(kind="near").inc()
        m.stories.labels(event="created" if i % 3 else "updated").inc()
        m.end_to_end_seconds.labels(reference="produced").observe(0.2)
        m.end_to_end_seconds.labels(reference="published").observe(30.0)
        m.dedup_index_size.labels(kind="articles").set(i)
        m.dedup_index_size.labels(kind="stories").set(i)
    return (time.perf_counter() - began) / n


def faust_cost(n: int) -> float:
    """Seconds per article for what PrometheusMonitor records per message in and out
    (two agents: ingest reads raw and sends to the dedup topic; dedup reads it and sends
    enriched + stories)."""
    f = FaustMetrics.create(CollectorRegistry(), "faust")
    began = time.perf_counter()
    for i in range(n):
        for topic, stream in (("raw", "ingest"), ("dedup", "dedup")):
            f.messages_received.inc()
            f.active_messages.inc()
            f.messages_received_per_topics.labels(topic=topic).inc()
            f.messages_received_per_topics_partition.labels(topic=topic, partition="0").set(i)
            f.total_events.inc()
            f.total_active_events.inc()
            f.total_events_per_stream.labels(stream=stream).inc()
            f.total_active_events.dec()
            f.events_runtime_latency.observe(1.0)
            f.active_messages.dec()
        for topic in ("dedup", "enriched", "stories"):
            f.topic_messages_sent.labels(topic=topic).inc()
            f.total_sent_messages.inc()
            f.producer_send_latency.observe(2.0)
        f.table_operations.labels(table="articles", operation="set").inc()
        f.table_operations.labels(table="stories", operation="set").inc()
    return (time.perf_counter() - began) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--article-ms", type=float, default=None)
    args = parser.parse_args()
    domain, faust = domain_cost(args.articles), faust_cost(args.articles)
    print(f"domain metrics: {domain * 1e6:.1f} us/article")
    print(f"faust monitor:  {faust * 1e6:.1f} us/article")
    if args.article_ms:
        base = args.article_ms / 1000
        for name, cost in (("domain", domain), ("faust", faust), ("both", domain + faust)):
            print(
                f"{name}: {cost / (base + cost):.2%} of throughput at {args.article_ms} ms/article"
            )


if __name__ == "__main__":
    main()
