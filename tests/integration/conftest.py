"""A real newsflow worker process against the session's real Kafka broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from service import jsonio
from service.kafka_io import consume, create_topics, produce_lines
from service.settings import Settings
from tests.conftest import REPO, unique_env


@dataclass
class WorkerProcess:
    """One `newsflow worker` subprocess with its own topics; started and stopped by pid."""

    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        saved = dict(os.environ)
        try:
            os.environ.update(self.env)
            return Settings.from_env()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.env['NEWSFLOW_WEB_PORT']}"

    def start(self, timeout: float = 120.0) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited {self.proc.returncode}:\n{self.log_tail()}")
            if http_status(self.web + "/ready") == 200:
                return
            time.sleep(0.5)
        raise AssertionError(f"worker not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def produce(
    settings: Settings, values: list[bytes], keys: list[bytes | None] | None = None
) -> None:
    pairs = list(zip(keys or [None] * len(values), values, strict=True))
    asyncio.run(produce_lines(settings, settings.topic_raw, pairs))


def collect(
    settings: Settings, topic: str, until: Callable[[list[Any]], bool], timeout: float = 90.0
) -> list[Any]:
    """All committed records of a topic, re-read until `until(records)` holds or `timeout`."""

    async def run() -> list[Any]:
        deadline = time.monotonic() + timeout
        while True:
            out = [r async for r in consume(settings, topic, idle_timeout=1.5)]
            if until(out) or time.monotonic() > deadline:
                return out
            await asyncio.sleep(1.0)

    return asyncio.run(run())


def keys_seen(keys: set[str]) -> Callable[[list[Any]], bool]:
    return lambda records: keys <= {r.key.decode() for r in records if r.key is not None}


def decode(records: list[Any]) -> list[dict[str, Any]]:
    return [jsonio.loads(r.value) for r in records]


@pytest.fixture(scope="session")
def worker(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One worker for the integration tests that share it (each test uses its own ids)."""
    data = tmp_path_factory.mktemp("worker")
    w = WorkerProcess(env=unique_env(kafka, data), log_path=data / "worker.log")
    asyncio.run(create_topics(w.settings))
    w.start()
    try:
        yield w
    finally:
        w.stop()
