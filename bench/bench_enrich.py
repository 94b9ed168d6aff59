"""Throughput of entities + dates on ~500-word news articles (one article per call).

Articles are synthesised from the hand-written gold passages (shuffled, joined to ~500 words)
so that entity density is realistic. Prints load time, articles/s and words/s for lead-only
NER (the default) and, with --full-body, for NER over the whole body.

    python bench/bench_enrich.py [--articles 300] [--full-body]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--words", type=int, default=500)
    ap.add_argument("--full-body", action="store_true", help="NER on the whole body")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    from service.enrich import load_pipeline

    enricher = load_pipeline(lead_words=None) if args.full_body else load_pipeline()
    enricher.entities("warm-up", "Benjamin Netanyahu met Donald Trump in Washington.")
    load = time.perf_counter() - started
    docs = _articles(args.articles, args.words)
    total_words = sum(len(t.split()) + len(b.split()) for t, b in docs)
    pub = datetime.fromisoformat("2026-03-05T14:30:00+02:00")
    started = time.perf_counter()
    for i, (title, text) in enumerate(docs, 1):
        enricher.entities(title, text)
        enricher.dates(title, text, pub)
        if i % 50 == 0 or i == len(docs):
            progress(i, len(docs), "articles")
    elapsed = time.perf_counter() - started
    mode = "full-body NER" if args.full_body else f"lead-only NER ({enricher.lead_words} words)"
    print(f"mode: {mode}  load: {load:.2f}s  articles: {len(docs)} "
          f"(avg {total_words / len(docs):.0f} words)")  # fmt: skip
    print(f"articles/s: {len(docs) / elapsed:.1f}  words/s: {total_words / elapsed:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
