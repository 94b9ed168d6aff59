"""Date evaluation on bench/data/dates_gold.jsonl.

Span precision/recall/F1 with overlap matching (one gold expression per predicted span),
value accuracy over matched spans (ISO ``value`` equal), and false positives on the trap
substrings (money, view counts, scores, the verb "may", "We ...": none may yield a date).

    python bench/eval_dates.py [--small] [--min-f1 0.92] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATA, prf, progress, read_jsonl
from service.enrich.dates import find_dates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="every 3rd passage (CI)")
    ap.add_argument("--min-f1", type=float, default=None)
    ap.add_argument("--verbose", action="store_true", help="print every disagreement")
    args = ap.parse_args(argv)

    cases = read_jsonl(DATA / "dates_gold.jsonl")
    if args.small:
        cases = cases[::3]
    tp = fp = fn = value_ok = trap_fp = 0
    started = time.perf_counter()
    for i, case in enumerate(cases, 1):
        pub = datetime.fromisoformat(case["published_at"])
        pred = find_dates(case["text"], pub)
        used: set[int] = set()
        for p in pred:
            match = next((j for j, g in enumerate(case["dates"]) if j not in used
                          and p["start"] < g["end"] and g["start"] < p["end"]), None)  # fmt: skip
            if match is None:
                fp += 1
                if args.verbose:
                    print(f"{case['id']} FP {p['text']!r} -> {p['value']}")
                continue
            used.add(match)
            tp += 1
            gold = case["dates"][match]
            if p["value"] == gold["value"]:
                value_ok += 1
            elif args.verbose:
                print(f"{case['id']} VALUE {p['text']!r}: {p['value']} != gold {gold['value']}")
        for j, g in enumerate(case["dates"]):
            if j not in used:
                fn += 1
                if args.verbose:
                    print(f"{case['id']} FN {g['text']!r} ({g['value']})")
        for trap in case["traps"]:
            if any(p["start"] < trap["end"] and trap["start"] < p["end"] for p in pred):
                trap_fp += 1
                if args.verbose:
                    print(f"{case['id']} TRAP {trap['text']!r}")
        progress(i, len(cases), "dates")
    elapsed = time.perf_counter() - started
    p, r, f = prf(tp, fp, fn)
    gold_total = sum(len(c["dates"]) for c in cases)
    traps = sum(len(c["traps"]) for c in cases)
    print(f"passages: {len(cases)}  gold expressions: {gold_total}  traps: {traps}  "
          f"time: {elapsed:.2f}s")  # fmt: skip
    print(f"span P {p:.3f}  R {r:.3f}  F1 {f:.3f}  (tp/fp/fn {tp}/{fp}/{fn})")
    acc = value_ok / tp if tp else 1.0
    print(f"value accuracy (matched spans): {acc:.3f} ({value_ok}/{tp}); "
          f"over all gold: {value_ok / gold_total if gold_total else 1.0:.3f}")  # fmt: skip
    print(f"trap false positives: {trap_fp}")
    if args.min_f1 is not None and f < args.min_f1:
        print(f"FAIL: span F1 {f:.3f} < {args.min_f1}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
