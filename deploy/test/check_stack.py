"""Checks of the running compose stack for deploy/test/test_deploy.sh, from the host.

Everything goes to 127.0.0.1, to the ports the stack publishes there: Kafka's EXTERNAL listener
and Prometheus' HTTP API. Kafka is read with the project's own consumer (service.kafka_io,
isolation read_committed), so aborted or uncommitted transactions never count.

  produce BOOTSTRAP PREFIX [--rate R]        the samples again, each id prefixed with PREFIX
  enriched BOOTSTRAP PREFIX... [--timeout S]  every sample id under each PREFIX ("" for the
                                              originals) is on articles.enriched exactly once,
                                              and no other id is
  prometheus URL WORKERS [--enriched N]       WORKERS targets of job newsflow-worker are up == 1
                                              (and sum(newsflow_articles_enriched_total) == N)
Each prints what it saw and exits 1 when the check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from service import jsonio
from service.cli import SAMPLES, read_jsonl
from service.kafka_io import consume, produce_lines
from service.settings import Settings


def sample_ids() -> list[str]:
    return [key.decode() for key, _ in read_jsonl(Path(SAMPLES)) if key is not None]


def prefixed_samples(prefix: str) -> list[tuple[bytes | None, bytes]]:
    """The sample articles with `prefix` before each id: new articles with the same content."""
    records = []
    for _, value in read_jsonl(Path(SAMPLES)):
        doc = jsonio.loads(value)
        doc["id"] = prefix + doc["id"]
        records.append((doc["id"].encode(), jsonio.dumps(doc)))
    return records


def settings_for(bootstrap: str) -> Settings:
    return replace(Settings.from_env(), bootstrap_servers=bootstrap)


def cmd_produce(args: argparse.Namespace) -> int:
    settings = settings_for(args.bootstrap)
    records = prefixed_samples(args.prefix)
    sent = asyncio.run(produce_lines(settings, settings.topic_raw, records, rate=args.rate))
    print(f"produced {sent} articles with ids {args.prefix}sample-*")
    return 0 if sent == len(records) else 1


async def enriched_counts(settings: Settings, idle_s: float) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    async for record in consume(settings, settings.topic_enriched, idle_timeout=idle_s):
        article = jsonio.loads(record.value)
        if record.key is None or article.get("id") != record.key.decode():
            counts[f"<key {record.key!r} vs id {article.get('id')!r}>"] += 1
        else:
            counts[article["id"]] += 1
    return counts


def cmd_enriched(args: argparse.Namespace) -> int:
    settings = settings_for(args.bootstrap)
    wanted = {prefix + sid for prefix in args.prefixes for sid in sample_ids()}
    deadline = time.monotonic() + args.timeout
    while True:
        counts = asyncio.run(enriched_counts(settings, idle_s=5.0))
        missing = sorted(wanted - set(counts))
        if not missing or time.monotonic() > deadline:
            break
        print(f"  {len(wanted) - len(missing)}/{len(wanted)} enriched so far; waiting")
        time.sleep(3)
    duplicated = {k: n for k, n in counts.items() if n > 1}
    unexpected = sorted(set(counts) - wanted)
    print(
        f"articles.enriched (read_committed): {sum(counts.values())} records, "
        f"{len(counts)} ids; wanted {len(wanted)}"
    )
    problems = {"missing": missing, "duplicated": duplicated, "unexpected": unexpected}
    for label, bad in problems.items():
        if bad:
            print(f"  {label}: {bad}")
    return 0 if not (missing or duplicated or unexpected) else 1


def prom_query(url: str, query: str) -> list[dict[str, Any]]:
    full = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    with urllib.request.urlopen(full, timeout=5) as response:
        doc = json.load(response)
    if doc.get("status") != "success":
        raise RuntimeError(f"{query}: {doc}")
    return list(doc["data"]["result"])


def cmd_prometheus(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    up: dict[str, float] = {}
    total = None
    while True:
        try:
            up = {
                r["metric"]["instance"]: float(r["value"][1])
                for r in prom_query(args.url, 'up{job="newsflow-worker"}')
            }
            result = prom_query(args.url, "sum(newsflow_articles_enriched_total)")
            total = float(result[0]["value"][1]) if result else None
        except OSError as exc:
            print(f"  prometheus not answering yet: {exc}")
        if passed(args, up, total):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(3)
    print(f"prometheus: up{{job=newsflow-worker}} = {up}; sum(enriched_total) = {total}")
    return 0 if passed(args, up, total) else 1


def passed(args: argparse.Namespace, up: dict[str, float], total: float | None) -> bool:
    workers_up = len(up) == args.workers and all(v == 1 for v in up.values())
    return workers_up and (args.enriched is None or total == args.enriched)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("produce")
    p.add_argument("bootstrap")
    p.add_argument("prefix")
    p.add_argument("--rate", type=float, default=0.0)
    p.set_defaults(fn=cmd_produce)
    p = sub.add_parser("enriched")
    p.add_argument("bootstrap")
    p.add_argument("prefixes", nargs="+")
    p.add_argument("--timeout", type=float, default=180.0)
    p.set_defaults(fn=cmd_enriched)
    p = sub.add_parser("prometheus")
    p.add_argument("url")
    p.add_argument("workers", type=int)
    p.add_argument("--enriched", type=int, default=None)
    p.add_argument("--timeout", type=float, default=120.0)
    p.set_defaults(fn=cmd_prometheus)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
