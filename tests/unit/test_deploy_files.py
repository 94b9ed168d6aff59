"""Structure of the deployment files: dashboard, alert rules, compose file, Dockerfile.

The tools that lint them (hadolint, dclint, promtool) run in deploy/lint.sh; these tests check
what those tools cannot: that every query names a metric the worker really exports, that the
compose topology is scalable, and that versions agree across files.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from faust.sensors.prometheus import FaustMetrics
from prometheus_client import CollectorRegistry

from service.metrics import STAGES, create_metrics

yaml = pytest.importorskip("yaml", reason="needs pyyaml (the dev extra)")

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
FAUST_PREFIX = "faust"  # name_prefix given to setup_prometheus_sensors in service/web.py
METRIC_RE = re.compile(r"\b((?:newsflow|faust)_[a-z0-9_]+)\b")

SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def exported_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name a registry's metrics can expose (counter x -> x_total, ...)."""
    names = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def domain_metric_names() -> set[str]:
    registry = CollectorRegistry()
    create_metrics(registry)
    return exported_names(registry)


def faust_metric_names() -> set[str]:
    registry = CollectorRegistry()
    FaustMetrics.create(registry, FAUST_PREFIX)
    return exported_names(registry)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dashboard_panels() -> list[dict[str, Any]]:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/newsflow.json").read_text())
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.extend(panel.get("panels", [])) if panel["type"] == "row" else panels.append(panel)
    return panels


def alert_rules() -> list[dict[str, Any]]:
    doc = load_yaml(DEPLOY / "prometheus/alerts.yml")
    return [rule for group in doc["groups"] for rule in group["rules"]]


def compose() -> dict[str, Any]:
    return load_yaml(REPO / "docker-compose.yml")


# ---- metrics contract ----------------------------------------------------------------------


def test_domain_metrics_have_the_documented_names() -> None:
    names = domain_metric_names()
    for name in (
        "newsflow_articles_consumed_total",
        "newsflow_articles_enriched_total",
        "newsflow_articles_dead_lettered_total",
        "newsflow_duplicates_total",
        "newsflow_stories_total",
        "newsflow_stage_seconds_bucket",
        "newsflow_end_to_end_latency_seconds_bucket",
        "newsflow_dedup_index_size",
        "newsflow_consumer_lag",
        "newsflow_worker_ready",
    ):
        assert name in names


def test_operations_doc_lists_every_domain_metric_and_alert() -> None:
    text = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
    registry = CollectorRegistry()
    create_metrics(registry)
    for family in registry.collect():
        shown = family.name + ("_total" if family.type == "counter" else "")
        assert f"`{shown}`" in text, f"{shown} missing from README.md"
    for rule in alert_rules():
        assert rule["alert"] in text, f"alert {rule['alert']} missing from README.md"


# ---- Grafana -------------------------------------------------------------------------------


def test_dashboard_is_provisioned_from_the_mounted_folder() -> None:
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/newsflow.yml")
    paths = [p["options"]["path"] for p in provider["providers"]]
    grafana = compose()["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"] if v.startswith("./")}
    assert paths == ["/var/lib/grafana/dashboards"]
    assert mounts["/var/lib/grafana/dashboards"] == "./deploy/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"


def test_dashboard_datasource_matches_the_provisioned_one() -> None:
    sources = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")["datasources"]
    uids = {s["uid"] for s in sources if s["type"] == "prometheus"}
    assert uids == {"prometheus"}
    for panel in dashboard_panels():
        for target in [panel, *panel["targets"]]:
            assert target["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_every_panel_queries_metrics_the_worker_exports() -> None:
    known = domain_metric_names() | faust_metric_names()
    domain = domain_metric_names()
    panels = dashboard_panels()
    assert panels
    for panel in panels:
        exprs = [t["expr"] for t in panel["targets"]]
        assert exprs, f"panel {panel['title']!r} has no query"
        used = {m for e in exprs for m in METRIC_RE.findall(e)}
        assert used, f"panel {panel['title']!r} names no newsflow metric"
        assert used <= known, f"panel {panel['title']!r} uses unknown metrics {used - known}"
        if not any(m.startswith(f"{FAUST_PREFIX}_") for m in used):
            assert used & domain


def test_dashboard_panels_have_unique_ids_and_fit_the_grid() -> None:
    panels = dashboard_panels()
    assert len({p["id"] for p in panels}) == len(panels)
    for p in panels:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["w"] > 0 and pos["h"] > 0 and pos["x"] + pos["w"] <= 24
        assert {t["refId"] for t in p["targets"]} == {chr(65 + i) for i in range(len(p["targets"]))}


@pytest.mark.parametrize(
    "needle",
    [
        "newsflow_articles_consumed_total",  # throughput
        "newsflow_consumer_lag",  # lag
        "histogram_quantile(0.99, sum by (stage, le) (rate(newsflow_stage_seconds_bucket",
        "newsflow_end_to_end_latency_seconds_bucket",
        "sum by (reason) (rate(newsflow_articles_dead_lettered_total",
        "sum by (kind) (rate(newsflow_duplicates_total",
        'newsflow_stories_total{event="created"}',  # story count
    ],
)
def test_dashboard_shows(needle: str) -> None:
    exprs = [t["expr"] for p in dashboard_panels() for t in p["targets"]]
    assert any(needle in e for e in exprs), needle


# ---- Prometheus ----------------------------------------------------------------------------


def test_alert_rules_have_summary_runbook_and_known_metrics() -> None:
    known = domain_metric_names()
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(set(names)) == len(names)
    for rule in rules:
        assert rule["annotations"].get("summary"), rule["alert"]
        assert rule["annotations"].get("runbook"), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}
        used = set(METRIC_RE.findall(rule["expr"]))
        assert used <= known, f"{rule['alert']} uses unknown metrics {used - known}"


def test_the_required_alerts_exist() -> None:
    exprs = {r["alert"]: r["expr"] for r in alert_rules()}
    assert 'up{job="newsflow-worker"} == 0' in exprs["NewsflowWorkerDown"]
    assert "newsflow_consumer_lag" in exprs["NewsflowConsumerLagGrowing"]
    assert "newsflow_articles_dead_lettered_total" in exprs["NewsflowDeadLetterRateHigh"]
    assert "histogram_quantile(0.99" in exprs["NewsflowStageLatencyHigh"]
    assert "newsflow_articles_consumed_total[15m]" in exprs["NewsflowNotProcessing"]
    assert "newsflow_consumer_lag[15m]" in exprs["NewsflowNotProcessing"]


def test_every_alert_has_a_promtool_unit_test() -> None:
    tests = load_yaml(DEPLOY / "prometheus/alerts_test.yml")
    assert tests["rule_files"] == ["alerts.yml"]
    cases: dict[str, list[bool]] = {}
    for test in tests["tests"]:
        for case in test["alert_rule_test"]:
            cases.setdefault(case["alertname"], []).append(bool(case["exp_alerts"]))
    for rule in alert_rules():
        seen = cases.get(rule["alert"], [])
        assert True in seen, f"{rule['alert']}: no firing test"
        assert False in seen, f"{rule['alert']}: no not-firing test"


def test_prometheus_discovers_scaled_workers_by_dns() -> None:
    config = load_yaml(DEPLOY / "prometheus/prometheus.yml")
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs["newsflow-worker"]
    assert worker["metrics_path"] == "/metrics"
    assert worker["dns_sd_configs"] == [
        {"names": ["worker"], "type": "A", "port": 6066, "refresh_interval": "15s"}
    ]
    assert "worker" in compose()["services"]


# ---- docker compose ------------------------------------------------------------------------


def test_compose_has_the_services() -> None:
    services = compose()["services"]
    assert {"kafka", "topics", "worker", "prometheus", "grafana", "replay"} <= set(services)
    assert services["replay"]["profiles"] == ["samples"]
    for name in ("kafka", "worker", "prometheus", "grafana"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("topics", "replay"):
        assert services[name]["restart"] == "no", name


def test_worker_is_scalable() -> None:
    worker = compose()["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker  # no host port: replicas would collide
    assert "hostname" not in worker
    assert worker["stop_grace_period"]
    assert worker["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
    }
    assert worker["build"]["dockerfile"] == "deploy/Dockerfile"


def test_kafka_service_is_kraft_with_data_volume_and_healthcheck() -> None:
    doc = compose()
    kafka = doc["services"]["kafka"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 1
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    assert "kafka-data" in doc["volumes"]
    assert kafka["healthcheck"]["test"]


def test_kafka_image_matches_the_local_broker_version() -> None:
    pom = ET.parse(DEPLOY / "kafka-local/pom.xml").getroot()
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = pom.find("m:properties/m:kafka.version", ns)
    assert version is not None and version.text
    assert (
        compose()["services"]["kafka"]["image"]
        == f"${{KAFKA_IMAGE:-apache/kafka:{version.text.strip()}}}"
    )
    standin = ET.parse(DEPLOY / "standins/kafka/pom.xml").getroot()
    parent = standin.find("m:parent", ns)
    assert parent is not None  # the stand-in's jars: the local broker's pom and kafka-tools
    assert parent.findtext("m:relativePath", namespaces=ns) == "../../kafka-local/pom.xml"
    assert parent.findtext("m:artifactId", namespaces=ns) == pom.findtext(
        "m:artifactId", namespaces=ns
    )


IMAGE_VAR = re.compile(r"^\$\{([A-Z_]+):-([^}]+)\}$")


@pytest.mark.parametrize(
    ("service", "variable", "default"),
    [
        ("kafka", "KAFKA_IMAGE", "apache/kafka:"),
        ("prometheus", "PROMETHEUS_IMAGE", "prom/prometheus:"),
        ("grafana", "GRAFANA_IMAGE", "grafana/grafana-oss:"),
    ],
)
def test_images_are_variables_defaulting_to_the_official_ones(
    service: str, variable: str, default: str
) -> None:
    match = IMAGE_VAR.match(compose()["services"][service]["image"])
    assert match, compose()["services"][service]["image"]
    assert match.group(1) == variable
    assert match.group(2).startswith(default)


def test_worker_base_image_and_extra_ca_are_build_arguments() -> None:
    args = compose()["services"]["worker"]["build"]["args"]
    assert args["PYTHON_IMAGE"] == "${NEWSFLOW_PYTHON_IMAGE:-python:3.11-slim}"
    assert args["EXTRA_CA_CERTS"] == "${NEWSFLOW_EXTRA_CA_CERTS:-}"


def test_compose_holds_no_secrets() -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert not re.search(r"(?i)(password|secret|token)\s*:\s*[^$\s]", text)
    env_file = (DEPLOY / "newsflow.env").read_text(encoding="utf-8")
    assert not re.search(r"(?im)^[A-Z_]*(PASSWORD|SECRET|TOKEN)[A-Z_]*=", env_file)


def test_env_file_uses_the_settings_variables() -> None:
    settings_src = (REPO / "service/settings.py").read_text(encoding="utf-8")
    for line in (DEPLOY / "newsflow.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert f'"{name}"' in settings_src, f"{name} is not read by service/settings.py"


# ---- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_is_multistage_non_root_with_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"(?m)^FROM (\S+)", text)
    assert re.search(r"(?m)^ARG PYTHON_IMAGE=python:3.11-slim$", text)
    assert len(froms) >= 2 and all(f == "${PYTHON_IMAGE}" for f in froms)
    assert re.search(r"(?m)^USER (?!root|0\b)\S+", text)
    assert "HEALTHCHECK" in text and "/health" in text and "urllib" in text
    assert not re.search(r"(?m)^(RUN|CMD|HEALTHCHECK)\b.*\bcurl\b", text)
    assert "NEWSFLOW_SCHEMA_DIR=/app/schemas" in text
    assert "requirements-model.txt" in text


def test_the_extra_ca_stays_in_the_build_stage() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    build, runtime = re.split(r"(?m)^FROM \S+ AS runtime$", text)
    assert "ARG EXTRA_CA_CERTS" in build and "/etc/pip.conf" in build
    assert "EXTRA_CA_CERTS" not in runtime and "pip-ca" not in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime  # only the virtualenv comes over


def test_stages_are_the_ones_the_docs_mention() -> None:
    text = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
    for stage in STAGES:
        assert stage in text
