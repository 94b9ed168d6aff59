"""The worker's life cycle: fail fast at start, exit on a crashed agent, bounded shutdown.

A worker that cannot do its job must exit non-zero with one line saying why, so that its
supervisor (compose's restart policy, systemd, Kubernetes) restarts it and its logs show the
cause. Faust's defaults do the opposite: a crashed agent is restarted every few seconds with a
traceback each time (while commits stay stopped, see `agents.publish.commit_guard`), and a stop
that waits on the broker has no bound. Exactly-once makes exiting safe: the open transaction is
aborted and its events are processed again by the next owner of their partitions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import faust
from mode.supervisors import OneForOneSupervisor

log = logging.getLogger(__name__)

BROKER_CHECK_EVERY_S = 5.0
# Called with a one-line reason when an agent crashes; set by the running `Worker`.
_on_crash: Callable[[str], None] | None = None


class ModelUnavailable(RuntimeError):
    """The spaCy model named by NEWSFLOW_SPACY_MODEL cannot be loaded."""


def check_model(model: str | None, lead_words: int | None) -> None:
    """Load the enrichment pipeline now (cached for the agents), or raise with one line."""
    from .enrich import load_pipeline
    from .enrich.pipeline import DEFAULT_MODEL

    name = model or os.environ.get("NEWSFLOW_SPACY_MODEL") or DEFAULT_MODEL
    try:
        load_pipeline(model or None, lead_words=lead_words)
    except Exception as exc:  # spaCy raises OSError [E050] for a missing package
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelUnavailable(
            f"spaCy model {name!r} cannot be loaded ({first}); install it "
            "(`pip install --no-deps -r deploy/requirements-model.txt`) or set "
            "NEWSFLOW_SPACY_MODEL"
        ) from exc


class ExitingSupervisor(OneForOneSupervisor):
    """Restarts an actor cancelled by a rebalance (Faust's own use), but an actor that crashed
    with an exception makes the worker exit: restarting it in place would leave the partial
    event's transaction open and commits stopped for good."""

    # a child of "mode": its start/stop chatter stays at the libraries' level (logs.py)
    logger = logging.getLogger("mode.supervisors.newsflow")

    async def restart_services(self, services: list[Any]) -> None:
        crashed = [s for s in services if not isinstance(s.crash_reason, asyncio.CancelledError)]
        if crashed and _on_crash is not None:
            service = crashed[0]
            reason = service.crash_reason
            name = getattr(getattr(service, "agent", None), "name", repr(service))
            _on_crash(f"agent {name} crashed: {type(reason).__name__}: {reason}")
            return
        await super().restart_services(services)


def agents_down(agents: Iterable[Any]) -> list[str]:
    """Names of the agents not running: never started, or an actor crashed or finished."""
    down = []
    for agent in agents:
        supervisor = agent.supervisor
        actors = list(getattr(supervisor, "_services", ())) if supervisor is not None else []
        task_done = [a.actor_task is not None and a.actor_task.done() for a in actors]
        if not actors or any(a.crashed for a in actors) or any(task_done):
            down.append(agent.name)
    return down


class Worker(faust.Worker):
    """faust.Worker whose stop is bounded: after `shutdown_timeout` seconds from the signal (or
    from a failure) the process exits anyway, non-zero, saying so."""

    def __init__(self, *args: Any, shutdown_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shutdown_timeout = shutdown_timeout
        self.exit_code = 0
        self._watchdog: threading.Timer | None = None
        global _on_crash
        _on_crash = self.fail

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        self._start_watchdog()
        super()._schedule_shutdown(signal)

    def fail(self, reason: str) -> None:
        """Stop with exit code 1, logging `reason` (one line) once."""
        if self.exit_code or self._signal_stop_time:
            return
        self.exit_code = 1
        log.error("%s; the worker exits (exit code 1) so that its supervisor restarts it", reason)
        self._schedule_shutdown(signal.SIGTERM)

    def on_worker_shutdown(self) -> None:
        """The worker stops: a crash inside Faust (a commit or rebalance that failed, e.g. in
        a broker outage) gets its one-line reason here, and the stop gets its bound."""
        self._start_watchdog()
        if self.crash_reason is not None and not self.exit_code:
            self.exit_code = 1
            log.error(
                "the worker crashed (%s); it exits (exit code 1) so that its supervisor "
                "restarts it",
                one_line(self.crash_reason, causes=True),
            )
        super().on_worker_shutdown()

    def _start_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Timer(self.shutdown_timeout, self._give_up)
            self._watchdog.daemon = True
            self._watchdog.start()

    def _give_up(self) -> None:
        log.error(
            "shutdown did not finish within NEWSFLOW_SHUTDOWN_TIMEOUT_S=%g s; exiting now "
            "(the open transaction aborts; its events are processed again)",
            self.shutdown_timeout,
        )
        os._exit(self.exit_code or 3)


def one_line(exc: BaseException, causes: bool = False) -> str:
    """`Type: message` on one line (aiokafka's messages already start with their type); with
    `causes`, the chained exceptions too (aiokafka wraps the error that tells what happened)."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    line = text if text.startswith(name) else f"{name}: {text}" if text else name
    cause = exc.__cause__ or exc.__context__
    if causes and cause is not None and cause is not exc:
        return f"{line}, caused by {one_line(cause, causes=True)}"
    return line


class BrokerWatch:
    """How long the broker has been unreachable, from a metadata request every check."""

    def __init__(self, probe: Callable[[], Any]) -> None:
        self.probe = probe
        self.since: float | None = None  # monotonic time of the first failed check in a row
        self.error = ""

    async def check(self) -> float:
        """Seconds the broker has been unreachable (0 when it answered)."""
        try:
            await self.probe()
        except Exception as exc:
            self.error = one_line(exc)
            if self.since is None:
                self.since = time.monotonic()
            return time.monotonic() - self.since
        self.since, self.error = None, ""
        return 0.0


def register_broker_watch(c: Any, on_lost: Callable[[str], None]) -> None:
    """Exit (through `on_lost`) once the broker has been unreachable for
    NEWSFLOW_BROKER_LOST_EXIT_S, or once commits have stopped: a worker that cannot work says
    why and exits instead of idling."""
    from aiokafka.admin import AIOKafkaAdminClient

    from .kafka_io import client_options

    settings = c.settings

    async def probe() -> None:
        admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=5000)
        try:
            await asyncio.wait_for(admin.start(), 5)
            await asyncio.wait_for(admin.describe_cluster(), 5)
        finally:
            await admin.close()

    watch = BrokerWatch(probe)

    @c.app.timer(interval=BROKER_CHECK_EVERY_S)
    async def watch_broker() -> None:
        from .agents.publish import commits_stopped

        if commits_stopped(c.app) and not c.app.should_stop:
            on_lost(
                "an event's handling was interrupted or a table write failed, "
                "so this worker commits nothing more"
            )
            return
        down = await watch.check()
        if down >= settings.broker_lost_exit_s:
            on_lost(
                f"Kafka at {settings.bootstrap_servers} unreachable for {down:.0f} s "
                f"(NEWSFLOW_BROKER_LOST_EXIT_S={settings.broker_lost_exit_s:g}; {watch.error})"
            )
