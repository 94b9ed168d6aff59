"""The docker-compose topology without containers, proven with real components.

Local Kafka (the session's broker), `newsflow topics create`, `newsflow worker`, and a real
Prometheus (Debian's package) running a config derived from deploy/prometheus/prometheus.yml:
the worker job's DNS discovery becomes a static 127.0.0.1:<port> target, the self-scrape
target gets its port, intervals shrink to 1 s; everything else (job names, metrics path, rule
files) is the file compose mounts. After the samples are replayed, Prometheus' HTTP API must
show the worker up and `newsflow_` metrics moving, the alert rules loaded, and every dashboard
query valid.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.broker import free_port
from tests.conftest import REPO, unique_env
from tests.integration.conftest import WorkerProcess, http_status

yaml = pytest.importorskip("yaml", reason="needs pyyaml (the dev extra)")

pytestmark = pytest.mark.integration

PROMETHEUS_YML = REPO / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "newsflow.json"
SAMPLES = REPO / "service" / "data" / "samples.jsonl"
WORKER_JOB = "newsflow-worker"


def prometheus_binary() -> str | None:
    """Debian's prometheus, installed with apt-get when missing and possible."""
    found = shutil.which("prometheus")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=False)
    return shutil.which("prometheus")


def loopback_config(worker_port: int, prometheus_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with loopback targets instead of DNS discovery."""
    config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS_YML.parent / f) for f in config["rule_files"]]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs[WORKER_JOB]
    assert worker.pop("dns_sd_configs")[0]["port"] == 6066  # the port the image listens on
    worker["static_configs"] = [{"targets": [f"127.0.0.1:{worker_port}"]}]
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{prometheus_port}"]}]
    return config


def newsflow_cmd(*args: str) -> list[str]:
    """The `newsflow` console script of this interpreter's environment (or -m service.cli)."""
    script = Path(sys.executable).parent / "newsflow"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "service.cli", *args]


class Prometheus:
    """A prometheus server process on a free loopback port; stopped by pid."""

    def __init__(self, binary: str, workdir: Path, config: dict[str, Any], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "prometheus.log"
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        self.cmd = [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited {self.proc.returncode}:\n{self.log()}")
            if http_status(self.url + "/-/ready") == 200:
                return
            time.sleep(0.3)
        raise AssertionError(f"prometheus not ready after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = json.loads(resp.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])

    def wait_value(self, expr: str, ok: Any, timeout: float) -> float:
        """Poll an instant query until its single value satisfies `ok`; return that value."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            seen = self.query(expr)
            if len(seen) == 1 and ok(float(seen[0]["value"][1])):
                return float(seen[0]["value"][1])
            time.sleep(1.0)
        raise AssertionError(f"{expr}: last result {seen} after {timeout}s\n{self.log()}")


@pytest.fixture
def topology(kafka: str, tmp_path: Path) -> Iterator[tuple[WorkerProcess, Prometheus]]:
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("no prometheus binary, and apt-get could not install Debian's package")
    env = unique_env(kafka, tmp_path / "worker")
    topics = subprocess.run(
        newsflow_cmd("topics", "create"), env=env, cwd=REPO, capture_output=True, timeout=120
    )
    assert topics.returncode == 0, topics.stderr.decode(errors="replace")
    worker = WorkerProcess(env=env, log_path=tmp_path / "worker.log")
    (tmp_path / "prometheus").mkdir()
    port = free_port()
    config = loopback_config(int(env["NEWSFLOW_WEB_PORT"]), port)
    prometheus = Prometheus(binary, tmp_path / "prometheus", config, port)
    try:
        worker.start()
        prometheus.start()
        yield worker, prometheus
    finally:
        prometheus.stop()
        if worker.proc is not None:
            worker.stop()


def test_prometheus_scrapes_the_worker_and_sees_articles(
    topology: tuple[WorkerProcess, Prometheus],
) -> None:
    worker, prometheus = topology
    up = f'up{{job="{WORKER_JOB}"}}'
    assert prometheus.wait_value(up, lambda v: v == 1, timeout=60) == 1

    replay = subprocess.run(
        newsflow_cmd("replay", str(SAMPLES)),
        env=worker.env,
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stderr.decode(errors="replace")

    enriched = prometheus.wait_value(
        f'sum(newsflow_articles_enriched_total{{job="{WORKER_JOB}"}})', lambda v: v > 0, 120
    )
    consumed = prometheus.wait_value(
        "sum(newsflow_articles_consumed_total)", lambda v: v >= enriched, 30
    )
    assert consumed > 0
    assert prometheus.query('count(newsflow_stage_seconds_count{stage="entities"} > 0)')
    assert prometheus.wait_value("max(newsflow_worker_ready)", lambda v: v == 1, 30) == 1
    assert prometheus.query("newsflow_consumer_lag"), "consumer lag gauge never scraped"
    assert prometheus.query("faust_messages_received_total"), "Faust's monitor not exported"

    # The same rules as compose, loaded and healthy; the worker is up, so it is not alerted on.
    groups = prometheus.api("rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    expected = yaml.safe_load((PROMETHEUS_YML.parent / "alerts.yml").read_text())
    assert set(rules) == {r["alert"] for g in expected["groups"] for r in g["rules"]}
    assert all(r["health"] != "err" for r in rules.values()), rules
    firing = {a["labels"]["alertname"] for a in prometheus.api("alerts")["alerts"]}
    assert not firing & {"NewsflowWorkerDown", "NewsflowNoWorkers"}

    # Every dashboard query is valid PromQL for this Prometheus.
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$__rate_interval", "1m").replace("$__range", "5m")
            prometheus.query(expr)
