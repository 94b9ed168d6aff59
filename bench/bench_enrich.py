"""Throughput of entities + dates on ~500-word news articles.

Articles are synthesised from the hand-written gold passages (shuffled, joined to ~500 words)
so that entity density is realistic. Prints load time, per-stage µs per article (entities,
dates), articles/s and words/s for lead-only NER (the default) and, with --full-body, for NER
over the whole body. ``--batch N`` calls ``Enricher.entities_many`` on N articles at a time
(one ``nlp.pipe`` pass), as the ingest agent does with N = 16. Each of ``--repeat`` runs uses
the same articles with the NER cache off; the best run is reported, with the load average
(the machine is shared: compare runs only at similar load).

    python bench/bench_enrich.py [--articles 300] [--batch 16] [--repeat 3] [--full-body]
        [--lead-words N|all] [--model NAME] [--spacy-decoder]

CPU time (process time) per article is printed too: on a shared machine it is the figure to
compare between runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATA, progress, read_jsonl


def _articles(n: int, words: int, seed: int = 7) -> list[tuple[str, str]]:
    passages = [r["text"] for r in read_jsonl(DATA / "entities_gold.jsonl")]
    passages += [r["text"] for r in read_jsonl(DATA / "dates_gold.jsonl")]
    titles = [r["title"] for r in read_jsonl(DATA / "entities_gold.jsonl") if r["title"]]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body: list[str] = []
        count = 0
        while count < words:
            p = rng.choice(passages)
            body.append(p)
            count += len(p.split())
        paragraphs = ["\n\n".join(body[i : i + 3]) for i in range(0, len(body), 3)]
        out.append((rng.choice(titles), "\n\n".join(paragraphs)))
    return out


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--words", type=int, default=500)
    ap.add_argument("--batch", type=int, default=1, help="articles per entities_many call")
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    ap.add_argument("--full-body", action="store_true", help="NER on the whole body")
    ap.add_argument("--lead-words", default=None, help="NER on title + N words ('all': body)")
    ap.add_argument("--model", default=None, help="spaCy model (default: NEWSFLOW_SPACY_MODEL)")
    ap.add_argument(
        "--spacy-decoder",
        action="store_true",
        help="decode NER with spaCy's own loop (nlp.pipe) instead of the batch decoder",
    )
    args = ap.parse_args(argv)

    started = time.perf_counter()
    from service.enrich import Enricher, load_pipeline
    from service.settings import _lead_words

    if args.lead_words is not None:
        shared = load_pipeline(args.model, lead_words=_lead_words(args.lead_words))
    elif args.full_body:
        shared = load_pipeline(args.model, lead_words=None)
    else:
        shared = load_pipeline(args.model)
    # a private enricher without the NER cache: repeated runs must redo the NER
    enricher = Enricher(
        shared.nlp,
        shared.gazetteer,
        lead_words=shared.lead_words,
        cache_size=0,
        fast_ner=not args.spacy_decoder,
    )
    enricher.entities("warm-up", "Benjamin Netanyahu met Donald Trump in Washington.")
    load = time.perf_counter() - started
    docs = _articles(args.articles, args.words)
    total_words = sum(len(t.split()) + len(b.split()) for t, b in docs)
    pub = datetime.fromisoformat("2026-03-05T14:30:00+02:00")
    batch = max(1, args.batch)
    runs: list[tuple[float, float, float]] = []
    cpu_runs: list[float] = []
    loads = []
    for run in range(args.repeat):
        ent_s = date_s = 0.0
        cpu0 = time.process_time()
        for i in range(0, len(docs), batch):
            chunk = docs[i : i + batch]
            t0 = time.perf_counter()
            enricher.entities_many(chunk)
            t1 = time.perf_counter()
            for title, text in chunk:
                enricher.dates(title, text, pub)
            t2 = time.perf_counter()
            ent_s += t1 - t0
            date_s += t2 - t1
            progress(min(i + batch, len(docs)), len(docs), f"run {run + 1} articles")
        runs.append((ent_s + date_s, ent_s, date_s))
        cpu_runs.append(time.process_time() - cpu0)
        loads.append(_loadavg())
    best = min(range(len(runs)), key=lambda r: runs[r][0])
    total, ent_s, date_s = runs[best]
    n = len(docs)
    mode = (
        "full-body NER"
        if enricher.lead_words is None
        else f"lead-only NER ({enricher.lead_words} words)"
    )
    decoder = "spaCy nlp.pipe" if enricher.decoder is None else "batch (service/enrich/fastner.py)"
    print(f"NER decoder: {decoder}")
    print(f"mode: {mode}  batch: {batch}  load: {load:.2f}s  articles: {n} "
          f"(avg {total_words / n:.0f} words)  best of {len(runs)}")  # fmt: skip
    print(f"per article: entities {ent_s / n * 1e6:,.0f} µs  dates {date_s / n * 1e6:,.0f} µs")
    print(f"articles/s: {n / total:.1f}  words/s: {total_words / total:,.0f}")
    cpu = min(cpu_runs)
    print(f"CPU per article (entities + dates, best run): {cpu / n * 1e3:.2f} ms"
          f"  ({cpu / total_words * 500 * 1e3:.2f} ms per 500 words)")  # fmt: skip
    print("runs (articles/s): " + ", ".join(f"{n / r[0]:.1f}" for r in runs)
          + f"  loadavg after each: {' | '.join(loads)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
