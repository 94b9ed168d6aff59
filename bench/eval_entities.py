"""Entity evaluation on bench/data/entities_gold.jsonl (+ the shared seed article).

Matching is per passage on (type, canonical id): the gazetteer id when the gold entity has
one, else the id derived from type and gold name (the same rule the enricher uses for
entities it does not know). Canonical-id accuracy: among gold gazetteer entities whose
surface form was found as a mention, the share resolved to the right id.

    python bench/eval_entities.py [--small] [--full-body] [--min-f1 0.9] [--verbose]
    python bench/eval_entities.py --concat 6 --lead-words 20   # long articles, shorter NER lead

`--concat K` joins K consecutive passages into one long article (title of the first, gold =
the union): the passages are short, so only this shows what lead-only NER misses deep in a
long body. `--lead-words N|all` sets how much of the body the statistical NER sees.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATA, SHARED, prf, progress, read_jsonl
from service.enrich import load_pipeline
from service.enrich.gazetteer import entity_id


def _cases(small: bool) -> list[dict]:
    cases = read_jsonl(DATA / "entities_gold.jsonl")
    if small:
        cases = cases[::4]
    seed_gold = json.loads((DATA / "seed_entities_gold.json").read_text("utf-8"))
    seed_path = SHARED / seed_gold["seed"]
    if seed_path.exists():
        text = seed_path.read_text("utf-8")
        gold = seed_gold["entities"]
        cases.append({"id": "seed", "title": seed_gold["title"], "text": text, "entities": gold})
    else:
        print(f"note: seed article {seed_path} missing, not evaluated", file=sys.stderr)
    return cases


def _concat(cases: list[dict], k: int) -> list[dict]:
    out = []
    for start in range(0, len(cases), k):
        group = cases[start : start + k]
        gold: dict[tuple[str, str], dict] = {}
        for case in group:
            for g in case["entities"]:
                gold.setdefault((g["type"], g.get("id") or entity_id(g["type"], g["name"])), g)
        out.append(
            {
                "id": "+".join(c["id"] for c in group),
                "title": group[0]["title"],
                "text": "\n\n".join(
                    (f"{c['title']}\n\n{c['text']}" if i else c["text"])
                    for i, c in enumerate(group)
                ),
                "entities": list(gold.values()),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="every 4th passage (CI)")
    ap.add_argument("--full-body", action="store_true", help="NER on the whole body")
    ap.add_argument("--lead-words", default=None, help="NER lead length in words, or 'all'")
    ap.add_argument("--concat", type=int, default=1, help="join K passages per article")
    ap.add_argument("--min-f1", type=float, default=None)
    ap.add_argument("--verbose", action="store_true", help="print misses per passage")
    args = ap.parse_args(argv)

    if args.full_body or args.lead_words == "all":
        enricher = load_pipeline(lead_words=None)
    elif args.lead_words is not None:
        enricher = load_pipeline(lead_words=int(args.lead_words))
    else:
        enricher = load_pipeline()
    cases = _cases(args.small)
    if args.concat > 1:
        cases = _concat([c for c in cases if c["id"] != "seed"], args.concat)
    by_type: dict[str, Counter[str]] = {}
    canon_ok = canon_seen = 0
    started = time.perf_counter()
    for i, case in enumerate(cases, 1):
        pred = enricher.entities(case["title"], case["text"])
        pred_keys = {(e["type"], e["id"]) for e in pred}
        gold_keys = {(g["type"], g.get("id") or entity_id(g["type"], g["name"]))
                     for g in case["entities"]}  # fmt: skip
        for t, _ in pred_keys | gold_keys:
            by_type.setdefault(t, Counter())
        for key in pred_keys & gold_keys:
            by_type[key[0]]["tp"] += 1
        for key in pred_keys - gold_keys:
            by_type[key[0]]["fp"] += 1
        for key in gold_keys - pred_keys:
            by_type[key[0]]["fn"] += 1
        for g in case["entities"]:
            if "id" not in g:
                continue
            owners = [e for e in pred if any(m["text"] == g["surface"] for m in e["mentions"])]
            if owners:
                canon_seen += 1
                canon_ok += any(e["id"] == g["id"] for e in owners)
        if args.verbose and pred_keys != gold_keys:
            print(f"{case['id']}: missed {sorted(gold_keys - pred_keys)}")
            print(f"{case['id']}: spurious {sorted(pred_keys - gold_keys)}")
        progress(i, len(cases), "entities")
    elapsed = time.perf_counter() - started

    mode = (
        "full-body NER"
        if enricher.lead_words is None
        else f"lead-only NER ({enricher.lead_words} words)"
    )
    print(f"passages: {len(cases)}  mode: {mode}  time: {elapsed:.2f}s")
    print(f"{'type':8} {'P':>6} {'R':>6} {'F1':>6}  tp/fp/fn")
    total: Counter[str] = Counter()
    for t in sorted(by_type):
        c = by_type[t]
        total.update(c)
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        print(f"{t:8} {p:6.3f} {r:6.3f} {f:6.3f}  {c['tp']}/{c['fp']}/{c['fn']}")
    p, r, f = prf(total["tp"], total["fp"], total["fn"])
    print(f"{'ALL':8} {p:6.3f} {r:6.3f} {f:6.3f}  {total['tp']}/{total['fp']}/{total['fn']}")
    acc = canon_ok / canon_seen if canon_seen else 1.0
    print(f"canonical-id accuracy (gazetteer entities found): {acc:.3f} ({canon_ok}/{canon_seen})")
    if args.min_f1 is not None and f < args.min_f1:
        print(f"FAIL: F1 {f:.3f} < {args.min_f1}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
