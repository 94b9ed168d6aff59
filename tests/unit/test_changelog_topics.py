"""The changelog topics `topics create` makes are the ones Faust's tables use."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from service.app import create_app
from service.kafka_io import TABLES, changelog_topic, topic_specs
from service.settings import Settings


def test_created_changelogs_are_the_tables_changelogs() -> None:
    settings = Settings(app_id="nf-test")
    c = create_app(settings, CollectorRegistry())
    specs = {spec.name: spec for spec in topic_specs(settings)}
    for name in TABLES:
        topic = c.tables[name].changelog_topic.get_topic_name()
        assert topic == changelog_topic(settings, name)
        assert specs[topic].num_partitions == 1
        assert specs[topic].topic_configs["cleanup.policy"] == "compact"
