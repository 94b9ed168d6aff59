"""Date evaluation: the team's passages (bench/data/dates_gold.jsonl) and public TimeBank.

1. bench/data/dates_gold.jsonl: span precision/recall/F1 with overlap matching, value
   accuracy over matched spans (ISO ``value`` equal), and false positives on the trap
   substrings (money, view counts, scores, the verb "may": none may yield a date).
2. ``../shared/datasets/tbaq`` (TimeBank + AQUAINT, a *checking* set: never fit on it) when
   present: every article goes through the worker's code path (``service.pipeline.
   enrich_article``, the dates resolved against ``published_at``), the enriched articles are
   written to a JSONL file, scored here with the definitions of ``score/score_dates.py``
   (DATE/TIME golds; one-to-one matching by overlapping span, by normalized text for
   predictions without body offsets; value accuracy at the gold's granularity), and the
   shared scorer is run on the same file to cross-check. Misses, false positives and value
   errors are broken down by a coarse surface category to guide work (never copy gold
   phrases into rules).

    python bench/eval_dates.py [--small] [--min-f1 0.92] [--tbaq-min-f1 0.85] [--verbose]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATA, SHARED, prf, progress, read_jsonl
from service.enrich.dates import find_dates

DATASETS = SHARED / "datasets"  # --datasets overrides


def eval_passages(small: bool, verbose: bool) -> float:
    """The team's passages with traps; returns span F1."""
    cases = read_jsonl(DATA / "dates_gold.jsonl")
    if small:
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
                if verbose:
                    print(f"{case['id']} FP {p['text']!r} -> {p['value']}")
                continue
            used.add(match)
            tp += 1
            gold = case["dates"][match]
            if p["value"] == gold["value"]:
                value_ok += 1
            elif verbose:
                print(f"{case['id']} VALUE {p['text']!r}: {p['value']} != gold {gold['value']}")
        for j, g in enumerate(case["dates"]):
            if j not in used:
                fn += 1
                if verbose:
                    print(f"{case['id']} FN {g['text']!r} ({g['value']})")
        for trap in case["traps"]:
            if any(p["start"] < trap["end"] and trap["start"] < p["end"] for p in pred):
                trap_fp += 1
                if verbose:
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
    return f


# --------------------------------------------------------------------------- TimeBank


def _load_scorer(path: Path) -> ModuleType:
    """The shared scorer as a module (its value parsing is the definition we score with)."""
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("score_dates", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_CATEGORIES = (
    ("quarter/half", r"\bquarter|\bhalf\b|\bq[1-4]\b"),
    ("fiscal", r"\bfiscal\b"),
    ("decade/century", r"\d0s\b|\d0's\b|\bdecade|\bcentury|\bcenturies"),
    ("season", r"\b(?:spring|summer|autumn|fall|winter)\b"),
    (
        "present/past/future ref",
        r"\bnow\b|\bcurrent|\bpresent|\brecent|\bformer|\bfuture\b"
        r"|\bonce\b|\bsoon\b|\bthen\b|\bpast\b",
    ),
    ("ago/later", r"\bago\b|\blater\b|\bearlier\b|\bbefore\b|\bafter\b"),
    ("part of day/time", r"\bmorning|\bafternoon|\bevening|\bnight|\bnoon|\d:\d\d|[ap]\.?m\b"),
    ("weekday", r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day"),
    ("month name", r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"),
    ("year number", r"\b\d{4}\b|'\d\d\b"),
    ("day word", r"\btoday\b|\byesterday\b|\btomorrow\b|\btonight\b"),
    ("calendar unit", r"\b(?:day|week|month|year|weekend)s?\b"),
)


def _category(text: str) -> str:
    low = text.lower()
    for name, rx in _CATEGORIES:
        if re.search(rx, low):
            return name
    return "other"


def _predict(raw_path: Path, out_path: Path, small: bool) -> int:
    """Raw articles -> enriched articles (worker code path) in ``out_path``; their number."""
    from service.enrich import load_pipeline
    from service.enrich.pipeline import NO_MODEL
    from service.pipeline import enrich_article

    enricher = load_pipeline(NO_MODEL)  # dates do not depend on the NER model
    raws = [json.loads(line) for line in raw_path.read_text("utf-8").splitlines() if line]
    if small:
        raws = raws[::4]
    with out_path.open("w", encoding="utf-8") as f:
        for i, raw in enumerate(raws, 1):
            article = enrich_article(raw, enricher)
            f.write(json.dumps({"id": article["id"], "dates": article["dates"]}) + "\n")
            progress(i, len(raws), "tbaq")
    return len(raws)


def score_tbaq(gold: dict[str, Any], preds: dict[str, list[dict]], sd: ModuleType) -> dict:
    """The definitions of score_dates.py, keeping per-expression outcomes for a breakdown."""
    norm = sd.C.norm_text
    n_gold = n_pred = tp = 0
    matched_res = correct = 0
    misses: list[tuple[str, str, str]] = []
    fps: list[tuple[str, str, str]] = []
    wrong: list[tuple[str, str, str, str]] = []
    for aid, gd in gold.items():
        tl = gd.get("title_len", 0)
        allg = gd.get("mentions", [])
        gms = [m for m in allg if m.get("type") in ("DATE", "TIME")]
        other = [m for m in allg if m.get("type") not in ("DATE", "TIME")]
        n_gold += len(gms)
        offp: dict[tuple[int, int], dict] = {}
        txt_body: Counter[str] = Counter()
        txt_title: Counter[str] = Counter()
        txt_items: dict[str, list[dict]] = {}
        for d in preds.get(aid, []):
            s, e, f = d.get("start"), d.get("end"), d.get("field") or "body"
            ok = isinstance(s, int) and isinstance(e, int) and e > s >= 0
            if ok and f == "title" and e > tl:
                ok = False
            if ok and f in ("title", "body"):
                offp.setdefault((s, e), d)
            elif isinstance(d.get("text"), str) and d["text"].strip():
                k = norm(d["text"])
                (txt_title if f == "title" else txt_body)[k] += 1
                txt_items.setdefault(k, []).append(d)
        txtp = Counter({k: max(txt_body[k], txt_title[k]) for k in set(txt_body) | set(txt_title)})
        matched: dict[int, dict] = {}
        cands = []
        for gi, m in enumerate(gms):
            for s, e in offp:
                ov = min(e, m["end"]) - max(s, m["start"])
                if ov > 0:
                    cands.append((-ov, gi, (s, e)))
        used: set[tuple[int, int]] = set()
        for _, gi, key in sorted(cands):
            if gi in matched or key in used:
                continue
            matched[gi] = offp[key]
            used.add(key)
        for key, d in offp.items():
            if key in used:
                continue
            if any(min(key[1], o["end"]) - max(key[0], o["start"]) > 0 for o in other):
                continue
            n_pred += 1
            fps.append((aid, d["text"], d["value"]))
        n_pred += len(used)
        for gi, m in enumerate(gms):
            if gi in matched:
                continue
            k = norm(m["text"])
            if txtp.get(k, 0) > 0:
                txtp[k] -= 1
                matched[gi] = txt_items[k][0]
                n_pred += 1
        other_txt = Counter(norm(o["text"]) for o in other)
        for k, c in txtp.items():
            for _ in range(c):
                if other_txt.get(k, 0) > 0:
                    other_txt[k] -= 1
                else:
                    n_pred += 1
                    fps.append((aid, txt_items[k][0]["text"], txt_items[k][0]["value"]))
        tp += len(matched)
        for gi, m in enumerate(gms):
            if gi not in matched:
                misses.append((aid, m["text"], m["value"]))
                continue
            if sd.parse_value(m.get("value")) is None:
                continue
            matched_res += 1
            d = matched[gi]
            if sd.value_correct(d.get("value"), m.get("value")):
                correct += 1
            else:
                wrong.append((aid, d["text"], str(d.get("value")), m["value"]))
    p, r, f = prf(tp, n_pred - tp, n_gold - tp)
    acc = correct / matched_res if matched_res else 0.0
    return {"p": p, "r": r, "f1": f, "acc": acc, "tp": tp, "pred": n_pred, "gold": n_gold,
            "correct": correct, "matched_res": matched_res, "misses": misses, "fps": fps,
            "wrong": wrong}  # fmt: skip


def _breakdown(title: str, rows: list[tuple[str, ...]], verbose: bool) -> None:
    by_cat = Counter(_category(r[1]) for r in rows)
    print(f"{title} {len(rows)}: " + ", ".join(f"{k} {v}" for k, v in by_cat.most_common()))
    if verbose:
        for r in rows:
            print("   ", _category(r[1]), "|", " | ".join(r))


def eval_tbaq(small: bool, verbose: bool, out: Path | None, datasets: Path) -> float | None:
    """TimeBank + AQUAINT through the worker; returns extraction F1 (None: data absent)."""
    raw_path, gold_path = datasets / "tbaq.raw.jsonl", datasets / "tbaq.gold.json"
    scorer = datasets / "score" / "score_dates.py"
    if not (raw_path.exists() and gold_path.exists() and scorer.exists()):
        print(f"SKIP tbaq: {datasets} (tbaq.raw.jsonl, tbaq.gold.json, score/) not present; "
              "only the bundled passages were evaluated")  # fmt: skip
        return None
    sd = _load_scorer(scorer)
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = out or Path(tmp) / "tbaq.pred.jsonl"
        cpu0 = time.process_time()
        n = _predict(raw_path, pred_path, small)
        cpu = time.process_time() - cpu0
        gold_all = json.loads(gold_path.read_text("utf-8"))
        gold = gold_all.get("docs", gold_all)
        preds = {}
        for line in pred_path.read_text("utf-8").splitlines():
            o = json.loads(line)
            preds[o["id"]] = o["dates"]
        gold = {k: v for k, v in gold.items() if k in preds or not small}
        res = score_tbaq(gold, preds, sd)
        gold_file = gold_path
        if small:  # the shared scorer scores every gold doc: give it the same subset
            sub = {"docs": gold}
            gold_file = Path(tmp) / "tbaq.gold.small.json"
            gold_file.write_text(json.dumps(sub), "utf-8")
        shared = subprocess.run(
            [sys.executable, str(scorer), str(gold_file), str(pred_path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    print(f"tbaq articles: {n}{' (every 4th, --small)' if small else ''}  gold DATE/TIME: "
          f"{res['gold']}  enrichment (NER model off) {cpu / n * 1e3:.2f} ms/article CPU; "
          "dates alone: bench/bench_dates.py")  # fmt: skip
    print(
        f"tbaq extraction P {res['p']:.3f}  R {res['r']:.3f}  F1 {res['f1']:.3f}  "
        f"(matched {res['tp']}, predicted {res['pred']}, gold {res['gold']})"
    )
    print(
        f"tbaq value accuracy among matched resolvable golds: {res['acc']:.3f} "
        f"({res['correct']}/{res['matched_res']})"
    )
    _breakdown("  misses by category", res["misses"], verbose)
    _breakdown("  false positives by category", res["fps"], verbose)
    _breakdown("  value errors by category", res["wrong"], verbose)
    m = re.search(r"dates extraction F1 ([\d.]+) value accuracy ([\d.]+)", shared.stdout)
    if shared.returncode != 0 or m is None:
        print(f"FAIL: shared scorer did not run: {shared.stderr.strip()[-300:]}")
        return 0.0
    sf, sa = float(m[1]), float(m[2])
    agree = abs(sf - res["f1"]) < 1e-3 and abs(sa - res["acc"]) < 1e-3
    print(
        f"shared scorer: extraction F1 {sf:.3f} value accuracy {sa:.3f} "
        f"({'agrees' if agree else 'DISAGREES'})"
    )
    if not agree:
        print(shared.stdout)
        return 0.0
    return res["f1"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a subset of each set (CI)")
    ap.add_argument("--min-f1", type=float, default=None, help="on the bundled passages")
    ap.add_argument("--tbaq-min-f1", type=float, default=None)
    ap.add_argument("--no-tbaq", action="store_true")
    ap.add_argument("--datasets", type=Path, default=None, help=f"default {DATASETS}")
    ap.add_argument("--out", type=Path, default=None, help="keep tbaq predictions here")
    ap.add_argument("--verbose", action="store_true", help="print every disagreement")
    args = ap.parse_args(argv)

    f = eval_passages(args.small, args.verbose)
    rc = 0
    if args.min_f1 is not None and f < args.min_f1:
        print(f"FAIL: span F1 {f:.3f} < {args.min_f1}")
        rc = 1
    if not args.no_tbaq:
        tf = eval_tbaq(args.small, args.verbose, args.out, args.datasets or DATASETS)
        if tf is not None and (tf == 0.0 or (args.tbaq_min_f1 and tf < args.tbaq_min_f1)):
            print(f"FAIL: tbaq extraction F1 {tf:.3f}")
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
