"""A worker that cannot do its job says why in one line and exits non-zero (issue 15); one
that can reports lag from the start and stops within its bound."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service import jsonio
from service.kafka_io import create_topics, produce_lines
from tests.conftest import REPO, unique_env
from tests.integration.conftest import WorkerProcess, http_status, produce

pytestmark = pytest.mark.integration

SHUTDOWN_BOUND_S = 20.0  # NEWSFLOW_SHUTDOWN_TIMEOUT_S default


def test_missing_spacy_model_fails_at_start_in_one_line(tmp_path: Path) -> None:
    # no broker needed: the model is loaded before anything connects
    env = unique_env("127.0.0.1:1", tmp_path, NEWSFLOW_SPACY_MODEL="xx_no_such_model")
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "worker"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: spaCy model 'xx_no_such_model' cannot be loaded")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_lag_is_measured_as_soon_as_partitions_are_assigned(kafka: str, tmp_path: Path) -> None:
    # a lag timer far away: every sample seen comes from the measurement at assignment
    env = unique_env(kafka, tmp_path, NEWSFLOW_LAG_INTERVAL_S="3600")
    worker = WorkerProcess(env=env, log_path=tmp_path / "worker.log")
    settings = worker.settings
    asyncio.run(create_topics(settings))
    worker.start()
    try:
        lag_lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(lag_lines) < settings.raw_partitions + 1:
            with urllib.request.urlopen(worker.web + "/metrics", timeout=5) as resp:
                text = resp.read().decode()
            lag_lines = [x for x in text.splitlines() if x.startswith("newsflow_consumer_lag{")]
            time.sleep(0.5)
        topics = {re.search(r'topic="([^"]+)"', x).group(1) for x in lag_lines}  # type: ignore[union-attr]
        assert topics == {settings.topic_raw, settings.topic_dedup}, lag_lines
        assert len(lag_lines) == settings.raw_partitions + 1
    finally:
        assert worker.stop() == 0


def test_a_crashed_agent_makes_the_worker_exit_and_ready_never_says_200(
    kafka: str, tmp_path: Path
) -> None:
    env = unique_env(kafka, tmp_path)
    worker = WorkerProcess(env=env, log_path=tmp_path / "worker.log")
    settings = worker.settings
    asyncio.run(create_topics(settings))
    worker.start()
    assert worker.proc is not None
    try:
        # a record on the internal decision topic without the fields ingest always writes:
        # the decision agent raises (a bug stand-in; bad *input* would be dead-lettered)
        pairs = [(b"broken", jsonio.dumps({"not": "what ingest sends"}))]
        asyncio.run(produce_lines(settings, settings.topic_dedup, pairs))
        statuses = []
        deadline = time.monotonic() + 60 + SHUTDOWN_BOUND_S
        while worker.proc.poll() is None and time.monotonic() < deadline:
            statuses.append(http_status(worker.web + "/ready"))
            time.sleep(0.1)
        code = worker.proc.wait(10)
    finally:
        worker.stop(signal.SIGKILL)
    log = worker.log_tail(20000)
    errors = [
        jsonio.loads(x)["msg"]
        for x in log.splitlines()
        if x.startswith("{") and '"logger":"service.lifecycle"' in x and '"level":"error"' in x
    ]
    assert code == 1, log
    assert errors and errors[0].startswith("agent newsflow.dedup crashed: KeyError"), errors
    # after the crash /ready answered 503 or nothing; 200 only before the record arrived
    first_bad = next((i for i, s in enumerate(statuses) if s != 200), len(statuses))
    assert 200 not in statuses[first_bad:], statuses
    # one crash, one traceback: no restart loop
    assert log.count("Crashed reason=") == 1


def test_sigterm_while_busy_stops_within_the_bound(kafka: str, tmp_path: Path) -> None:
    env = unique_env(kafka, tmp_path)
    worker = WorkerProcess(env=env, log_path=tmp_path / "worker.log")
    settings = worker.settings
    asyncio.run(create_topics(settings))
    articles = [
        {
            "id": f"busy-{i}",
            "source": f"outlet{i % 7}.example",
            "url": f"https://outlet.example/busy-{i}",
            "title": f"Council of Port Elin approves plan {i} for the harbour",
            "body": f"The council of Port Elin approved plan {i} on Monday, officials said.",
            "published_at": "2026-04-02T10:00:00+02:00",
        }
        for i in range(2000)
    ]
    produce(settings, [jsonio.dumps(a) for a in articles], [a["id"].encode() for a in articles])
    worker.start()
    assert worker.proc is not None
    try:
        time.sleep(3)  # mid-backlog
        assert worker.alive()
        worker.proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        code = worker.proc.wait(SHUTDOWN_BOUND_S + 15)  # the bound, plus process exit
        took = time.monotonic() - began
    finally:
        worker.stop(signal.SIGKILL)
    print(f"\n[busy SIGTERM] exit {code} after {took:.1f}s")
    assert code in (0, 3), worker.log_tail()  # 3: the worker's own bound cut the stop short
