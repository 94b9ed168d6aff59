"""Copy recall/precision of a 4-partition replay in publication order (issue 12's experiment).

    .venv/bin/python bench/eval_event_order.py [--originals 120] [--repo TREE] [--partitions 4]

Originals are real articles (BASIL bodies, /work/shared/datasets/basil.raw.jsonl; without it,
the project's own generator, bench/pipeline_data.py, and the script says so). Each gets five
copies from other outlets, published 20 to 170 minutes after it: syndicated with boilerplate,
light word edits, paragraphs reordered, truncated to half, a byline change. The whole file is
produced in publication order, keyed by id, into a raw topic of ``--partitions`` partitions
while a real worker (of the source tree ``--repo``, default this one: pass a checkout of main
to measure "before") runs against a local broker. It prints, over the copies, the recall of
exact/near flags pointing into the copy's own group, the precision of every exact/near flag,
and how many originals were flagged exact/near of an article published after them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, SHARED, read_jsonl
from bench.pipeline_data import generate
from service import jsonio
from service.broker import LocalBroker, free_port
from service.kafka_io import consume, create_topics, produce_lines
from service.settings import Settings

BASIL = SHARED / "datasets" / "basil.raw.jsonl"
WIRES = ["wire-a.example", "wire-b.example", "wire-c.example", "wire-d.example", "wire-e.example"]
WORDS = ["reportedly", "officials", "Tuesday", "statement", "also", "former", "new", "said"]


def originals(n: int, seed: int) -> tuple[list[dict[str, Any]], str]:
    if BASIL.exists():
        rows = read_jsonl(BASIL)
        source = f"BASIL bodies ({BASIL})"
    else:
        print(f"{BASIL} not found: originals from bench/pipeline_data.py instead", flush=True)
        rows = [a for a in generate(4 * n, seed=seed, dup_share=0.0)]
        source = "generated (bench/pipeline_data.py)"
    rng = random.Random(seed)
    rows = [r for r in rows if len(r["body"].split()) >= 120]
    return rng.sample(rows, min(n, len(rows))), source


def copies(orig: dict[str, Any], rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, title, body) of the five copies."""
    body, title = orig["body"], orig["title"]
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    words = body.split(" ")
    for _ in range(max(3, len(words) // 50)):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    shuffled = paragraphs[:]
    rng.shuffle(shuffled)
    half = " ".join(body.split(" ")[: len(body.split(" ")) // 2])
    return [
        (
            "syndicated",
            title,
            f"{body}\n\nThis article was distributed by a wire service. All rights reserved. "
            "Subscribe for unlimited access to our journalism.",
        ),
        ("edited", title, " ".join(words)),
        ("reordered", title, "\n\n".join(shuffled)),
        ("truncated", title, half),
        ("byline", title, f"By {rng.choice(['Ana Diaz', 'Tom Berg', 'Lea Roux'])}\n\n{body}"),
    ]


def build(n: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, str], str]:
    """The file in publication order, and each article's group (its original's id)."""
    rng = random.Random(seed)
    base, source = originals(n, seed)
    out: list[dict[str, Any]] = []
    group: dict[str, str] = {}
    for i, orig in enumerate(base):
        oid = f"orig-{i:04d}"
        when = datetime.fromisoformat(orig["published_at"]).astimezone(UTC)
        out.append({**orig, "id": oid, "url": f"https://origin.example/{oid}"})
        group[oid] = oid
        minutes = sorted(rng.sample(range(20, 171), 5))
        for j, (kind, title, body) in enumerate(copies(orig, rng)):
            cid = f"copy-{i:04d}-{kind}"
            out.append(
                {
                    "id": cid,
                    "source": WIRES[j],
                    "url": f"https://{WIRES[j]}/{cid}",
                    "title": title,
                    "body": body,
                    "published_at": (when + timedelta(minutes=minutes[j])).isoformat(),
                    "language": "en",
                }
            )
            group[cid] = oid
    out.sort(key=lambda a: (datetime.fromisoformat(a["published_at"]).astimezone(UTC), a["id"]))
    return out, group, source


def ts(article: dict[str, Any]) -> float:
    return datetime.fromisoformat(article["published_at"]).astimezone(UTC).timestamp()


async def replay(
    repo: Path, articles: list[dict[str, Any]], partitions: int, tmp: Path
) -> list[dict[str, Any]]:
    broker = LocalBroker(data_dir=tmp / "kafka", port=free_port())
    await asyncio.to_thread(broker.start)
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "NEWSFLOW_APP_ID": f"eval-{tag}",
        "NEWSFLOW_TOPIC_RAW": f"e-{tag}.raw",
        "NEWSFLOW_TOPIC_ENRICHED": f"e-{tag}.enriched",
        "NEWSFLOW_TOPIC_STORIES": f"e-{tag}.stories",
        "NEWSFLOW_TOPIC_DLQ": f"e-{tag}.dlq",
        "NEWSFLOW_TOPIC_DEDUP": f"e-{tag}.dedup-input",
        "NEWSFLOW_RAW_PARTITIONS": str(partitions),
        "NEWSFLOW_WEB_PORT": str(free_port()),
        "NEWSFLOW_WEB_HOST": "127.0.0.1",
        "NEWSFLOW_DATA_DIR": str(tmp / "data"),
        "NEWSFLOW_LOG_LEVEL": "warning",
    }
    settings = Settings(
        bootstrap_servers=broker.bootstrap,
        app_id=env["NEWSFLOW_APP_ID"],
        topic_raw=env["NEWSFLOW_TOPIC_RAW"],
        topic_enriched=env["NEWSFLOW_TOPIC_ENRICHED"],
        topic_stories=env["NEWSFLOW_TOPIC_STORIES"],
        topic_dlq=env["NEWSFLOW_TOPIC_DLQ"],
        topic_dedup=env["NEWSFLOW_TOPIC_DEDUP"],
        raw_partitions=partitions,
    )
    log = (tmp / "worker.log").open("wb")
    proc = None
    try:
        await create_topics(settings)
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            cwd=repo,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        began = time.monotonic()
        while True:  # ready: the web port answers /ready with 200
            if proc.poll() is not None or time.monotonic() - began > 300:
                raise SystemExit(f"worker did not start, log: {tmp / 'worker.log'}")
            code = await asyncio.to_thread(_status, f"http://127.0.0.1:{env['NEWSFLOW_WEB_PORT']}")
            if code == 200:
                break
            await asyncio.sleep(0.5)
        pairs = [(a["id"].encode(), jsonio.dumps(a)) for a in articles]
        await produce_lines(settings, settings.topic_raw, pairs)
        want = {a["id"] for a in articles}
        deadline = time.monotonic() + 900
        while True:
            out = [
                jsonio.loads(r.value)
                async for r in consume(settings, settings.topic_enriched, idle_timeout=2.0)
            ]
            seen = {a["id"] for a in out}
            print(f"  {len(seen)}/{len(want)} decided", flush=True)
            if want <= seen or time.monotonic() > deadline:
                return out
            await asyncio.sleep(5)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(60)
        log.close()
        await asyncio.to_thread(broker.stop)


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/ready", timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def score(articles: list[dict[str, Any]], group: dict[str, str], out: list[dict[str, Any]]) -> None:
    published = {a["id"]: ts(a) for a in articles}
    decided = {a["id"]: a for a in out}
    copy_ids = [a for a in group if a != group[a]]
    flagged = [a for a in decided.values() if a["duplicate_kind"] in ("exact", "near")]
    hit = [
        c
        for c in copy_ids
        if decided.get(c, {}).get("duplicate_kind") in ("exact", "near")
        and group.get(decided[c]["duplicate_of"]) == group[c]
    ]
    right = [a for a in flagged if a["id"] != group[a["id"]] and
             group.get(a["duplicate_of"]) == group[a["id"]]]  # fmt: skip
    backwards = [
        a
        for a in flagged
        if a["id"] == group[a["id"]] and published[a["duplicate_of"]] > published[a["id"]]
    ]
    later = [a for a in out if a["duplicate_of"] and published[a["duplicate_of"]] > ts(a)]
    late = sum(1 for a in out if (a.get("evidence") or {}).get("late"))
    by_kind: dict[str, list[int]] = {}
    for c in copy_ids:
        k = c.rsplit("-", 1)[1]
        by_kind.setdefault(k, [0, 0])[1] += 1
        by_kind[k][0] += c in hit
    print(f"articles decided: {len(decided)}/{len(articles)}")
    print(f"copies: {len(copy_ids)}; exact/near flags: {len(flagged)}")
    print(f"copy recall (exact/near into its own group): {len(hit) / max(len(copy_ids), 1):.3f}")
    print(f"exact/near precision: {len(right) / max(len(flagged), 1):.3f}")
    print(f"originals flagged exact/near of a later article: {len(backwards)}")
    print(f"any duplicate_of pointing to a later-published article: {len(later)}")
    print(f"articles marked late: {late}")
    print("recall by copy kind: " + ", ".join(f"{k} {h}/{n}" for k, (h, n) in by_kind.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--originals", type=int, default=120)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--repo", default=str(REPO), help="source tree whose worker runs")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args(argv)
    articles, group, source = build(args.originals, args.seed)
    print(f"{len(articles)} articles ({args.originals} originals x 6) from {source}")
    print(f"worker: {args.repo}, {args.partitions} raw partitions, produced in publication order")
    with tempfile.TemporaryDirectory(prefix="newsflow-eval-") as tmp:
        out = asyncio.run(replay(Path(args.repo), articles, args.partitions, Path(tmp)))
    score(articles, group, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
