"""The README's run command as a user runs it: broker, worker, samples flowing, clean exit.

`newsflow dev` starts a broker and a worker in sessions of their own, so a test that fails (or a
dev that hangs) would leave them running: the `dev` fixture kills whatever is left, by the pid
files dev writes, whatever the outcome.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.broker import free_port
from service.cli import SAMPLES, read_jsonl
from tests.conftest import REPO, unique_env

pytestmark = pytest.mark.e2e

STOP_BOUND_S = 120.0  # dev's own bound is the worker's 20 + 10 s, the broker's 30 s, 15 s more


def _pid(path: Path, marker: str) -> int | None:
    """The pid in `path` if that process is alive and its command line contains `marker`."""
    try:
        pid = int(path.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if marker in cmdline else None


class Dev:
    """One `newsflow dev` process and the pid files of what it started."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.data = tmp_path / "data"
        self.env = unique_env(f"127.0.0.1:{self.port}", self.data)
        self.proc: subprocess.Popen[str] | None = None

    def start(self, *args: str) -> subprocess.Popen[str]:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "dev", *args],
            env=self.env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        return self.proc

    def worker_pid(self) -> int | None:
        return _pid(self.data / "worker.pid", "service.cli")

    def broker_pid(self) -> int | None:
        return _pid(self.data / "kafka" / "broker.pid", "server.properties")

    def read_until(self, done: Callable[[str], bool], timeout: float) -> list[str]:
        """Output lines up to the first for which `done` holds (or EOF, or timeout)."""
        assert self.proc is not None and self.proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if done(line):
                break
        return lines

    def kill_all(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        for pid in (self.worker_pid(), self.broker_pid()):
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    d = Dev(tmp_path)
    try:
        yield d
    finally:
        d.kill_all()


def assert_all_stopped(d: Dev, worker_pid: int | None) -> None:
    if worker_pid is not None:
        assert not Path(f"/proc/{worker_pid}").exists() or _zombie(worker_pid), "worker alive"
    assert d.broker_pid() is None, "broker still running"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", d.port), timeout=1).close()


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    return True


def test_dev_once_starts_its_own_broker_and_shows_every_sample(dev: Dev) -> None:
    proc = dev.start("--once", "--idle-timeout", "90")
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out
    expected = {line_key.decode() for line_key, _ in read_jsonl(SAMPLES) if line_key is not None}
    shown = {line.split()[0] for line in out.splitlines() if line.startswith("sample-")}
    assert shown == expected, out
    assert "kafka ready" in out
    assert "stopping Kafka" in out and out.rstrip().endswith("stopped")
    assert "exact" in out and "story" in out


@pytest.mark.parametrize(
    "moment",
    [
        "starting the worker",  # while the worker starts (dev waits for /ready)
        "sample-",  # while it shows the samples (the hang seen in issue 15)
    ],
)
def test_dev_stops_everything_on_ctrl_c(dev: Dev, moment: str) -> None:
    proc = dev.start()
    lines = dev.read_until(lambda line: line.startswith(moment), 300)
    assert any(line.startswith(moment) for line in lines), "".join(lines)
    worker_pid = dev.worker_pid()
    proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    out, _ = proc.communicate(timeout=STOP_BOUND_S)
    took = time.monotonic() - began
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert "stopping Kafka" in out and out.rstrip().endswith("stopped (interrupted)"), text
    if moment == "sample-":
        assert "stopping the worker" in out, text
    assert_all_stopped(dev, worker_pid or dev.worker_pid())
    print(f"\n[dev ctrl-c at {moment!r}] stopped in {took:.1f}s")


def test_a_second_ctrl_c_does_not_cut_the_stop_short(dev: Dev) -> None:
    proc = dev.start()
    lines = dev.read_until(lambda line: line.startswith("sample-"), 300)
    assert any(line.startswith("sample-") for line in lines), "".join(lines)
    worker_pid = dev.worker_pid()
    proc.send_signal(signal.SIGINT)
    rest = dev.read_until(lambda line: line.startswith("stopping the worker"), 30)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=STOP_BOUND_S)
    text = "".join(lines + rest) + out
    assert proc.returncode == 0, text
    assert "stopping Kafka" in out, text
    assert_all_stopped(dev, worker_pid)
