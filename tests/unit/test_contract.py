"""The published contract: AsyncAPI document, JSON Schemas and what the service produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from service.agents.publish import output_headers
from service.kafka_io import topic_specs
from service.schemas import SCHEMA_FILES, load_schema, schema_path, validator
from service.settings import Settings
from tests.conftest import REPO

SCHEMAS = REPO / "schemas"
ASYNCAPI = SCHEMAS / "asyncapi.yaml"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    return data


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_asyncapi_references_exactly_the_schema_files_the_service_uses(
    doc: dict[str, Any],
) -> None:
    files = {r.split("#")[0] for r in refs(doc) if not r.startswith("#")}
    assert {Path(f).name for f in files} == set(SCHEMA_FILES.values())
    for f in files:
        assert (ASYNCAPI.parent / f).resolve().parent == SCHEMAS, f
        assert (ASYNCAPI.parent / f).is_file(), f
    for name in SCHEMA_FILES:
        assert schema_path(name).resolve() == (SCHEMAS / SCHEMA_FILES[name]).resolve()


def test_every_local_reference_resolves(doc: dict[str, Any]) -> None:
    for ref in refs(doc):
        if ref.startswith("#"):
            assert resolve(doc, ref) is not None, ref


def test_channels_match_the_topics_the_service_creates(doc: dict[str, Any]) -> None:
    s = Settings()
    specs = {spec.name: spec for spec in topic_specs(s)}
    public = {s.topic_raw, s.topic_enriched, s.topic_stories, s.topic_dlq}
    channels = {c["address"]: c for c in doc["channels"].values()}
    assert set(channels) == public
    for address, channel in channels.items():
        kafka = channel["bindings"]["kafka"]
        spec = specs[address]
        assert kafka["topic"] == address
        assert kafka["partitions"] == spec.num_partitions
        assert kafka["replicas"] == spec.replication_factor
        policy = (spec.topic_configs or {}).get("cleanup.policy", "delete")
        assert kafka["topicConfiguration"]["cleanup.policy"] == [policy]
    assert channels[s.topic_stories]["bindings"]["kafka"]["topicConfiguration"][
        "cleanup.policy"
    ] == ["compact"]


def test_operations_newsflow_receives_raw_and_sends_the_rest(doc: dict[str, Any]) -> None:
    s = Settings()
    actions = {
        resolve(doc, op["channel"]["$ref"])["address"]: op["action"]
        for op in doc["operations"].values()
    }
    assert actions == {
        s.topic_raw: "receive",
        s.topic_enriched: "send",
        s.topic_stories: "send",
        s.topic_dlq: "send",
    }


def test_produced_headers_match_the_documented_headers(doc: dict[str, Any]) -> None:
    schema = doc["components"]["schemas"]["OutputHeaders"]
    trace = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    for headers in (output_headers(), output_headers(trace)):
        decoded = {k: v.decode() for k, v in headers}
        jsonschema.validate(decoded, schema)
        assert set(schema["required"]) <= set(decoded)
        assert set(decoded) <= set(schema["properties"])
        for name in SCHEMA_FILES:
            assert decoded["schema-version"] == str(
                load_schema(name)["properties"]["schema_version"]["const"]
            )


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_schema_compiles_and_its_examples_validate(name: str) -> None:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + SCHEMA_FILES[name])
    assert "Kafka key" in schema["description"]
    assert schema["examples"], f"{name}: no examples"
    fast = validator(name)
    strict = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for example in schema["examples"]:
        fast(example)
        strict.validate(example)


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_every_field_is_described(name: str) -> None:
    missing: list[str] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        for prop, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{path}/properties/{prop}")
            walk(sub, f"{path}/properties/{prop}")
        for key in ("items", "additionalProperties"):
            walk(node.get(key), f"{path}/{key}")
        for def_name, sub in node.get("$defs", {}).items():
            walk(sub, f"{path}/$defs/{def_name}")

    walk(load_schema(name), "#")
    assert not missing, f"{name}: fields without a description: {missing}"
