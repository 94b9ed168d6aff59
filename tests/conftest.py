"""Shared fixtures: the real local Kafka broker (once per session) and leak guards."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.broker import LocalBroker, free_port

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "unn-secret-talks-2026-03-05.txt"
# The project's own scraped page (tests/fixtures/README.md): the seed's kinds of noise, so that
# the tests of those behaviours run on a clone without ../shared.
SCRAPED = REPO / "tests" / "fixtures" / "scraped_article.txt"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


@pytest.fixture(autouse=True)
def _no_env_or_thread_leaks() -> Iterator[None]:
    """Fail a test that changes environment variables or leaves non-daemon threads behind."""
    env_before = _env()
    threads_before = set(threading.enumerate())
    yield
    assert _env() == env_before, "test changed os.environ"
    leaked = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not t.daemon
    ]
    assert not leaked, f"test left threads running: {leaked}"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real Apache Kafka broker (KRaft, one node) on a free loopback port."""
    broker = LocalBroker(data_dir=tmp_path_factory.mktemp("kafka"), port=free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka(kafka_broker: LocalBroker) -> str:
    """The bootstrap address of the session's broker."""
    return kafka_broker.bootstrap


def unique_env(bootstrap: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a worker/CLI with its own topics, app id and ports."""
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "NEWSFLOW_APP_ID": f"newsflow-test-{tag}",
        "NEWSFLOW_TOPIC_RAW": f"t-{tag}.articles.raw",
        "NEWSFLOW_TOPIC_ENRICHED": f"t-{tag}.articles.enriched",
        "NEWSFLOW_TOPIC_STORIES": f"t-{tag}.stories",
        "NEWSFLOW_TOPIC_DLQ": f"t-{tag}.articles.dlq",
        "NEWSFLOW_TOPIC_DEDUP": f"t-{tag}.dedup-input",
        "NEWSFLOW_WEB_PORT": str(free_port()),
        "NEWSFLOW_DATA_DIR": str(data_dir),
        "NEWSFLOW_LAG_INTERVAL_S": "2",
        "NEWSFLOW_KAFKA_DATA_DIR": str(data_dir / "kafka"),
    }
    env.update(extra)
    return env


def scraped_article() -> dict[str, str]:
    """The project's scraped fixture page as a raw article event (title is its second line)."""
    lines = SCRAPED.read_text(encoding="utf-8").split("\n")
    return {
        "id": "nfa-2026-04-14-varnholm-strike",
        "source": "NFA",
        "url": "https://nfa.example/news/dockworkers-in-varnholm-extend-strike",
        "title": lines[1].strip(),
        "body": "\n".join([lines[0], *lines[2:]]),
        "published_at": "2026-04-14T11:30:00+02:00",
        "language": "en",
    }


def seed_article() -> dict[str, str]:
    """The shared seed as a raw article event (title is its second line); skips the calling
    test when ../shared is absent (a user's clone)."""
    if not SEED.exists():
        pytest.skip(f"shared seed article not found ({SEED}); covered by tests/fixtures")
    lines = SEED.read_text(encoding="utf-8").split("\n")
    return {
        "id": "unn-2026-03-05-secret-talks",
        "source": "UNN",
        "url": "https://unn.example/news/us-and-iran-may-have-held-secret-talks",
        "title": lines[1].strip(),
        "body": "\n".join([lines[0], *lines[2:]]),
        "published_at": "2026-03-05T10:00:00+02:00",
        "language": "en",
    }
