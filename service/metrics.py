"""Domain metrics, built by one factory against a registry passed in (fresh one per test).

Names are a public contract (dashboards and alerts use them); the README lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

STAGES = ("validate", "clean", "entities", "dates", "features", "dedup", "publish")
STAGE_BUCKETS = (
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True)
class Metrics:
    consumed: Counter
    enriched: Counter
    skipped: Counter
    dead_lettered: Counter
    duplicates: Counter
    stories: Counter
    stage_seconds: Histogram
    end_to_end_seconds: Histogram
    dedup_index_size: Gauge
    consumer_lag: Gauge
    ready: Gauge
    late: Counter
    event_order_buffered: Gauge
    watermark_lag_seconds: Gauge


def create_metrics(registry: CollectorRegistry) -> Metrics:
    return Metrics(
        consumed=Counter(
            "newsflow_articles_consumed",
            "Raw article events read from the input topic.",
            registry=registry,
        ),
        enriched=Counter(
            "newsflow_articles_enriched",
            "Enriched articles published to the output topic.",
            registry=registry,
        ),
        skipped=Counter(
            "newsflow_articles_skipped",
            "Articles not emitted again because their id was already decided (idempotence).",
            registry=registry,
        ),
        dead_lettered=Counter(
            "newsflow_articles_dead_lettered",
            "Input events sent to the dead-letter topic, by reason code.",
            ["reason"],
            registry=registry,
        ),
        duplicates=Counter(
            "newsflow_duplicates",
            "Articles found to repeat an earlier one, by kind.",
            ["kind"],
            registry=registry,
        ),
        stories=Counter(
            "newsflow_stories",
            "Story changes published, by event (created, updated).",
            ["event"],
            registry=registry,
        ),
        stage_seconds=Histogram(
            "newsflow_stage_seconds",
            "Processing time per article and pipeline stage.",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        ),
        end_to_end_seconds=Histogram(
            "newsflow_end_to_end_latency_seconds",
            "Time from the raw event's Kafka timestamp (reference=produced) or the article's "
            "published_at (reference=published) to the enriched article's publication.",
            ["reference"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        dedup_index_size=Gauge(
            "newsflow_dedup_index_size",
            "Entries held in the dedup state, by kind.",
            ["kind"],
            registry=registry,
        ),
        consumer_lag=Gauge(
            "newsflow_consumer_lag",
            "Messages not yet consumed: end offset minus committed offset, per topic-partition.",
            ["topic", "partition"],
            registry=registry,
        ),
        ready=Gauge(
            "newsflow_worker_ready",
            "1 when the worker is assigned, recovered and connected.",
            registry=registry,
        ),
        late=Counter(
            "newsflow_late_articles",
            "Articles older than what the decision stage had already released (event time): "
            "decided at once, out of order, marked late in their evidence.",
            registry=registry,
        ),
        event_order_buffered=Gauge(
            "newsflow_event_order_buffered",
            "Articles waiting in the decision stage's event-time buffer.",
            registry=registry,
        ),
        watermark_lag_seconds=Gauge(
            "newsflow_watermark_lag_seconds",
            "Newest publication time seen minus the last one decided (event-time seconds).",
            registry=registry,
        ),
    )
