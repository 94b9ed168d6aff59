"""Entity evaluation: CoNLL-2003 (public, ../shared) and the hand-written passages.

**CoNLL** (`--set conll-testa`, the default when ../shared/datasets is present; `conll-train`
for fitting diagnostics): every article goes through the worker's code path (raw JSON bytes ->
``prepare_many`` in batches of the ingest lookahead, with the enricher the worker builds from
``Settings.from_env()``), predictions are written as JSONL, and P/R/F1 are printed for
PER/ORG/LOC and all four types with the definitions of
``../shared/datasets/score/score_entities.py`` (per-document multisets of (normalized text,
type)); that scorer is then run on the same file to cross-check. `--small`: the first 40
articles of conll-testa (CI). Without ../shared the CoNLL part is skipped, saying so.

    python bench/eval_entities.py --set conll-testa [--lead-words N|all] [--out pred.jsonl]
    python bench/eval_entities.py --set conll-train --errors 30   # what the model misses

**Passages** (`--set passages`) on bench/data/entities_gold.jsonl (+ the shared seed article):

Matching is per passage on (type, canonical id): the gazetteer id when the gold entity has
one, else the id derived from type and gold name (the same rule the enricher uses for
entities it does not know). Canonical-id accuracy: among gold gazetteer entities whose
surface form was found as a mention, the share resolved to the right id.

    python bench/eval_entities.py --set passages [--small] [--full-body] [--min-f1 0.9]
    python bench/eval_entities.py --concat 6 --lead-words 20   # long articles, shorter NER lead

`--concat K` joins K consecutive passages into one long article (title of the first, gold =
the union): the passages are short, so only this shows what lead-only NER misses deep in a
long body. `--lead-words N|all` sets how much of the body the statistical NER sees.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
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


CONLL = SHARED / "datasets"
SCORER = CONLL / "score" / "score_entities.py"
TYPEMAP = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
MAIN, ALL = ("PER", "ORG", "LOC"), ("PER", "ORG", "LOC", "MISC")
SMALL_DOCS = 40


def norm_text(s: str) -> str:
    """The scorer's normalisation (score/_common.py), so that the figures are the same."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    s = s.replace("–", "-").replace("—", "-")
    s = re.sub(r"\s+", " ", s).strip().casefold()
    s = re.sub(r"^[\s\"'(\[{.,;:!?-]+|[\s\"')\]}.,;:!?-]+$", "", s)
    s = re.sub(r"'s$", "", s)
    s = re.sub(r"^the ", "", s)
    return s.strip()


def enrich_conll(raw_lines: list[bytes], lead_words: str | None) -> tuple[list[dict], float]:
    """Enriched articles through the worker's path, and the CPU seconds spent enriching."""
    from service.agents.ingest import LOOKAHEAD
    from service.enrich import load_pipeline
    from service.pipeline import prepare_many
    from service.settings import Settings, _lead_words

    settings = Settings.from_env()
    words = settings.ner_lead_words if lead_words is None else _lead_words(lead_words)
    enricher = load_pipeline(settings.spacy_model or None, lead_words=words)
    enricher.entities("warm-up", "Benjamin Netanyahu met Donald Trump in Washington.")
    out: list[dict] = []
    began = time.process_time()
    for i in range(0, len(raw_lines), LOOKAHEAD):
        batch = raw_lines[i : i + LOOKAHEAD]
        for res in prepare_many(
            batch,
            enricher,
            max_bytes=settings.max_message_bytes,
            max_body_chars=settings.max_body_chars,
            monthfirst_sources=frozenset(settings.monthfirst_sources),
        ):
            if isinstance(res, Exception):
                raise res
            out.append(res[0])
        progress(min(i + LOOKAHEAD, len(raw_lines)), len(raw_lines), "articles")
    return out, time.process_time() - began


def score_conll(gold: dict, preds: list[dict]) -> dict[str, Counter[str]]:
    """tp/pred/gold counts per mapped type over per-document (normalized text, type) bags."""
    counts: dict[str, Counter[str]] = {"tp": Counter(), "pred": Counter(), "gold": Counter()}
    by_id = {p["id"]: p for p in preds}
    for aid, gd in gold.items():
        gbag = Counter((norm_text(m["text"]), m["type"]) for m in gd["mentions"])
        pbag: Counter[tuple[str, str]] = Counter()
        for e in by_id.get(aid, {}).get("entities", []):
            typ = TYPEMAP.get(e["type"], "MISC")
            for m in e["mentions"]:
                pbag[(norm_text(m["text"]), typ)] += 1
        for (txt, t), c in gbag.items():
            counts["gold"][t] += c
            counts["tp"][t] += min(c, pbag.get((txt, t), 0))
        for (_, t), c in pbag.items():
            counts["pred"][t] += c
    return counts


def _prf(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _errors(gold: dict, preds: list[dict], n: int) -> None:
    """The most frequent missed and spurious (text, type) pairs (for fitting on conll-train)."""
    missed: Counter[tuple[str, str]] = Counter()
    spurious: Counter[tuple[str, str]] = Counter()
    by_id = {p["id"]: p for p in preds}
    for aid, gd in gold.items():
        gbag = Counter((norm_text(m["text"]), m["type"]) for m in gd["mentions"])
        pbag: Counter[tuple[str, str]] = Counter()
        for e in by_id.get(aid, {}).get("entities", []):
            for m in e["mentions"]:
                pbag[(norm_text(m["text"]), TYPEMAP.get(e["type"], "MISC"))] += 1
        missed.update(gbag - pbag)
        spurious.update(pbag - gbag)
    print("missed:  " + ", ".join(f"{t}/{k} {c}" for (t, k), c in missed.most_common(n)))
    print("spurious: " + ", ".join(f"{t}/{k} {c}" for (t, k), c in spurious.most_common(n)))


def run_conll(args: argparse.Namespace, name: str) -> int:
    raw_path, gold_path = CONLL / f"{name}.raw.jsonl", CONLL / f"{name}.gold.json"
    if not raw_path.exists() or not gold_path.exists():
        print(f"SKIP {name}: {raw_path} not found (../shared/datasets is on developer machines "
              "and CI only)")  # fmt: skip
        return 0
    raw_lines = [ln for ln in raw_path.read_bytes().splitlines() if ln.strip()]
    gold = json.loads(gold_path.read_text("utf-8"))["docs"]
    if args.small:
        raw_lines = raw_lines[:SMALL_DOCS]
        keep = {json.loads(ln)["id"] for ln in raw_lines}
        gold = {k: v for k, v in gold.items() if k in keep}
    preds, cpu = enrich_conll(raw_lines, args.lead_words)
    out = Path(args.out) if args.out else Path(tempfile.mkstemp(suffix=".jsonl")[1])
    with out.open("w", encoding="utf-8") as fh:
        for p in preds:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    c = score_conll(gold, preds)
    words = sum(len(p["title"].split()) + len(p["text"].split()) for p in preds)
    lead = os.environ.get("NEWSFLOW_NER_LEAD_WORDS", "default") if args.lead_words is None \
        else args.lead_words  # fmt: skip
    model = os.environ.get("NEWSFLOW_SPACY_MODEL") or "default"
    print(f"{name}: {len(preds)} articles, {words} words; model {model}, lead words {lead}; "
          f"enrichment CPU {cpu * 1e3 / len(preds):.1f} ms/article, "
          f"{cpu * 1e3 / words * 500:.1f} ms per 500 words")  # fmt: skip
    tot = lambda ts, k: sum(c[k][t] for t in ts)  # noqa: E731
    for label, ts in (
        ("PER/ORG/LOC", MAIN),
        ("all four (incl. MISC)", ALL),
        *((t, (t,)) for t in ALL),
    ):
        p, r, f = _prf(tot(ts, "tp"), tot(ts, "pred"), tot(ts, "gold"))
        print(f"  {label:24s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}   "
              f"(tp {tot(ts, 'tp')}, pred {tot(ts, 'pred')}, gold {tot(ts, 'gold')})")  # fmt: skip
    p, r, f = _prf(tot(MAIN, "tp"), tot(MAIN, "pred"), tot(MAIN, "gold"))
    print(f"entity F1 (PER/ORG/LOC) {f:.3f} P {p:.3f} R {r:.3f}")
    if args.errors:
        _errors(gold, preds, args.errors)
    if SCORER.exists() and not args.small:
        res = subprocess.run([sys.executable, str(SCORER), str(gold_path), str(out)],
                             capture_output=True, text=True, check=False)  # fmt: skip
        last = [ln for ln in res.stdout.splitlines() if ln.startswith("entity F1")]
        same = bool(last) and last[-1].split()[3] == f"{f:.3f}"
        print(f"scorer {SCORER.name}: {last[-1] if last else res.stderr.strip()} "
              f"({'agrees' if same else 'DISAGREES'})")  # fmt: skip
        if not same:
            return 1
    if not args.out:
        out.unlink()
    if args.min_f1 is not None and f < args.min_f1:
        print(f"FAIL: F1 {f:.3f} < {args.min_f1}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--set",
        default=None,
        choices=["conll-testa", "conll-train", "passages", "all"],
        help="default: passages and conll-testa",
    )
    ap.add_argument("--out", default=None, help="CoNLL: keep the predictions here (JSONL)")
    ap.add_argument("--errors", type=int, default=0, help="CoNLL: print the N top misses")
    ap.add_argument("--small", action="store_true", help="every 4th passage (CI)")
    ap.add_argument("--full-body", action="store_true", help="NER on the whole body")
    ap.add_argument("--lead-words", default=None, help="NER lead length in words, or 'all'")
    ap.add_argument("--concat", type=int, default=1, help="join K passages per article")
    ap.add_argument("--min-f1", type=float, default=None)
    ap.add_argument("--verbose", action="store_true", help="print misses per passage")
    args = ap.parse_args(argv)
    sets = {None: ["passages", "conll-testa"], "all": ["passages", "conll-testa", "conll-train"]}
    rc = 0
    for name in sets.get(args.set, [args.set]):
        print(f"== {name}")
        rc |= run_passages(args) if name == "passages" else run_conll(args, name)
    return rc


def run_passages(args: argparse.Namespace) -> int:
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
