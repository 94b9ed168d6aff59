"""The local Apache Kafka broker for development and tests (no Docker).

The broker's jars come from Maven Central (`mvn dependency:copy-dependencies` on
deploy/kafka-local/pom.xml) into an ignored cache folder, once. Storage is formatted for a
single combined broker+controller node in KRaft mode; the process is started detached,
its pid written beside its data, and stopped by that pid only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import BrokerError
from .settings import REPO_ROOT

log = logging.getLogger(__name__)

POM = REPO_ROOT / "deploy" / "kafka-local" / "pom.xml"
CACHE_DIR = Path(os.environ.get("NEWSFLOW_CACHE_DIR", REPO_ROOT / ".cache"))
DEFAULT_DATA_DIR = CACHE_DIR / "kafka-run"


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    if not match:
        raise BrokerError(f"no <kafka.version> in {POM}")
    return match.group(1)


def libs_dir() -> Path:
    return CACHE_DIR / f"kafka-{kafka_version()}" / "libs"


def ensure_jars() -> Path:
    """Resolve the broker jars from Maven Central into the cache, the first time only."""
    libs = libs_dir()
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise BrokerError("Maven (mvn) is needed to fetch the Kafka jars; install it first")
    libs.mkdir(parents=True, exist_ok=True)
    log.info("fetching Apache Kafka %s jars from Maven Central into %s", kafka_version(), libs)
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"mvn failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    marker.write_text(kafka_version())
    return libs


def new_cluster_id() -> str:
    """A random KRaft cluster id (base64url of 16 bytes) that does not start with "-".

    Kafka's own `random-uuid` never starts with "-" either: the storage tool would take such
    an id for an option (one start in 64 failed with "expected one argument" before this).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={log_dir}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.backoff.ms=1000
message.max.bytes=10485760
"""

LOG4J2 = """\
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
"""


@dataclass
class LocalBroker:
    """A single-node KRaft Kafka broker process owned by this project."""

    data_dir: Path = DEFAULT_DATA_DIR
    port: int = 9092
    controller_port: int = 0
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def _classpath(self) -> str:
        return str(ensure_jars() / "*")

    def _java(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        cmd = ["java", "-cp", self._classpath(), *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.controller_port:
            self.controller_port = free_port()
        config = self.data_dir / "server.properties"
        config.write_text(
            SERVER_PROPERTIES.format(
                port=self.port,
                controller_port=self.controller_port,
                log_dir=self.data_dir / "logs",
            )
        )
        (self.data_dir / "log4j2.yaml").write_text(LOG4J2)
        return config

    def _format(self, config: Path) -> None:
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cid = new_cluster_id()
        result = self._java("kafka.tools.StorageTool", "format", "-t", cid, "-c", str(config))
        if result.returncode != 0:
            raise BrokerError(f"formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def running_pid(self) -> int | None:
        """The broker's pid if our own process is alive (checked by pid file and cmdline)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        return pid if str(self.data_dir / "server.properties") in cmdline else None

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker (if not already running) and return once it answers metadata."""
        if self.running_pid():
            self._read_port()
            self.wait_ready(timeout)
            return
        config = self._write_config()
        self._format(config)
        classpath = self._classpath()
        env = {**os.environ, "KAFKA_HEAP_OPTS": f"-Xmx{self.heap}"}
        cmd = [
            "java",
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                cwd=self.data_dir,
            )
        self.pid_file.write_text(str(proc.pid))
        started = time.monotonic()
        try:
            self.wait_ready(timeout, proc=proc)
        except BrokerError:
            self.stop()
            raise
        log.info("kafka ready on %s after %.1fs", self.bootstrap, time.monotonic() - started)

    def _read_port(self) -> None:
        config = self.data_dir / "server.properties"
        match = re.search(r"PLAINTEXT://127\.0\.0\.1:(\d+)", config.read_text())
        if match:
            self.port = int(match.group(1))

    def wait_ready(self, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                tail = self.log_file.read_text(errors="replace")[-3000:]
                raise BrokerError(f"kafka exited with {proc.returncode}:\n{tail}")
            try:
                asyncio.run(metadata_ok(self.bootstrap))
                return
            except Exception as exc:  # not up yet
                last_error = repr(exc)
                time.sleep(0.3)
        raise BrokerError(f"kafka on {self.bootstrap} not ready after {timeout}s: {last_error}")

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop our broker by its pid: SIGTERM, then SIGKILL after `timeout`."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        with contextlib.suppress(OSError):
            self.pid_file.unlink()
        return True

    def kill(self) -> None:
        """SIGKILL the broker (for failure tests)."""
        pid = self.running_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still answers kill(0); reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def quiet_kafka_client() -> Iterator[None]:
    """Hide aiokafka's connection errors while probing: a refused connect is an answer there
    (aiokafka logs `Unable connect to ...` at level error), not something to report."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def metadata_ok(bootstrap: str) -> None:
    """Raise unless the broker answers a metadata request (logs nothing either way)."""
    from aiokafka.admin import AIOKafkaAdminClient

    with quiet_kafka_client():
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), 5)
            await asyncio.wait_for(admin.describe_cluster(), 5)
        finally:
            await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsflow broker", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status", "fetch"])
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    broker = LocalBroker(data_dir=args.data_dir.resolve(), port=args.port)
    try:
        if args.action == "fetch":
            print(ensure_jars())
        elif args.action == "start":
            began = time.monotonic()
            broker.start()
            print(
                f"kafka {kafka_version()} ready on {broker.bootstrap} "
                f"(pid {broker.running_pid()}, {time.monotonic() - began:.1f}s)"
            )
        elif args.action == "stop":
            print("stopped" if broker.stop() else "not running")
        else:
            pid = broker.running_pid()
            if pid is None:
                print("not running")
                return 1
            broker._read_port()
            print(f"running (pid {pid}) on {broker.bootstrap}")
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
