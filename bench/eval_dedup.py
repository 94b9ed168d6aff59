"""Evaluate dedup on the labelled dev set plus derived near-copies, through the worker's path.

    .venv/bin/python bench/eval_dedup.py [--small] [--min-f1 0.95] [--json out.json]

Replays every article in publication order: clean_text -> enrichment -> article_features ->
DedupEngine.decide (plain dicts as state). Prints story pairwise and B-cubed P/R/F1 (on all
articles and on the real, non-derived ones), near-copy precision/recall per variant class, and
hard-negative false merges. Runs twice: as published, and with the gold stories aligned in time
(``dedup_data.align_stories``) so hard negatives share the story window. Exits 1 when the
lower story pairwise F1 (all articles) of the two is below --min-f1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from typing import Any

from dedup_data import VARIANT_CLASSES, derive_variants, featurize, load_dev, load_enricher

from service import jsonio
from service.dedup import DedupConfig, DedupEngine


def pairwise(gold: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    ids = sorted(gold)
    tp = fp = fn = 0
    for a, b in combinations(ids, 2):
        same_gold, same_pred = gold[a] == gold[b], pred[a] == pred[b]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bcubed(gold: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    gc, pc = Counter(gold.values()), Counter(pred.values())
    both = Counter((gold[i], pred[i]) for i in gold)
    p = sum(both[(gold[i], pred[i])] / pc[pred[i]] for i in gold) / len(gold)
    r = sum(both[(gold[i], pred[i])] / gc[gold[i]] for i in gold) / len(gold)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run(rows: list[dict[str, Any]], *, align: bool) -> dict[str, Any]:
    engine = DedupEngine(DedupConfig(), {}, {})
    features = featurize(rows, load_enricher(), align=align)
    decisions: dict[str, Any] = {}
    began = time.perf_counter()
    for f in features:
        decisions[f["id"]] = engine.decide(f)
    elapsed = time.perf_counter() - began

    by_id = {r["id"]: r for r in rows}
    gold = {i: by_id[i]["gold_story"] for i in decisions}
    pred = {i: d.story_id for i, d in decisions.items()}
    real = [i for i in gold if not by_id[i]["note"].startswith("variant:")]
    result: dict[str, Any] = {
        "articles": len(decisions),
        "real_articles": len(real),
        "gold_stories": len(set(gold.values())),
        "seconds": round(elapsed, 2),
        "story_pairwise_all": pairwise(gold, pred),
        "story_bcubed_all": bcubed(gold, pred),
        "story_pairwise_real": pairwise({i: gold[i] for i in real}, {i: pred[i] for i in real}),
        "story_bcubed_real": bcubed({i: gold[i] for i in real}, {i: pred[i] for i in real}),
    }

    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    for i, d in decisions.items():
        note = by_id[i]["note"]
        cls = note.split(":", 1)[1] if note.startswith("variant:") else "real"
        flagged = d.duplicate_kind in ("exact", "near")
        right = flagged and gold[d.duplicate_of] == gold[i]
        per_class[cls]["n"] += 1
        per_class[cls]["flagged"] += flagged
        per_class[cls]["right"] += right
        per_class[cls][f"kind:{d.duplicate_kind}"] += 1
    result["near_copy"] = {
        cls: {
            "n": c["n"],
            "recall": c["right"] / c["n"] if c["n"] else 0.0,
            "precision": c["right"] / c["flagged"] if c["flagged"] else 1.0,
            "kinds": {k[5:]: v for k, v in c.items() if k.startswith("kind:")},
        }
        for cls, c in per_class.items()
        if cls != "real"
    }
    # Real dev articles are never copies of each other: any exact/near flag on one is wrong.
    result["near_flags_on_real"] = per_class["real"]["flagged"]

    members: dict[str, set[str]] = defaultdict(set)
    for i in decisions:
        members[pred[i]].add(gold[i])
    merges = []
    for i in real:
        note = by_id[i]["note"]
        if note.startswith("hard-negative of "):
            other = note.removeprefix("hard-negative of ").strip()
            if other in members[pred[i]]:
                merges.append(i)
    result["hard_negatives"] = sum(1 for i in real if by_id[i]["note"].startswith("hard-negative"))
    result["hard_negative_false_merges"] = merges
    return result


def report(res: dict[str, Any]) -> None:
    print(
        f"articles {res['articles']} (real {res['real_articles']}, "
        f"gold stories {res['gold_stories']}), decide {res['seconds']} s"
    )
    for name in ("pairwise_all", "bcubed_all", "pairwise_real", "bcubed_real"):
        p, r, f = res[f"story_{name}"]
        print(f"story {name:14s} P {p:.3f} R {r:.3f} F1 {f:.3f}")
    print("near-copy class   n   recall  precision  kinds")
    for cls in VARIANT_CLASSES:
        c = res["near_copy"].get(cls)
        if c:
            print(
                f"  {cls:13s} {c['n']:4d}  {c['recall']:.3f}   {c['precision']:.3f}     "
                f"{c['kinds']}"
            )
    print(f"exact/near flags on real (distinct) articles: {res['near_flags_on_real']}")
    print(
        f"hard negatives {res['hard_negatives']}, false merges "
        f"{len(res['hard_negative_false_merges'])}: {res['hard_negative_false_merges']}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="first 10 gold stories only (CI)")
    ap.add_argument("--min-f1", type=float, default=0.0, help="fail below this pairwise F1")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    rows = load_dev()
    if args.small:
        keep = set(sorted({r["gold_story"] for r in rows})[:10])
        rows = [r for r in rows if r["gold_story"] in keep]
    rows = rows + derive_variants(rows)
    results = {}
    for mode, align in (("as published", False), ("stories aligned in time", True)):
        print(f"== {mode}")
        results[mode] = res = run(rows, align=align)
        report(res)
    if args.json:
        with open(args.json, "wb") as fh:
            fh.write(jsonio.dumps(results))
    f1 = min(r["story_pairwise_all"][2] for r in results.values())
    if f1 < args.min_f1:
        print(f"FAIL: story pairwise F1 {f1:.3f} < {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
