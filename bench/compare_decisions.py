"""Record every decision of the evaluation streams, or compare two recordings (issue 13, speed).

    .venv/bin/python bench/compare_decisions.py --write before.json [--features feats.json]
    .venv/bin/python bench/compare_decisions.py --compare before.json after.json

Proof that a speed change leaves every decision as it was: run ``--write`` on the old code and
on the new (same features: ``--features`` caches them on the first run and reuses them on the
next, so the enrichment runs once), then ``--compare``. Streams, each replayed as its script
does:
- ``bench/eval_stories.py``: BASIL as published and aligned in time (when ``../shared`` is
  present), the own dev set as published and aligned, the seed cases inside the dev stream
  (both modes); ``expire`` every 500 decisions;
- ``bench/eval_dedup.py``: the dev set plus its derived near-copies, both modes, no expiry;
- ``bench/bench_dedup.py``'s synthetic stream (20,000 articles, decoded from JSON as the agent
  gets them), ``expire`` every 500;
- the aligned dedup and BASIL streams with about 10% of their ids decided again later.
Recorded per article: story_id, duplicate_of, duplicate_kind, similarity, the whole evidence
and the story payload; per stream: a SHA-256 of both tables (``articles``, ``stories``; floats
at full precision) at the end, every story's count of mean-cosine vectors, and a restart check:
at mid-stream a second engine is rebuilt from the tables (``rebuild()``) and decides the rest;
its decisions and final tables must equal the uninterrupted engine's. ``--compare`` prints the
differences and exits 1 on any.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from bench_dedup import synthetic
from dedup_data import derive_variants, load_dev
from story_data import (
    basil_available,
    featurize,
    load_basil,
    load_enricher,
    load_own,
    load_seed_cases,
)

from service.dedup import DedupConfig, DedupEngine

EXPIRE_EVERY = 500  # as service/agents/dedup.py


def streams(cache: Path | None) -> dict[str, tuple[list[dict[str, Any]], bool]]:
    """name -> (features in decision order, expire as the agent does)."""
    if cache is not None and cache.exists():
        raw = orjson.loads(cache.read_bytes())
        return {k: (v["features"], v["expire"]) for k, v in raw.items()}
    enricher = load_enricher()
    out: dict[str, tuple[list[dict[str, Any]], bool]] = {}
    if basil_available():
        for aligned in (False, True):
            rows = load_basil(aligned)
            out[f"stories: BASIL {'aligned' if aligned else 'published'}"] = (
                featurize(rows, enricher),
                True,
            )
    else:
        print("SKIP BASIL: ../shared/datasets not found", file=sys.stderr)
    own = load_own()
    dev = [r for r in own if not r["id"].startswith("seed-")]
    seed = load_seed_cases()
    for align in (False, True):
        mode = "aligned" if align else "published"
        out[f"stories: own {mode}"] = (featurize(own, enricher, align=align), True)
        out[f"stories: seed cases {mode}"] = (
            featurize([*seed, *dev], enricher, align=align),
            True,
        )
    rows = load_dev()
    rows = rows + derive_variants(rows)
    for align in (False, True):
        mode = "aligned" if align else "published"
        out[f"dedup: dev + copies {mode}"] = (featurize(rows, enricher, align=align), False)
    out["bench: synthetic 20000"] = (
        [orjson.loads(orjson.dumps(f)) for f in synthetic(20_000)],
        True,
    )
    if cache is not None:
        cache.write_bytes(
            orjson.dumps({k: {"features": f, "expire": e} for k, (f, e) in out.items()})
        )
    return out


def _digest(table: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(table, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _record(d: Any) -> list[Any]:
    return [d.story_id, d.duplicate_of, d.duplicate_kind, d.similarity, d.evidence, d.story]


def replay(feats: list[dict[str, Any]], expire: bool) -> dict[str, Any]:
    engine = DedupEngine(DedupConfig(), {}, {})
    half = len(feats) // 2
    decisions: list[list[Any]] = []
    restarted: list[list[Any]] = []
    second: DedupEngine | None = None
    began = time.process_time()
    for i, f in enumerate(feats, 1):
        if i == half + 1:  # a restart: a second engine over copies of the tables, rebuilt
            second = DedupEngine(DedupConfig(), orjson.loads(orjson.dumps(engine.articles)), {})
            second.stories.update(orjson.loads(orjson.dumps(engine.stories)))
            second.rebuild()
        decisions.append([f["id"], *_record(engine.decide(f))])
        if second is not None:
            restarted.append([f["id"], *_record(second.decide(f))])
        if expire and i % EXPIRE_EVERY == 0:
            engine.expire(f["published_ts"])
            if second is not None:
                second.expire(f["published_ts"])
    cpu = time.process_time() - began
    rebuilt_same = second is None or (
        restarted == decisions[half:]
        and (_digest(second.articles), _digest(second.stories))
        == (_digest(engine.articles), _digest(engine.stories))
    )
    return {
        "decisions": decisions,
        "articles_sha256": _digest(engine.articles),
        "stories_sha256": _digest(engine.stories),
        "links": {s: st.get("link_n") for s, st in engine.stories.items()},
        "rebuilt_engine_decides_the_same": rebuilt_same,
        "cpu_s": round(cpu, 2),
    }


def with_repeats(feats: list[dict[str, Any]], seed: int = 1) -> list[dict[str, Any]]:
    """The stream with about 10% of its ids decided again later (a redelivery or replay)."""
    rng = random.Random(seed)
    out = []
    for i, f in enumerate(feats):
        out.append(f)
        if i > 20 and rng.random() < 0.1:
            out.append(feats[rng.randrange(i)])
    return out


def write(out: Path, cache: Path | None) -> int:
    result = {}
    todo = streams(cache)
    for name in ("dedup: dev + copies aligned", "stories: BASIL aligned"):
        if name in todo:
            todo[f"{name}, 10% of ids decided again"] = (with_repeats(todo[name][0]), False)
    for name, (feats, expire) in todo.items():
        result[name] = res = replay(feats, expire)
        print(
            f"{name}: {len(feats)} articles, rebuilt engine decides the same: "
            f"{res['rebuilt_engine_decides_the_same']}, tables {res['stories_sha256'][:12]}"
        )
    out.write_bytes(orjson.dumps(result))
    return 0 if all(r["rebuilt_engine_decides_the_same"] for r in result.values()) else 1


def compare(a_path: Path, b_path: Path) -> int:
    a, b = orjson.loads(a_path.read_bytes()), orjson.loads(b_path.read_bytes())
    bad = 0
    if set(a) != set(b):
        print(f"different streams: {sorted(set(a) ^ set(b))}")
        bad += 1
    total = 0
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        n = len(x["decisions"])
        total += n
        diff = [(p, q) for p, q in zip(x["decisions"], y["decisions"], strict=True) if p != q]
        links = sum(x["links"][s] != y["links"].get(s) for s in x["links"])
        same_tables = (x["articles_sha256"], x["stories_sha256"]) == (
            y["articles_sha256"],
            y["stories_sha256"],
        )
        rebuilt = x["rebuilt_engine_decides_the_same"] and y["rebuilt_engine_decides_the_same"]
        print(
            f"{name}: {n} articles, {len(diff)} decisions differ, {links} link counts differ, "
            f"tables identical: {same_tables}, rebuild decides the same (both): {rebuilt}"
        )
        for p, q in diff[:5]:
            print(f"  {p[0]}:\n    before {p[1:]}\n    after  {q[1:]}")
        bad += bool(diff) + bool(links) + (not same_tables) + (not rebuilt)
    print(f"{total} decisions compared over {len(a)} streams: {'SAME' if not bad else 'DIFFERENT'}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", type=Path, help="record the decisions of this checkout here")
    ap.add_argument("--features", type=Path, help="feature cache: written if absent, else read")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.write:
        return write(args.write, args.features)
    ap.error("--write or --compare")
    return 2


if __name__ == "__main__":
    sys.exit(main())
