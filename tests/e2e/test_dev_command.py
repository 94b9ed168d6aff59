"""The README's run command as a user runs it: broker, worker, samples flowing, clean exit."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.broker import free_port
from service.cli import SAMPLES, read_jsonl
from tests.conftest import REPO, unique_env

pytestmark = pytest.mark.e2e


def run_dev(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "dev", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_dev_once_starts_its_own_broker_and_shows_every_sample(tmp_path: Path) -> None:
    port = free_port()
    env = unique_env(f"127.0.0.1:{port}", tmp_path / "data")
    proc = run_dev(env, "--once", "--idle-timeout", "90")
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out
    expected = {line_key.decode() for line_key, _ in read_jsonl(SAMPLES) if line_key is not None}
    shown = {line.split()[0] for line in out.splitlines() if line.startswith("sample-")}
    assert shown == expected, out
    assert "kafka ready" in out
    assert "stopping Kafka" in out and out.rstrip().endswith("stopped")
    assert "exact" in out and "story" in out


def test_dev_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = unique_env(f"127.0.0.1:{port}", tmp_path / "data")
    proc = run_dev(env)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("sample-"):
            break
    assert any(line.startswith("sample-") for line in lines), "".join(lines)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, "".join(lines) + out
    assert "stopping the worker" in out and "stopping Kafka" in out
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", port), timeout=1).close()
