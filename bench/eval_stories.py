"""Story clustering on real data: BASIL (as published and aligned in time), the own dev set and
the seed cases, newsflow against a TF-IDF single-pass baseline, in one table.

    .venv/bin/python bench/eval_stories.py [--small] [--pred-dir DIR] [--json out.json]

Every set is replayed in publication order through the worker's path (clean -> enrichment ->
``article_features`` -> ``DedupEngine.decide``, expiring every 500 decisions like the agent).
Scores: pairwise and B-cubed P/R/F1 (``score_stories.py``'s definitions); the BASIL predictions
are also written as JSONL and scored by ``../shared/datasets/score/score_stories.py`` to check.
Baseline: TF-IDF (title twice + body, idf over the set), single pass over cluster centroids,
one threshold tuned on the set itself, no time signal: an optimistic reference.
Seed cases: the secret-talks rewrites must share one story; the Senate war-powers vote, the
push to declare victory and the older (2025) round of talks must each stay apart. They are
replayed inside the own dev set's stream (concurrent stories about the same people, document
frequencies warm as in a running worker) and scored on their own articles.
BASIL lives in ``../shared/datasets``: absent (a user's clone), those rows are skipped, saying so.
Exits 1 when a seed-case check fails.
``--small`` (CI): the first 20 BASIL stories and 10 dev stories.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from seed_streams import reported_for_days
from story_data import (
    BASIL_LABELS,
    SCORER,
    baseline,
    basil_available,
    bcubed,
    featurize,
    load_basil,
    load_enricher,
    load_own,
    load_seed_cases,
    pairwise,
    replay,
)

from service import jsonio

SEED_STORY = "seed:secret-talks"


def evaluate(
    name: str,
    rows: list[dict[str, Any]],
    enricher: Any,
    *,
    align: bool = False,
    background: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Replay ``rows`` (inside the ``background`` stream, not scored) and score them."""
    stream = [*rows, *background]
    began = time.process_time()
    feats = featurize(stream, enricher, align=align)
    featurized = time.process_time() - began
    began = time.process_time()
    pred = replay(feats)
    decided = time.process_time() - began
    gold = {r["id"]: r["gold_story"] for r in rows}
    pred = {i: pred[i] for i in gold}
    timed = _aligned_rows(stream, feats) if align else stream
    threshold, base = baseline(timed, score=set(gold))
    return {
        "set": name,
        "articles": len(rows),
        "stories": len(set(gold.values())),
        "pairwise": pairwise(gold, pred),
        "bcubed": bcubed(gold, pred),
        "baseline": base,
        "baseline_threshold": threshold,
        "cpu_s": {"featurize": round(featurized, 2), "decide": round(decided, 3)},
        "pred": pred,
        "gold": gold,
    }


def _aligned_rows(rows: list[dict[str, Any]], feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the aligned publication times (the baseline has no time signal anyway)."""
    when = {f["id"]: f["published_at"] for f in feats}
    return [{**r, "published_at": when[r["id"]]} for r in rows]


def seed_checks(res: dict[str, Any]) -> list[tuple[str, bool]]:
    gold, pred = res["gold"], res["pred"]
    talks = {pred[i] for i, g in gold.items() if g == SEED_STORY}
    out = [("secret-talks rewrites share one story", len(talks) == 1)]
    for g in sorted({g for g in gold.values() if g != SEED_STORY}):
        mine = {pred[i] for i, s in gold.items() if s == g}
        others = {pred[i] for i, s in gold.items() if s != g}
        out.append((f"{g.split(':', 1)[1]} stays apart", not mine & others))
    return out


def cross_check(res: dict[str, Any], out_dir: Path) -> str:
    """Score the written predictions with the shared scorer; its summary line."""
    stem = re.sub(r"\W+", "-", res["set"]).strip("-")
    pred_path = out_dir / f"{stem}.pred.jsonl"
    labels_path = out_dir / f"{stem}.labels.json"
    with pred_path.open("wb") as fh:
        for aid, sid in res["pred"].items():
            fh.write(jsonio.dumps({"id": aid, "story_id": sid}) + b"\n")
    labels_path.write_bytes(jsonio.dumps(res["gold"]))
    run = subprocess.run(
        [sys.executable, str(SCORER), str(labels_path), str(pred_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    last = run.stdout.strip().splitlines()[-1]
    m = re.search(r"pairwise F1 ([\d.]+) \(P ([\d.]+) R ([\d.]+)\) bcubed F1 ([\d.]+)", last)
    if not m:
        raise RuntimeError(f"unexpected scorer output: {last}")
    f1, p, r, bf = (float(x) for x in m.groups())
    ours = (res["pairwise"][2], res["pairwise"][0], res["pairwise"][1], res["bcubed"][2])
    if any(abs(a - b) > 0.0011 for a, b in zip((f1, p, r, bf), ours, strict=True)):
        raise RuntimeError(f"{res['set']}: score_stories.py says {last}, this script {ours}")
    return last


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'set':34s} {'art':>4s} {'sto':>4s} | {'pairwise P':>10s} {'R':>5s} {'F1':>5s} "
        f"| {'B3 P':>5s} {'R':>5s} {'F1':>5s} "
        f"| {'baseline P':>10s} {'R':>5s} {'F1':>5s} {'thr':>5s}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        p, rc, f = r["pairwise"]
        bp, br, bf = r["bcubed"]
        xp, xr, xf = r["baseline"]
        lines.append(
            f"{r['set']:34s} {r['articles']:4d} {r['stories']:4d} | {p:10.3f} {rc:5.3f} {f:5.3f} "
            f"| {bp:5.3f} {br:5.3f} {bf:5.3f} | {xp:10.3f} {xr:5.3f} {xf:5.3f} "
            f"{r['baseline_threshold']:5.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a subset, for CI (< 1 min)")
    ap.add_argument("--pred-dir", help="keep the written predictions here (default: a temp dir)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    enricher = load_enricher()
    results: list[dict[str, Any]] = []
    checked: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(args.pred_dir or tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        if basil_available():
            n = 20 if args.small else None
            for aligned in (False, True):
                label = "aligned in time" if aligned else "as published"
                res = evaluate(f"BASIL {label}", load_basil(aligned, n), enricher)
                results.append(res)
                checked.append(f"{res['set']}: score_stories.py: {cross_check(res, out_dir)}")
        else:
            print(f"SKIP BASIL: {BASIL_LABELS.parent} not found (a clone without ../shared)")
        own = load_own(10 if args.small else None)
        results.append(evaluate("own dev set as published", own, enricher))
        results.append(evaluate("own dev set aligned in time", own, enricher, align=True))
        seed = load_seed_cases()
        # inside the own dev stream: concurrent stories, document frequencies warm
        dev = [r for r in load_own() if not r["id"].startswith("seed-")]
        for label, align in (("as published", False), ("aligned in time", True)):
            results.append(
                evaluate(f"seed cases {label}", seed, enricher, align=align, background=dev)
            )
        long_run = reported_for_days(seed)
        results.append(evaluate("seed, talks reported 5 days", long_run, enricher, background=dev))
    print(table(results))
    for line in checked:
        print(line)
    failed = 0
    for res in results[-3:]:
        for what, ok in seed_checks(res):
            failed += not ok
            print(f"{res['set']}: {what}: {'yes' if ok else 'NO'}")
    cpu = {r["set"]: r["cpu_s"] for r in results}
    print(f"CPU seconds (featurize, decide): {cpu}")
    if args.json:
        keep = [{k: v for k, v in r.items() if k not in {"pred", "gold"}} for r in results]
        Path(args.json).write_bytes(jsonio.dumps(keep))
    if failed:
        print(f"FAIL: {failed} seed-case checks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
