"""How long a busy worker takes to stop after SIGTERM, over N runs (issue 15).

A real local broker, one topic set with a backlog larger than all runs consume, and for each
run: start `newsflow worker`, wait for /ready, wait until it has consumed a few dozen
articles since (so it is mid-stream: enriching, deciding, committing), send SIGTERM and time
the exit. Every run resumes from the previous run's commits, so each stop also proves that the
next start recovers. Prints each run and the distribution (min, median, p90, max), and how
many stops hit the worker's own bound (NEWSFLOW_SHUTDOWN_TIMEOUT_S, exit code 3).

    .venv/bin/python bench/bench_shutdown.py --runs 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_pipeline import Worker, http_status, load1, settings_for, worker_env
from bench.pipeline_data import generate
from service import jsonio
from service.broker import LocalBroker, free_port
from service.kafka_io import create_topics, produce_lines

CONSUMED = re.compile(r"^newsflow_articles_consumed_total ([0-9.e+]+)$", re.M)


def consumed(port: int) -> float:
    status, body = http_status(f"http://127.0.0.1:{port}/metrics")
    match = CONSUMED.search(body.decode(errors="replace")) if status == 200 else None
    return float(match.group(1)) if match else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_run(env: dict[str, str], log: Path, busy_after: int) -> tuple[float, int, float]:
    """(seconds from SIGTERM to exit, exit code, articles consumed before the signal)."""
    worker = Worker(env=env, log_path=log)
    worker.start()
    await worker.wait_ready()
    deadline = time.monotonic() + 120
    while consumed(worker.port) < busy_after and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    seen = consumed(worker.port)
    assert worker.proc is not None
    began = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    while worker.proc.poll() is None:
        await asyncio.sleep(0.02)
        if time.monotonic() - began > 120:  # far beyond the worker's own bound: a hang
            worker.proc.kill()
            worker.proc.wait()
            return time.monotonic() - began, -9, seen
    return time.monotonic() - began, int(worker.proc.returncode), seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backlog", type=int, default=6000, help="articles produced up front")
    parser.add_argument("--busy-after", type=int, default=40, help="articles consumed first")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-shutdown-"))
    broker = LocalBroker(data_dir=tmp / "kafka", port=free_port())
    broker.start()
    try:
        asyncio.run(runs(args, broker, tmp))
    finally:
        broker.stop()
    return 0


async def runs(args: argparse.Namespace, broker: LocalBroker, tmp: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    env = worker_env(broker.bootstrap, tmp / "w", tag, f"bench-shutdown-{tag}")
    env["NEWSFLOW_RAW_PARTITIONS"] = "4"
    settings = settings_for(env)
    await create_topics(settings)
    articles = generate(args.backlog, seed=15, id_prefix=f"s{tag}")
    pairs = [(a["id"].encode(), jsonio.dumps(a)) for a in articles]
    await produce_lines(settings, settings.topic_raw, pairs)
    print(f"backlog {len(pairs)} articles; load average {load1()[0]:.1f} (2 cores, shared)")
    times: list[float] = []
    codes: list[int] = []
    for i in range(args.runs):
        took, code, seen = await one_run(env, tmp / f"worker-{i}.log", args.busy_after)
        times.append(took)
        codes.append(code)
        print(f"run {i + 1}: SIGTERM after {seen:.0f} consumed -> exit {code} in {took:.2f}s")
    print(
        f"shutdown seconds over {len(times)} runs: min {min(times):.2f}, median "
        f"{statistics.median(times):.2f}, p90 {pct(times, 0.9):.2f}, max {max(times):.2f}; "
        f"exit codes {sorted(set(codes))}; bound hit {codes.count(3)}; killed {codes.count(-9)}"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
