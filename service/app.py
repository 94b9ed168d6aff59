"""The Faust app: codec, topics, tables and agents wired together. Wiring only."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import TP
from prometheus_client import CollectorRegistry

from . import codec
from .kafka_io import TABLES
from .lifecycle import ExitingSupervisor
from .metrics import Metrics, create_metrics
from .settings import Settings


@dataclass
class Components:
    """Everything the agents and web views share."""

    settings: Settings
    app: faust.App
    metrics: Metrics
    registry: CollectorRegistry
    raw: faust.TopicT
    dedup_input: faust.TopicT
    enriched: faust.TopicT
    stories: faust.TopicT
    dlq: faust.TopicT
    tables: dict[str, Any]
    # the group's last measured lag per input (topic, partition), from the lag timer (web.py)
    lag: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def dedup_tp(self) -> TP:
        """The one partition of the decision stage's input."""
        return TP(self.settings.topic_dedup, 0)


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """SASL (PLAIN, SCRAM-SHA-256/512) and TLS from settings; None for plaintext."""
    protocol = settings.security_protocol.upper()
    context: ssl.SSLContext | None = None
    if protocol in {"SSL", "SASL_SSL"}:
        context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
        if settings.ssl_certfile:
            context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile or None)
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.reveal(),
            mechanism=settings.sasl_mechanism or "PLAIN",
            ssl_context=context,
        )
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return None


def create_app(settings: Settings, registry: CollectorRegistry | None = None) -> Components:
    codec.register()
    registry = registry or CollectorRegistry()
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{h.strip()}" for h in settings.bootstrap_servers.split(",")],
        broker_credentials=broker_credentials(settings),
        store="memory://",
        processing_guarantee=settings.processing_guarantee,
        topic_replication_factor=settings.replication_factor,
        topic_partitions=settings.raw_partitions,
        topic_allow_declare=True,
        key_serializer="raw",
        value_serializer="orjson",
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host="127.0.0.1" if settings.web_host == "0.0.0.0" else settings.web_host,
        datadir=settings.data_dir,
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=max(settings.max_message_bytes * 4, 1_048_576),
        consumer_max_fetch_size=max(settings.max_message_bytes * 2, 4_194_304),
        stream_wait_empty=False,
        broker_commit_interval=settings.commit_interval_s,
        logging_config=None,
        # Faust's raw table dumps (/table/) and key router (/router/) stay off: the port serves
        # only metrics, health and the story views (docs/SECURITY.md).
        web_tables_enabled=False,
        web_router_enabled=False,
        # A crashed agent makes the worker exit instead of restarting in place (lifecycle.py).
        agent_supervisor=ExitingSupervisor,
    )
    raw = app.topic(
        settings.topic_raw,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.raw_partitions,
    )
    dedup_input = app.topic(
        settings.topic_dedup,
        key_serializer="raw",
        value_serializer="orjson",
        partitions=1,
        internal=True,
    )
    enriched = app.topic(
        settings.topic_enriched,
        key_serializer="raw",
        value_serializer="orjson",
        partitions=settings.enriched_partitions,
    )
    stories = app.topic(
        settings.topic_stories,
        key_serializer="raw",
        value_serializer="orjson",
        partitions=settings.stories_partitions,
        compacting=True,
    )
    dlq = app.topic(
        settings.topic_dlq,
        key_serializer="raw",
        value_serializer="orjson",
        partitions=settings.dlq_partitions,
    )
    tables = {name: app.Table(f"dedup-{name}", key_type=str, partitions=1) for name in TABLES}
    return Components(
        settings=settings,
        app=app,
        metrics=create_metrics(registry),
        registry=registry,
        raw=raw,
        dedup_input=dedup_input,
        enriched=enriched,
        stories=stories,
        dlq=dlq,
        tables=tables,
    )
