"""The one settings object, read from environment variables with documented defaults.

Every variable is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class Secret(str):
    """A string that never shows its value in repr or logs."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"

    def reveal(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return "**********" if self else ""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name) or ""
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name) or ""
    return float(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name) or ""
    if not raw:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _lead_words(raw: str) -> int | None:
    """`all` runs NER over the whole body; a number, over the title and that many words."""
    return None if raw.strip().lower() == "all" else int(raw)


@dataclass(frozen=True)
class Settings:
    """Configuration of a newsflow process (worker, CLI, tests)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    app_id: str = "newsflow"
    topic_raw: str = "articles.raw"
    topic_enriched: str = "articles.enriched"
    topic_stories: str = "stories"
    topic_dlq: str = "articles.dlq"
    topic_dedup: str = "newsflow.dedup-input"
    raw_partitions: int = 4
    enriched_partitions: int = 4
    stories_partitions: int = 1
    dlq_partitions: int = 1
    replication_factor: int = 1
    web_port: int = 6066
    web_host: str = "0.0.0.0"
    data_dir: str = ".newsflow"
    processing_guarantee: str = "exactly_once"
    max_message_bytes: int = 1_000_000
    max_body_chars: int = 200_000
    log_level: str = "info"
    spacy_model: str = ""
    ner_lead_words: int | None = None  # None: NER over the whole body
    monthfirst_sources: tuple[str, ...] = ()
    schema_dir: Path = field(default=REPO_ROOT / "schemas")
    near_window_hours: float = 168.0
    story_window_hours: float = 72.0
    lag_interval_s: float = 10.0
    commit_interval_s: float = 0.2
    shutdown_timeout_s: float = 20.0
    broker_lost_exit_s: float = 120.0
    allowed_lateness_s: float = 5.0
    partition_idle_s: float = 10.0
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: Secret = field(default=Secret(""))
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        d = cls()
        sources = _env("NEWSFLOW_MONTHFIRST_SOURCES", "")
        return cls(
            bootstrap_servers=_env("KAFKA_BOOTSTRAP_SERVERS", d.bootstrap_servers),
            app_id=_env("NEWSFLOW_APP_ID", d.app_id),
            topic_raw=_env("NEWSFLOW_TOPIC_RAW", d.topic_raw),
            topic_enriched=_env("NEWSFLOW_TOPIC_ENRICHED", d.topic_enriched),
            topic_stories=_env("NEWSFLOW_TOPIC_STORIES", d.topic_stories),
            topic_dlq=_env("NEWSFLOW_TOPIC_DLQ", d.topic_dlq),
            topic_dedup=_env("NEWSFLOW_TOPIC_DEDUP", d.topic_dedup),
            raw_partitions=_int("NEWSFLOW_RAW_PARTITIONS", d.raw_partitions),
            enriched_partitions=_int("NEWSFLOW_ENRICHED_PARTITIONS", d.enriched_partitions),
            stories_partitions=_int("NEWSFLOW_STORIES_PARTITIONS", d.stories_partitions),
            dlq_partitions=_int("NEWSFLOW_DLQ_PARTITIONS", d.dlq_partitions),
            replication_factor=_int("NEWSFLOW_REPLICATION_FACTOR", d.replication_factor),
            web_port=_int("NEWSFLOW_WEB_PORT", d.web_port),
            web_host=_env("NEWSFLOW_WEB_HOST", d.web_host),
            data_dir=_env("NEWSFLOW_DATA_DIR", d.data_dir),
            processing_guarantee=_env("NEWSFLOW_PROCESSING_GUARANTEE", d.processing_guarantee),
            max_message_bytes=_int("NEWSFLOW_MAX_MESSAGE_BYTES", d.max_message_bytes),
            max_body_chars=_int("NEWSFLOW_MAX_BODY_CHARS", d.max_body_chars),
            log_level=_env("NEWSFLOW_LOG_LEVEL", d.log_level),
            spacy_model=_env("NEWSFLOW_SPACY_MODEL", d.spacy_model),
            ner_lead_words=_lead_words(_env("NEWSFLOW_NER_LEAD_WORDS", "all")),
            monthfirst_sources=tuple(s.strip() for s in sources.split(",") if s.strip()),
            schema_dir=Path(_env("NEWSFLOW_SCHEMA_DIR", str(d.schema_dir))),
            near_window_hours=_float("NEWSFLOW_NEAR_WINDOW_HOURS", d.near_window_hours),
            story_window_hours=_float("NEWSFLOW_STORY_WINDOW_HOURS", d.story_window_hours),
            lag_interval_s=_float("NEWSFLOW_LAG_INTERVAL_S", d.lag_interval_s),
            commit_interval_s=_float("NEWSFLOW_COMMIT_INTERVAL_S", d.commit_interval_s),
            shutdown_timeout_s=_float("NEWSFLOW_SHUTDOWN_TIMEOUT_S", d.shutdown_timeout_s),
            broker_lost_exit_s=_float("NEWSFLOW_BROKER_LOST_EXIT_S", d.broker_lost_exit_s),
            allowed_lateness_s=_float("NEWSFLOW_ALLOWED_LATENESS_S", d.allowed_lateness_s),
            partition_idle_s=_float("NEWSFLOW_PARTITION_IDLE_S", d.partition_idle_s),
            security_protocol=_env("KAFKA_SECURITY_PROTOCOL", d.security_protocol),
            sasl_mechanism=_env("KAFKA_SASL_MECHANISM", d.sasl_mechanism),
            sasl_username=_env("KAFKA_SASL_USERNAME", d.sasl_username),
            sasl_password=Secret(_env("KAFKA_SASL_PASSWORD", "")),
            ssl_cafile=_env("KAFKA_SSL_CAFILE", d.ssl_cafile),
            ssl_certfile=_env("KAFKA_SSL_CERTFILE", d.ssl_certfile),
            ssl_keyfile=_env("KAFKA_SSL_KEYFILE", d.ssl_keyfile),
        )
