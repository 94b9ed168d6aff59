"""The whole pipeline through a real Kafka broker: pipe limit, saturation, latency, cost.

    .venv/bin/python bench/bench_pipeline.py [--articles 2000] [--rates 50,200]
        [--rate-seconds 15] [--workers 1|2] [--input FILE.jsonl] [--quick]

Starts its own Apache Kafka (free port, temporary directory), then measures, on the same
broker and the same messages:

1. pipe limit: a pass-through consume -> orjson loads/dumps -> produce loop (aiokafka only);
2. saturation: N articles pre-loaded (then one closing article per raw partition, published
   after them all and not counted, standing for the feed going on: without it the last
   articles wait for the decision stage's partition idle timeout; ``--no-closing``), then one
   ``newsflow worker`` started; sustained
   articles/s from the enriched records' timestamps (first to last), its ratio to the pipe
   limit, worker CPU seconds per article (/proc utime+stime over the drain), peak RSS
   (VmHWM), per-stage µs/article from the worker's ``newsflow_stage_seconds`` histograms,
   and the worker's startup-to-ready time;
3. latency at fixed offered rates: enriched record timestamp minus the raw record's produce
   timestamp, matched by id (p50/p95/p99), and the latency a read_committed consumer sees;
4. with ``--workers 2``: one and two workers on 4 raw partitions, started on empty topics,
   then a burst of N articles: the scale-out ratio.

Writes bench/results/pipeline-<date>.json and prints a table. Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench._common import REPO
from bench.pipeline_data import generate
from service.broker import LocalBroker, free_port
from service.kafka_io import create_topics
from service.settings import Settings

RESULTS = REPO / "bench" / "results"
LOGS = RESULTS / "logs"  # worker logs of the latest run
CLK_TCK = os.sysconf("SC_CLK_TCK")
# --live: each latency-phase article is published "now" (published_at = its send time), as in a
# live feed, so the decision stage's event-time lateness shows in the latency.
LIVE = [False]
_METRIC = re.compile(r'^newsflow_stage_seconds_(sum|count)\{stage="(\w+)"\} ([0-9.e+-]+)$')


def load1() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def say(text: str) -> None:
    sys.stderr.write(f"\r\033[K{text}")
    sys.stderr.flush()


def note(text: str) -> None:
    sys.stderr.write(f"\r\033[K{text}\n")
    sys.stderr.flush()


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


# --------------------------------------------------------------------------- the worker


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the worker and its enrichment processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(x) for x in task.read_text().split())
    return out


def _tree_files(pid: int, name: str) -> list[str]:
    """/proc/<p>/<name> of ``pid`` and each live descendant (one that exited is skipped)."""
    texts = []
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            texts.append(Path(f"/proc/{p}/{name}").read_text())
    return texts


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its live descendants."""
    total = 0
    for stat in _tree_files(pid, "stat"):
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    """Sum of the peak RSS (VmHWM) of the process and its descendants (an upper bound of
    their peak together: shared pages count in each)."""
    total = 0
    for status in _tree_files(pid, "status"):
        total += sum(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM:"))
    return total / 1024


def http_status(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


@dataclass
class Worker:
    """A ``newsflow worker`` subprocess with its own web port and data dir."""

    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    ready_after: float | None = None
    cpu: list[tuple[float, float]] = field(default_factory=list)  # (wall time, cpu s)

    @property
    def port(self) -> int:
        return int(self.env["NEWSFLOW_WEB_PORT"])

    def start(self) -> None:
        Path(self.env["NEWSFLOW_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        self.started = time.time()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_ready(self, timeout: float = 180.0) -> float:
        assert self.proc is not None
        while time.time() - self.started < timeout:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise SystemExit(f"worker exited with {self.proc.returncode}:\n{tail}")
            status, _ = await asyncio.to_thread(http_status, f"http://127.0.0.1:{self.port}/ready")
            if status == 200:
                self.ready_after = time.time() - self.started
                return self.ready_after
            await asyncio.sleep(0.1)
        raise SystemExit(f"worker not ready after {timeout:.0f}s (log: {self.log_path})")

    def sample_cpu(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu.append((time.time(), cpu_seconds(self.proc.pid)))

    def cpu_at(self, when: float) -> float:
        """Worker CPU seconds at wall time ``when`` (linear between samples)."""
        pts = self.cpu
        if not pts:
            return 0.0
        if when <= pts[0][0]:
            return pts[0][1]
        for (t0, c0), (t1, c1) in itertools.pairwise(pts):
            if t0 <= when <= t1:
                return c0 + (c1 - c0) * (when - t0) / max(t1 - t0, 1e-9)
        return pts[-1][1]

    def stage_metrics(self) -> dict[str, tuple[float, float]]:
        _, body = http_status(f"http://127.0.0.1:{self.port}/metrics")
        out: dict[str, list[float]] = {}
        for line in body.decode(errors="replace").splitlines():
            m = _METRIC.match(line)
            if m:
                out.setdefault(m.group(2), [0.0, 0.0])[m.group(1) == "count"] = float(m.group(3))
        return {k: (v[0], v[1]) for k, v in out.items()}

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid) if self.proc and self.proc.poll() is None else 0.0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def worker_env(bootstrap: str, data_dir: Path, tag: str, app_id: str) -> dict[str, str]:
    """Environment with this run's own topics and app id (shared by the workers of a run)."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "NEWSFLOW_APP_ID": app_id,
        "NEWSFLOW_TOPIC_RAW": f"b-{tag}.articles.raw",
        "NEWSFLOW_TOPIC_ENRICHED": f"b-{tag}.articles.enriched",
        "NEWSFLOW_TOPIC_STORIES": f"b-{tag}.stories",
        "NEWSFLOW_TOPIC_DLQ": f"b-{tag}.articles.dlq",
        "NEWSFLOW_TOPIC_DEDUP": f"b-{tag}.dedup-input",
        "NEWSFLOW_WEB_PORT": str(free_port()),
        "NEWSFLOW_WEB_HOST": "127.0.0.1",
        "NEWSFLOW_DATA_DIR": str(data_dir),
        "NEWSFLOW_LOG_LEVEL": "warning",
    }


def settings_for(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        return Settings.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --------------------------------------------------------------------------- kafka helpers


async def produce(
    bootstrap: str,
    topic: str,
    records: list[tuple[bytes, bytes]],
    *,
    rate: float = 0.0,
    label: str = "produce",
) -> dict[bytes, float]:
    """Send records (optionally paced); returns key -> record timestamp (s) from the broker ack."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=0 if rate else 5, max_request_size=8_388_608
    )
    await producer.start()
    stamps: dict[bytes, float] = {}
    pending: list[tuple[bytes, asyncio.Future[Any]]] = []
    began = time.monotonic()
    try:
        for i, (key, value) in enumerate(records):
            if rate:
                delay = began + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if rate and LIVE[0]:
                doc = orjson.loads(value)
                doc["published_at"] = datetime.now(UTC).isoformat()
                value = orjson.dumps(doc)
            pending.append((key, await producer.send(topic, value, key=key)))
            if len(pending) >= 500:
                for k, fut in pending:
                    stamps[k] = (await fut).timestamp / 1000
                pending.clear()
            if i % 50 == 0:
                say(f"{label}: {i + 1}/{len(records)}")
        for k, fut in pending:
            stamps[k] = (await fut).timestamp / 1000
    finally:
        await producer.stop()
    return stamps


async def close_partitions(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], partitions: int
) -> None:
    """One more article on each raw partition, published after the whole backlog.

    The decision stage releases an article only once every raw partition has passed its
    publication time (event-time order). At the end of a finite backlog nothing comes after
    the last articles, so they waited for the partition idle timeout (10 s): a tail that a
    continuing feed never has, and that made a 400-article first-to-last rate read ~16/s at
    ~25/s. These closing articles stand for the feed going on; they are not counted."""
    docs = [orjson.loads(v) for _, v in records]
    latest = max(datetime.fromisoformat(d["published_at"]) for d in docs)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=8_388_608)
    await producer.start()
    try:
        for p in range(partitions):
            doc = dict(docs[p % len(docs)])
            doc["id"] = f"closing-{p}-{uuid.uuid4().hex[:8]}"
            doc["url"] = f"https://closing.example/{doc['id']}"
            doc["title"] = f"Closing article {p}"
            doc["published_at"] = (latest + timedelta(hours=1)).isoformat()
            await producer.send_and_wait(topic, orjson.dumps(doc), key=doc["id"].encode(),
                                         partition=p)  # fmt: skip
    finally:
        await producer.stop()


@dataclass
class Collected:
    """Output records of one topic: key -> (record timestamp, time this consumer saw it)."""

    seen: dict[bytes, tuple[float, float]] = field(default_factory=dict)


async def collect(
    bootstrap: str,
    topic: str,
    expected: int,
    out: Collected,
    *,
    idle_timeout: float,
    label: str,
    on_poll: Any = None,
) -> None:
    """Read committed records until ``expected`` keys are seen or nothing comes for a while."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
        fetch_max_bytes=16_777_216,
        max_partition_fetch_bytes=8_388_608,
    )
    await consumer.start()
    last = time.monotonic()
    began = time.monotonic()
    try:
        while len(out.seen) < expected and time.monotonic() - last < idle_timeout:
            batch = await consumer.getmany(timeout_ms=200, max_records=1000)
            now = time.time()
            for records in batch.values():
                for r in records:
                    if r.key and r.key.startswith(b"closing-"):
                        continue  # see close_partitions
                    out.seen.setdefault(r.key, (r.timestamp / 1000, now))
                last = time.monotonic()
            if on_poll is not None:
                on_poll()
            done = len(out.seen)
            rate = done / max(time.monotonic() - began, 1e-9)
            say(f"{label}: {done}/{expected} outputs ({rate:.0f}/s)")
    finally:
        await consumer.stop()


async def new_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


def drain_rate(stamps: list[float]) -> tuple[float, float]:
    """(articles/s, seconds) from first to last output timestamp."""
    if len(stamps) < 2:
        return 0.0, 0.0
    span = max(stamps) - min(stamps)
    return (len(stamps) - 1) / span if span > 0 else 0.0, span


# --------------------------------------------------------------------------- phases


async def pipe_limit(bootstrap: str, records: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """Pass-through consume -> loads/dumps -> produce, aiokafka + orjson only."""
    tag = uuid.uuid4().hex[:8]
    src, dst = f"pipe-{tag}.in", f"pipe-{tag}.out"
    await new_topics(bootstrap, [src, dst], 4)
    await produce(bootstrap, src, records, label="pipe: pre-load")
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=f"pipe-{tag}",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        fetch_max_bytes=16_777_216,
        max_partition_fetch_bytes=8_388_608,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await consumer.start()
    await producer.start()
    cpu0 = time.process_time()
    began = time.monotonic()
    done = 0
    try:
        while done < len(records):
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            futures = []
            for recs in batch.values():
                for r in recs:
                    doc = orjson.loads(r.value)
                    doc["passed_through"] = True
                    futures.append(await producer.send(dst, orjson.dumps(doc), key=r.key))
            if futures:
                await asyncio.gather(*futures)
            done += len(futures)
            say(f"pipe: {done}/{len(records)}")
            if time.monotonic() - began > 300:
                break
        wall = time.monotonic() - began
        cpu = time.process_time() - cpu0
    finally:
        await producer.stop()
        await consumer.stop()
    out = Collected()
    await collect(bootstrap, dst, len(records), out, idle_timeout=5, label="pipe: read back")
    rate, span = drain_rate([ts for ts, _ in out.seen.values()])
    return {
        "articles": done,
        "articles_per_s": round(rate, 1),
        "drain_s": round(span, 3),
        "wall_articles_per_s": round(done / wall, 1) if wall else None,
        "cpu_s_per_article": round(cpu / max(done, 1), 6),
    }


def _stage_table(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]):
    out: dict[str, float] = {}
    for stage, (s, n) in after.items():
        s0, n0 = before.get(stage, (0.0, 0.0))
        if n - n0 > 0:
            out[stage] = round((s - s0) / (n - n0) * 1e6, 1)
    return out


def _merge_metrics(workers: list[Worker]) -> dict[str, tuple[float, float]]:
    total: dict[str, tuple[float, float]] = {}
    for w in workers:
        for stage, (s, n) in w.stage_metrics().items():
            s0, n0 = total.get(stage, (0.0, 0.0))
            total[stage] = (s0 + s, n0 + n)
    return total


async def saturation(
    bootstrap: str,
    tmp: Path,
    records: list[tuple[bytes, bytes]],
    *,
    workers: int,
    preload: bool,
    label: str,
    closing: bool = True,
) -> dict[str, Any]:
    """N articles through ``workers`` workers as fast as they go; throughput and cost."""
    tag = uuid.uuid4().hex[:8]
    data = tmp / f"sat-{tag}"
    base = worker_env(bootstrap, data / "w0", tag, f"bench-{tag}")
    await create_topics(settings_for(base))
    envs = [base] + [
        {
            **base,
            "NEWSFLOW_WEB_PORT": str(free_port()),
            "NEWSFLOW_DATA_DIR": str(data / f"w{i}"),
        }
        for i in range(1, workers)
    ]
    procs = [Worker(env, LOGS / f"worker-{tag}-{i}.log") for i, env in enumerate(envs)]
    topic_raw, topic_out = base["NEWSFLOW_TOPIC_RAW"], base["NEWSFLOW_TOPIC_ENRICHED"]
    partitions = settings_for(base).raw_partitions
    if preload:
        await produce(bootstrap, topic_raw, records, label=f"{label}: pre-load")
        if closing:
            await close_partitions(bootstrap, topic_raw, records, partitions)
    out = Collected()
    try:
        for w in procs:
            w.start()
        ready = [await w.wait_ready() for w in procs]
        note(f"{label}: {workers} worker(s) ready in {', '.join(f'{r:.1f}s' for r in ready)}")
        before = _merge_metrics(procs)

        def poll() -> None:
            for w in procs:
                w.sample_cpu()

        poll()
        reader = asyncio.create_task(
            collect(
                bootstrap,
                topic_out,
                len(records),
                out,
                idle_timeout=60,
                label=label,
                on_poll=poll,
            )
        )
        if not preload:
            await produce(bootstrap, topic_raw, records, label=f"{label}: burst")
            if closing:
                await close_partitions(bootstrap, topic_raw, records, partitions)
        await reader
        poll()
        after = _merge_metrics(procs)
        rss = [round(w.peak_rss_mb(), 1) for w in procs]
    finally:
        for w in procs:
            w.stop()
    stamps = sorted(ts for ts, _ in out.seen.values())
    rate, span = drain_rate(stamps)
    tail = stamps[-1] - stamps[int(0.95 * (len(stamps) - 1))] if len(stamps) >= 2 else 0.0
    cpu = 0.0
    if len(stamps) >= 2:
        cpu = sum(w.cpu_at(stamps[-1]) - w.cpu_at(stamps[0]) for w in procs)
    stages = _stage_table(before if not preload else {}, after)
    ingest = ("validate", "clean", "entities", "dates", "features")
    return {
        "workers": workers,
        "preloaded": preload,
        "articles": len(records),
        "outputs": len(out.seen),
        "articles_per_s": round(rate, 1),
        "drain_s": round(span, 2),
        "closing_articles": closing,
        "last_5pct_s": round(tail, 2),
        "startup_to_ready_s": [round(r, 2) for r in ready],
        "cpu_s_per_article": round(cpu / max(len(stamps) - 1, 1), 5),
        "peak_rss_mb": rss,
        "stage_us": stages,
        "stage_us_ingest_total": round(sum(stages.get(s, 0.0) for s in ingest), 1),
        "dominant_stage": max(stages, key=lambda s: stages[s]) if stages else None,
    }


async def latency(
    bootstrap: str, tmp: Path, phases: list[tuple[float, list[tuple[bytes, bytes]]]]
) -> dict[str, Any]:
    """One worker on empty topics; offered rates one after the other, latency per rate."""
    tag = uuid.uuid4().hex[:8]
    env = worker_env(bootstrap, tmp / f"lat-{tag}", tag, f"bench-{tag}")
    await create_topics(settings_for(env))
    w = Worker(env, LOGS / f"worker-{tag}.log")
    w.start()
    ready = await w.wait_ready()
    note(f"latency: worker ready in {ready:.1f}s (empty topics, broker up)")
    await asyncio.sleep(2)  # let the first lag timer and rebalance settle
    results = []
    try:
        for rate, records in phases:
            out = Collected()
            w.sample_cpu()
            reader = asyncio.create_task(
                collect(
                    bootstrap,
                    env["NEWSFLOW_TOPIC_ENRICHED"],
                    len(records),
                    out,
                    idle_timeout=60,
                    label=f"latency @{rate:g}/s",
                    on_poll=w.sample_cpu,
                )
            )
            sent = await produce(
                bootstrap,
                env["NEWSFLOW_TOPIC_RAW"],
                records,
                rate=rate,
                label=f"latency @{rate:g}/s: offer",
            )
            await reader
            w.sample_cpu()
            lat = [(out.seen[k][0] - t) * 1000 for k, t in sent.items() if k in out.seen]
            vis = [(out.seen[k][1] - t) * 1000 for k, t in sent.items() if k in out.seen]
            stamps = [out.seen[k][0] for k in sent if k in out.seen]
            first, last = min(sent.values()), max(stamps) if stamps else 0.0
            achieved = len(stamps) / (last - first) if stamps and last > first else 0.0
            cpu = w.cpu_at(last) - w.cpu_at(first) if stamps else 0.0

            def r(x: float | None) -> float | None:
                return None if x is None else round(x, 1)

            results.append(
                {
                    "offered_per_s": rate,
                    "articles": len(records),
                    "outputs": len(lat),
                    "achieved_per_s": round(achieved, 1),
                    "latency_ms": {f"p{q}": r(pct(lat, q)) for q in (50, 95, 99)}
                    | {"max": r(max(lat) if lat else None)},
                    "visible_latency_ms": {f"p{q}": r(pct(vis, q)) for q in (50, 95, 99)},
                    "cpu_s_per_article": round(cpu / max(len(stamps), 1), 5),
                    "loadavg": load1(),
                }
            )
            lat_txt = ", ".join(f"{k} {v}" for k, v in results[-1]["latency_ms"].items())
            note(f"latency @{rate:g}/s: {lat_txt} ms")
        rss = round(w.peak_rss_mb(), 1)
    finally:
        w.stop()
    return {"startup_to_ready_s": round(ready, 2), "rates": results, "peak_rss_mb": rss}


# --------------------------------------------------------------------------- main


def encode(articles: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    return [(a["id"].encode(), orjson.dumps(a)) for a in articles]


def load_input(path: Path, n: int, prefix: str) -> list[dict[str, Any]]:
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    rows = [r for r in rows if isinstance(r, dict) and "_about" not in r]
    out = []
    for i in range(n):
        row = dict(rows[i % len(rows)])
        row["id"] = f"{prefix}-{i:06d}-{row.get('id', '')}"[:200]
        out.append(row)
    return out


def articles_for(args: argparse.Namespace, n: int, prefix: str, seed: int) -> list[dict]:
    if args.input:
        return load_input(Path(args.input), n, prefix)
    return generate(n, seed=seed, id_prefix=prefix)


def print_table(res: dict[str, Any]) -> None:
    pipe, sat = res["pipe"], res["saturation"]
    m = res["machine"]
    print(f"\nnewsflow pipeline benchmark  {res['date']}  cores={m['cores']}  "
          f"load {m['loadavg_start']} -> {m['loadavg_end']}")  # fmt: skip
    d = res["dataset"]
    print(f"articles: {sat['articles']}  avg words {d['avg_words']}  avg bytes {d['avg_bytes']}")
    print(f"{'pipe limit (aiokafka+orjson)':38} {pipe['articles_per_s']:>9.1f} articles/s")
    print(f"{'newsflow sustained (1 worker)':38} {sat['articles_per_s']:>9.1f} articles/s  "
          f"= {res['ratio_to_pipe'] * 100:.1f}% of pipe")  # fmt: skip
    tail_note = "" if sat.get("closing_articles") else "  (no closing articles: idle-timeout tail)"
    print(f"{'last 5% of outputs took':38} {sat['last_5pct_s']:>9.2f} s{tail_note}")
    print(f"{'worker CPU per article':38} {sat['cpu_s_per_article'] * 1000:>9.2f} ms")
    print(f"{'worker peak RSS':38} {max(sat['peak_rss_mb']):>9.1f} MB")
    print(f"{'startup to ready (broker up)':38} {res['latency']['startup_to_ready_s']:>9.2f} s")
    for r in res["latency"]["rates"]:
        lat, vis = r["latency_ms"], r["visible_latency_ms"]
        print(f"latency @{r['offered_per_s']:>5g}/s (achieved {r['achieved_per_s']:>6.1f}/s)  "
              f"p50 {lat['p50']} p95 {lat['p95']} p99 {lat['p99']} ms  "
              f"(read_committed view p99 {vis['p99']} ms)")  # fmt: skip
    print("per-stage µs/article: " + ", ".join(f"{k} {v:.0f}" for k, v in sat["stage_us"].items()))
    print(f"dominant stage: {sat['dominant_stage']}")
    if res.get("scaling"):
        s = res["scaling"]
        one, two = s["one"]["articles_per_s"], s["two"]["articles_per_s"]
        print(f"scale-out: 1 worker {one}/s, 2 workers {two}/s "
              f"-> x{s['ratio']:.2f} on {m['cores']} cores")  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = load1()
    rates = [float(x) for x in args.rates.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        shutil.rmtree(LOGS, ignore_errors=True)
        LOGS.mkdir(parents=True)
        broker = LocalBroker(data_dir=tmp / "kafka", port=free_port())
        began = time.monotonic()
        await asyncio.to_thread(broker.start)
        note(f"broker ready on {broker.bootstrap} in {time.monotonic() - began:.1f}s")
        try:
            articles = articles_for(args, args.articles, "sat", 11)
            records = encode(articles)
            pipe = await pipe_limit(broker.bootstrap, records)
            note(f"pipe limit: {pipe['articles_per_s']} articles/s")
            sat = await saturation(
                broker.bootstrap,
                tmp,
                records,
                workers=1,
                preload=True,
                label="saturation",
                closing=not args.no_closing,
            )
            note(f"saturation: {sat['articles_per_s']} articles/s")
            phases = [
                (rate, encode(articles_for(args, int(rate * args.rate_seconds), f"r{i}", 20 + i)))
                for i, rate in enumerate(rates)
            ]
            lat = await latency(broker.bootstrap, tmp, phases)
            scaling = None
            if args.workers > 1:
                burst = encode(articles_for(args, args.articles, "burst", 31))
                one = await saturation(
                    broker.bootstrap, tmp, burst, workers=1, preload=False, label="scale x1",
                    closing=not args.no_closing,
                )  # fmt: skip
                two = await saturation(
                    broker.bootstrap, tmp, burst, workers=2, preload=False, label="scale x2",
                    closing=not args.no_closing,
                )  # fmt: skip
                ratio = (
                    two["articles_per_s"] / one["articles_per_s"] if one["articles_per_s"] else 0
                )
                scaling = {"one": one, "two": two, "ratio": round(ratio, 3)}
        finally:
            await asyncio.to_thread(broker.stop)
    words = [len(a["body"].split()) for a in articles]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": {
            "cores": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)),
            "loadavg_start": load_start,
            "loadavg_end": load1(),
        },
        "dataset": {
            "source": args.input or "generated (bench/pipeline_data.py)",
            "avg_words": round(statistics.mean(words)),
            "min_words": min(words),
            "max_words": max(words),
            "avg_bytes": round(statistics.mean(len(v) for _, v in records)),
        },
        "pipe": pipe,
        "saturation": sat,
        "ratio_to_pipe": round(sat["articles_per_s"] / pipe["articles_per_s"], 4)
        if pipe["articles_per_s"]
        else 0.0,
        "latency": lat,
        "scaling": scaling,
        "label": args.label,
        "live": args.live,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000, help="articles for saturation runs")
    ap.add_argument("--rates", default="50,200", help="offered rates, articles/s")
    ap.add_argument("--rate-seconds", type=float, default=15.0, help="seconds per offered rate")
    ap.add_argument("--workers", type=int, default=1, choices=(1, 2), help="2: scale-out too")
    ap.add_argument("--input", default=None, help="raw articles JSONL instead of generated")
    ap.add_argument("--quick", action="store_true", help="400 articles, 6 s per rate")
    ap.add_argument("--label", default="", help="free text stored in the result file")
    ap.add_argument("--live", action="store_true", help="latency articles published at send")
    ap.add_argument(
        "--no-closing",
        action="store_true",
        help="no closing article per raw partition after the backlog (the old measure: the "
        "last articles then wait for the partition idle timeout)",
    )
    args = ap.parse_args(argv)
    LIVE[0] = args.live
    if args.quick:
        args.articles, args.rate_seconds = min(args.articles, 400), min(args.rate_seconds, 6.0)
    result = asyncio.run(run(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"pipeline-{stamp}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print_table(result)
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
