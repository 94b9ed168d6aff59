"""Decision-stage benchmark: ``DedupEngine.decide`` alone over plain dicts, on one core.

    .venv/bin/python bench/bench_dedup.py [--n 20000] [--min-rate 5000]

Synthetic features (seeded): Zipf-distributed title+lead vocabulary, a pool of entities, event
dates, random MinHash signatures; 5% of articles are exact copies and 10% near copies (15% of
the slots redrawn) of a recent article, 30% share a story's terms, half its body terms and its
entities; every article carries 64 body terms (``body_terms``). One article
every 2 s of stream time, so the 72 h story window and the index fill as in production.
Prints decisions/s, p50/p99 microseconds per decision (``expire`` every 500 decisions, as the
agent does), the time to rebuild the in-memory indexes from the tables, and (a second run under
tracemalloc) the memory per article: all of it, the persisted tables (``articles`` + ``stories``)
and the in-memory indexes; plus table writes (changelog records) per decision.
Exits 1 when decisions/s < --min-rate.

Beyond one core: the stage is single-partition so story ids are consistent. To shard it,
partition the near-copy index by LSH band key (band b of every article goes to shard
hash(key) % S): each article's 32 band keys fan out to the shards owning them, each shard
answers with the candidate ids it holds, and the verification (Jaccard, containment, numbers)
runs at the article's home partition, which needs only the candidates' small records. The story
assignment shards the same way by the story inverted-index keys (terms/entities), returning
candidate stories with their signals; the final pick, story id and state update stay in one
ordered decider keyed by story id (the first article's id hash), so ids stay stable. With
Kafka this is two hops (fan-out topic keyed by band key, results topic keyed by article id)
and costs latency, not determinism, as long as each article waits for all of its shard replies.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from typing import Any

import numpy as np
import orjson
from dedup_data import ROOT  # noqa: F401  (puts the repo on sys.path)

from service.dedup import DedupConfig, DedupEngine
from service.dedup.scoring import BODY_TERMS
from service.dedup.signatures import NUM_PERM

VOCAB = 50_000
EXPIRE_EVERY = 500  # as service/agents/dedup.py
ENTITIES = 5_000


def _body_terms(rng: np.random.Generator, n: int) -> dict[str, int]:
    """A body term vector as ``article_features`` makes one: n distinct Zipf-drawn words, the
    more frequent ones counted more."""
    out: dict[str, int] = {}
    while len(out) < n:
        w = int(rng.zipf(1.2)) % VOCAB
        out[f"b{w}"] = out.get(f"b{w}", 0) + 1
    return out


def synthetic(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    t0 = 1_772_700_000.0
    out: list[dict[str, Any]] = []
    for i in range(n):
        ts = t0 + 2.0 * i
        r = rng.random()
        if out and r < 0.15:
            base = out[-1 - int(rng.integers(0, min(len(out), 500)))]
            sig = list(base["signature"])
            if r >= 0.05:
                for slot in rng.choice(NUM_PERM, size=NUM_PERM * 15 // 100, replace=False):
                    sig[int(slot)] = int(rng.integers(0, 2**32))
            f = {
                **base,
                "signature": sig,
                "exact": base["exact"] if r < 0.05 else f"{i:032x}"[::-1],
            }
        elif out and r < 0.45:
            base = out[-1 - int(rng.integers(0, min(len(out), 2000)))]
            terms = dict(base["terms"])
            for w in rng.zipf(1.3, size=8) % VOCAB:
                terms[f"w{w}"] = terms.get(f"w{w}", 0) + 1
            body = dict(list(base["body_terms"].items())[: BODY_TERMS // 2])
            body.update(_body_terms(rng, BODY_TERMS - len(body)))
            f = {
                **base,
                "exact": f"{i:032x}"[::-1],
                "lead_key": f"ld{i:012x}",
                "signature": [int(x) for x in rng.integers(0, 2**32, size=NUM_PERM)],
                "terms": terms,
                "body_terms": body,
            }
        else:
            terms = {}
            for w in rng.zipf(1.3, size=40) % VOCAB:
                terms[f"w{w}"] = terms.get(f"w{w}", 0) + 1
            ents = rng.zipf(1.5, size=6) % ENTITIES
            day = time.strftime("%Y-%m-%d", time.gmtime(ts - 86400 * int(rng.integers(0, 3))))
            f = {
                "source": f"outlet{int(rng.integers(0, 300))}.example",
                "title": f"synthetic title {i}",
                "exact": f"{i:032x}"[::-1],
                "signature": [int(x) for x in rng.integers(0, 2**32, size=NUM_PERM)],
                "n_shingles": int(rng.integers(80, 900)),
                "lead_key": f"ld{i:012x}",
                "numbers": sorted({str(int(x)) for x in rng.integers(0, 500, size=6)}),
                "lead_numbers": [str(int(rng.integers(0, 100)))],
                "terms": terms,
                "body_terms": _body_terms(rng, BODY_TERMS),
                "entities": [
                    {"id": f"Q{e}", "name": f"Entity {e}", "type": "ORG", "count": 1}
                    for e in dict.fromkeys(int(x) for x in ents)
                ],
                "dates": [day],
            }
        out.append(
            {
                **f,
                "id": f"a{i:07d}",
                "published_ts": ts,
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts)),
            }
        )
    return out


class CountingTable(dict[str, Any]):
    """A dict counting the writes a Faust table would turn into changelog records."""

    writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self.writes += key in self
        return super().pop(key, *default)


def new_engine(counting: bool = False) -> tuple[DedupEngine, list[dict[str, Any]]]:
    tables: list[dict[str, Any]] = [CountingTable(), CountingTable()] if counting else [{}, {}]
    return DedupEngine(DedupConfig(), *tables), tables


def replay(engine: DedupEngine, feats: list[bytes]) -> None:
    """Decide every article (decoded from JSON, as the agent gets it, so nothing the engine
    keeps is shared with the input), expiring every ``EXPIRE_EVERY`` like the agent does."""
    for i, raw in enumerate(feats, 1):
        f = orjson.loads(raw)
        engine.decide(f)
        if i % EXPIRE_EVERY == 0:
            engine.expire(f["published_ts"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--min-rate", type=float, default=5_000.0)
    args = ap.parse_args(argv)
    feats = synthetic(args.n)

    engine, _ = new_engine()
    lat = []
    kinds: dict[Any, int] = {}
    began = time.perf_counter()
    cpu = time.process_time()
    for i, f in enumerate(feats, 1):
        t = time.perf_counter_ns()
        d = engine.decide(f)
        if i % EXPIRE_EVERY == 0:
            engine.expire(f["published_ts"])
        lat.append(time.perf_counter_ns() - t)
        kinds[d.duplicate_kind] = kinds.get(d.duplicate_kind, 0) + 1
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    rate = args.n / elapsed
    q = statistics.quantiles(lat, n=100)
    print(
        f"{args.n} decisions in {elapsed:.2f} s: {rate:,.0f} decisions/s on one core "
        f"({args.n / cpu:,.0f}/s of CPU time: the figure a loaded, shared machine distorts least)"
    )
    print(f"latency p50 {q[49] / 1000:.0f} us, p99 {q[98] / 1000:.0f} us; kinds {kinds}")

    began = time.perf_counter()
    fresh = DedupEngine(DedupConfig(), engine.articles, engine.stories)
    fresh.rebuild()
    print(f"rebuild from the tables: {time.perf_counter() - began:.2f} s")
    del engine, fresh

    encoded = [orjson.dumps(f) for f in feats]
    del feats
    engine, tables = new_engine(counting=True)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    replay(engine, encoded)
    gc.collect()
    total = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    articles, stories = tables
    persisted = _deep_size(articles) + _deep_size(stories)
    writes = sum(t.writes for t in tables)  # type: ignore[attr-defined]
    print(
        f"memory per article: {total / args.n:,.0f} B in all (traced), of which persisted "
        f"tables {persisted / args.n:,.0f} B and in-memory indexes "
        f"{(total - persisted) / args.n:,.0f} B; {len(articles)} articles, {len(stories)} stories"
    )
    print(f"table writes (changelog records) per decision: {writes / args.n:.2f}")
    if rate < args.min_rate:
        print(f"FAIL: {rate:,.0f} decisions/s < {args.min_rate:,.0f}", file=sys.stderr)
        return 1
    return 0


def _deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes held by a container of str/int/float/list/dict (shared objects counted once)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple):
        size += sum(_deep_size(v, seen) for v in obj)
    return size


if __name__ == "__main__":
    sys.exit(main())
