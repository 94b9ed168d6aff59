"""The `newsflow` command: worker, broker, topics, replay, tail, stories, dev."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.config
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from . import jsonio
from .settings import REPO_ROOT, Settings

SAMPLES = Path(__file__).resolve().parent / "data" / "samples.jsonl"
log = logging.getLogger("newsflow.cli")


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the Faust worker; exits 1 with one line on stderr when it cannot do its job."""
    from . import lifecycle
    from .agents import register_agents
    from .app import create_app
    from .logs import logging_config
    from .web import register_views

    settings = Settings.from_env()
    try:
        lifecycle.check_model(settings.spacy_model, settings.ner_lead_words)
    except lifecycle.ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    c = create_app(settings)
    register_agents(c)
    register_views(c)
    worker = lifecycle.Worker(
        c.app,
        loglevel=settings.log_level,
        logging_config=logging_config(settings.log_level),
        quiet=True,
        redirect_stdouts=False,
        shutdown_timeout=settings.shutdown_timeout_s,
    )
    lifecycle.register_broker_watch(c, worker.fail)
    code: Any = 0
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = exc.code
    return worker.exit_code or (code if isinstance(code, int) else 1)


def cmd_topics(args: argparse.Namespace) -> int:
    from .kafka_io import create_topics

    created = asyncio.run(create_topics(Settings.from_env()))
    print(f"created: {', '.join(created) if created else 'none (all exist)'}")
    return 0


def read_jsonl(path: Path) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per non-empty line; the line's bytes are sent as they are."""
    with path.open("rb") as fh:
        for line in fh:
            value = line.rstrip(b"\r\n")
            if not value.strip():
                continue
            key = None
            with contextlib.suppress(Exception):
                doc = jsonio.loads(value)
                if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                    key = doc["id"].encode()
            yield key, value


class Progress:
    """A progress line on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int | None, label: str) -> None:
        self.total, self.label, self.began, self.last = total, label, time.monotonic(), 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < (0.1 if self.tty else 5.0) and done != self.total:
            return
        self.last = now
        rate = done / max(now - self.began, 1e-9)
        total = f"/{self.total}" if self.total else ""
        end = "\r" if self.tty else "\n"
        print(f"{self.label}: {done}{total} ({rate:,.0f}/s)", end=end, file=sys.stderr, flush=True)

    def close(self, done: int) -> None:
        elapsed = time.monotonic() - self.began
        if self.tty:
            print(file=sys.stderr)
        print(f"{self.label}: {done} in {elapsed:.1f}s", file=sys.stderr)


def cmd_replay(args: argparse.Namespace) -> int:
    from .kafka_io import produce_lines

    settings = Settings.from_env()
    path = Path(args.file)
    total = sum(1 for _ in read_jsonl(path))
    progress = Progress(total, f"replay {path.name} -> {args.topic or settings.topic_raw}")
    sent = asyncio.run(
        produce_lines(
            settings,
            args.topic or settings.topic_raw,
            read_jsonl(path),
            rate=args.rate,
            progress=progress,
        )
    )
    progress.close(sent)
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    from .kafka_io import consume

    settings = Settings.from_env()
    topic = {
        "raw": settings.topic_raw,
        "enriched": settings.topic_enriched,
        "stories": settings.topic_stories,
        "dlq": settings.topic_dlq,
    }.get(args.topic, args.topic)

    async def run() -> None:
        async for record in consume(
            settings,
            topic,
            from_beginning=args.from_beginning,
            idle_timeout=args.timeout,
            max_messages=args.max,
        ):
            try:
                value = jsonio.loads(record.value) if record.value is not None else None
            except jsonio.JSONDecodeError:
                value = record.value.decode("utf-8", "replace")
            print(jsonio.dumps_line(value), flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    """A live table of the current stories: the last value per key of the stories topic."""
    from aiokafka import AIOKafkaConsumer

    from .kafka_io import client_options
    from .storyboard import StoryBoard, render

    settings = Settings.from_env()
    board = StoryBoard()
    tty = sys.stdout.isatty()

    def draw() -> None:
        if tty:
            size = shutil.get_terminal_size((120, 24))
            rows = args.max_rows if args.max_rows is not None else max(1, size.lines - 3)
            lines = render(board.stories.values(), max_rows=rows, width=size.columns)
            sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(lines) + "\n")
        else:
            lines = render(board.stories.values(), max_rows=args.max_rows)
            sys.stdout.write("\n".join(lines) + "\n\n")
        sys.stdout.flush()

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            settings.topic_stories,
            **client_options(settings),
            group_id=None,
            auto_offset_reset="earliest" if args.from_beginning else "latest",
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        try:
            await consumer.start()
        except BaseException:
            await consumer.stop()
            raise
        dirty, drawn, last_draw = False, False, 0.0
        idle_since = time.monotonic()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                now = time.monotonic()
                for records in batch.values():
                    for record in records:
                        dirty = board.update(record.key, record.value) or dirty
                if batch:
                    idle_since = now
                    if tty and dirty and now - last_draw >= 0.5:
                        draw()
                        dirty, drawn, last_draw = False, True, now
                    continue
                # idle: caught up for now, show the settled state (TTY: also an empty board)
                if dirty or (tty and not drawn):
                    draw()
                    dirty, drawn, last_draw = False, True, now
                if args.timeout is not None and now - idle_since >= args.timeout:
                    if not drawn:
                        draw()
                    return
        finally:
            await consumer.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    from . import broker

    return broker.main(args.rest)


def _get_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, jsonio.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:
        return 0, None


def wait_ready(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"worker exited with {proc.returncode}")
        status, _ = _get_json(f"http://127.0.0.1:{port}/ready")
        if status == 200:
            return
        time.sleep(0.5)
    raise SystemExit(f"worker not ready after {timeout:.0f}s")


def summary_line(article: dict[str, Any]) -> str:
    ents = ", ".join(e["name"] for e in article.get("entities", [])[:4])
    kind = article.get("duplicate_kind") or "new"
    dup = f" of {article['duplicate_of']}" if article.get("duplicate_of") else ""
    return (
        f"{article['id']:<12} {article['source'][:22]:<22} {kind:<5}{dup:<16} "
        f"story={article.get('story_id')}  {article['title'][:60]!r}  [{ents}]"
    )


# Bounds of `newsflow dev`'s stop path: the worker gets its own shutdown bound plus this margin
# after SIGTERM before it is killed; the broker gets BROKER_STOP_S; a watchdog started by the
# first signal ends everything after the sum plus STOP_MARGIN_S, wherever the main thread is.
WORKER_STOP_MARGIN_S = 10.0
BROKER_STOP_S = 30.0
STOP_MARGIN_S = 15.0
ASYNC_GRACE_S = 5.0


class DevStack:
    """The processes `newsflow dev` started, and their bounded stop (SIGTERM, wait, SIGKILL)."""

    def __init__(self, worker_stop_s: float) -> None:
        self.broker: Any = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_stop_s = worker_stop_s
        self.stopping = False
        self.watchdog: threading.Timer | None = None

    def on_signal(self, signum: int, frame: Any) -> None:
        """SIGINT/SIGTERM: start the watchdog, then leave whatever the main thread is doing,
        unless it is already stopping (a second Ctrl-C must not cut the stop path short)."""
        self.start_watchdog()
        if not self.stopping:
            raise KeyboardInterrupt

    def start_watchdog(self) -> None:
        if self.watchdog is None:
            bound = self.worker_stop_s + BROKER_STOP_S + STOP_MARGIN_S
            self.watchdog = threading.Timer(bound, self.kill_all, args=(bound,))
            self.watchdog.daemon = True
            self.watchdog.start()

    def kill_all(self, bound: float) -> None:
        print(f"stop did not finish within {bound:.0f}s: killing everything", flush=True)
        self.kill_worker()
        if self.broker is not None:
            with contextlib.suppress(Exception):
                self.broker.kill()
        os._exit(1)

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGKILL)  # its own session: pgid == pid
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.worker.wait(10)

    def stop(self) -> None:
        self.stopping = True
        if self.worker is not None and self.worker.poll() is None:
            print("stopping the worker ...", flush=True)
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(self.worker_stop_s)
            except subprocess.TimeoutExpired:
                print(f"worker still running after {self.worker_stop_s:.0f}s: killed", flush=True)
                self.kill_worker()
        if self.broker is not None:
            print("stopping Kafka ...", flush=True)
            self.broker.stop(timeout=BROKER_STOP_S)


def run_interruptible(stack: DevStack, coro: Any) -> Any:
    """Run `coro` on a fresh event loop; SIGINT/SIGTERM cancel it and raise KeyboardInterrupt.

    `asyncio.run` is not used: its SIGINT handling only cancels the main task, and a task that
    swallows the cancellation (or leftover tasks that do not finish) keeps it running for ever.
    Here a cancelled coroutine gets ASYNC_GRACE_S seconds, then the loop is stopped anyway.
    """
    loop = asyncio.new_event_loop()
    main = loop.create_task(coro)
    interrupted: list[int] = []

    def on_signal(signum: int) -> None:
        stack.start_watchdog()
        if not interrupted:
            interrupted.append(signum)
            main.cancel()
            loop.call_later(ASYNC_GRACE_S, loop.stop)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            loop.run_until_complete(main)
        if interrupted:
            raise KeyboardInterrupt
        return main.result()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
            signal.signal(sig, stack.on_signal)
        rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in rest:
            task.cancel()
        if rest:
            with contextlib.suppress(BaseException):
                loop.run_until_complete(asyncio.wait(rest, timeout=ASYNC_GRACE_S))
        loop.close()


def cmd_dev(args: argparse.Namespace) -> int:
    """Local broker + topics + worker + sample replay + live output, all stopped on Ctrl-C.

    Every stop is bounded: Ctrl-C (or SIGTERM) at any moment leads to the stop path, the worker
    is killed if it has not exited in its shutdown bound, and a watchdog ends everything if the
    stop path itself hangs."""
    from .broker import DEFAULT_DATA_DIR, LocalBroker, metadata_ok
    from .kafka_io import consume, create_topics, produce_lines

    settings = Settings.from_env()
    _host, _, port_text = settings.bootstrap_servers.split(",")[0].rpartition(":")
    stack = DevStack(worker_stop_s=settings.shutdown_timeout_s + WORKER_STOP_MARGIN_S)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stack.on_signal)
    interrupted = False
    try:
        try:
            run_interruptible(stack, asyncio.wait_for(metadata_ok(settings.bootstrap_servers), 5))
            print(f"using the Kafka broker already running on {settings.bootstrap_servers}")
        except Exception:
            data_dir = Path(os.environ.get("NEWSFLOW_KAFKA_DATA_DIR") or DEFAULT_DATA_DIR)
            stack.broker = LocalBroker(data_dir=data_dir, port=int(port_text or 9092))
            print(f"starting Apache Kafka on 127.0.0.1:{stack.broker.port} ...", flush=True)
            began = time.monotonic()
            stack.broker.start()
            print(f"kafka ready in {time.monotonic() - began:.1f}s", flush=True)
        run_interruptible(stack, create_topics(settings))
        log_path = Path(settings.data_dir) / "worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"starting the worker (logs: {log_path}) ...", flush=True)
        with log_path.open("ab") as log_file:
            stack.worker = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                env=os.environ.copy(),
                start_new_session=True,
            )
        # for whoever must clean up after a dev that was itself killed (the e2e tests do)
        (Path(settings.data_dir) / "worker.pid").write_text(str(stack.worker.pid))
        wait_ready(settings.web_port, 120, stack.worker)
        print(f"worker ready: metrics at http://127.0.0.1:{settings.web_port}/metrics", flush=True)
        samples = Path(args.samples)
        expected = sum(1 for _ in read_jsonl(samples))
        sent = run_interruptible(
            stack, produce_lines(settings, settings.topic_raw, read_jsonl(samples))
        )
        print(f"replayed {sent} sample articles from {samples}; enriched output:", flush=True)

        async def show() -> None:
            seen = 0
            async for record in consume(
                settings,
                settings.topic_enriched,
                from_beginning=True,
                idle_timeout=args.idle_timeout if args.once else None,
            ):
                print(summary_line(jsonio.loads(record.value)), flush=True)
                seen += 1
                if args.once and seen >= expected:
                    return

        run_interruptible(stack, show())
        if not args.once:
            print("press Ctrl-C to stop", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stack.stop()
        print("stopped" + (" (interrupted)" if interrupted else ""), flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run the Faust worker").set_defaults(fn=cmd_worker)
    broker = sub.add_parser("broker", help="local Apache Kafka: start | stop | status | fetch")
    broker.add_argument("rest", nargs=argparse.REMAINDER)
    broker.set_defaults(fn=cmd_broker)
    topics = sub.add_parser("topics", help="create all topics (idempotent)")
    topics.add_argument("action", choices=["create"])
    topics.set_defaults(fn=cmd_topics)
    replay = sub.add_parser("replay", help="produce a JSONL file of raw articles")
    replay.add_argument("file")
    replay.add_argument(
        "--rate", type=float, default=0.0, help="articles/s (0: as fast as possible)"
    )
    replay.add_argument("--topic", default=None, help="target topic (default: the raw topic)")
    replay.set_defaults(fn=cmd_replay)
    tail = sub.add_parser("tail", help="print a topic's messages, one JSON document a line")
    tail.add_argument("topic", help="topic name, or raw | enriched | stories | dlq")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--max", type=int, default=None)
    tail.add_argument("--timeout", type=float, default=None, help="exit after S idle seconds")
    tail.set_defaults(fn=cmd_tail)
    stories = sub.add_parser(
        "stories", help="a live table of current stories (last value per key of `stories`)"
    )
    stories.add_argument(
        "--from-beginning",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read the compacted topic from its start (default) or only new updates",
    )
    stories.add_argument(
        "--max-rows", type=int, default=None, help="rows shown (default: fit the terminal)"
    )
    stories.add_argument("--timeout", type=float, default=None, help="exit after S idle seconds")
    stories.set_defaults(fn=cmd_stories)
    dev = sub.add_parser("dev", help="broker + worker + samples, live; Ctrl-C stops all")
    dev.add_argument("--samples", default=str(SAMPLES))
    dev.add_argument("--once", action="store_true", help="exit after the samples are processed")
    dev.add_argument("--idle-timeout", type=float, default=60.0)
    dev.set_defaults(fn=cmd_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "worker":
        sys.argv = [sys.argv[0], "worker"]
    else:
        from .logs import logging_config

        logging.config.dictConfig(logging_config(os.environ.get("NEWSFLOW_LOG_LEVEL", "warning")))
    try:
        return int(args.fn(args))
    except KafkaError as exc:
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
        print(f"error: Kafka at {servers}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
