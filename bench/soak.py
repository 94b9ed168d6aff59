"""Soak: does the dedup decision path's memory plateau over a long stream? (not a unit test)

Feeds N generated articles (default 200,000) through the decision path exactly as the dedup
agent does: `article_features` on cheap synthetic enriched dicts, `DedupEngine.decide` over
plain-dict tables, the `decisions` idempotence table, and `expire_decisions` every
EXPIRE_EVERY articles with the article's event time as `now`. Event time advances
--seconds-per-article (default 20 s: 200,000 articles span 46 days, far beyond the 72 h story
and 168 h near-copy windows), so eviction must keep the state bounded. About a quarter of the
articles repeat a recent one (exact, near, same story); names and numbers keep coming new,
so vocabulary-keyed state grows unless it is evicted too.

RSS (VmRSS of /proc/self/status) is sampled every --sample-every articles. It plateaus when the
peak of the last quarter is within --tolerance of the peak of the third quarter. Exit status 1
when it does not.

    .venv/bin/python bench/soak.py [--n 200000] [--sample-every 5000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import REPO  # noqa: F401  (puts the repo on sys.path)

from service.agents.dedup import EXPIRE_EVERY, expire_decisions
from service.dedup import DedupConfig, DedupEngine, article_features

START = datetime(2026, 1, 1, tzinfo=UTC)
PLACES = ["Port Elin", "Varnholm", "Castel Brio", "Nordby", "Ashgrove", "Lake Tamir", "Mirava"]
VERBS = ["approved", "rejected", "postponed", "announced", "suspended", "funded"]
THINGS = ["a ferry terminal", "the budget", "a rail link", "a flood barrier", "a solar park"]


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def enriched(rng: random.Random, i: int, recent: list[dict[str, Any]], step_s: float) -> dict:
    """A synthetic enriched article: originals, exact/near copies and rewrites of recent ones."""
    published = (START + timedelta(seconds=step_s * i)).isoformat()
    roll = rng.random()
    if recent and roll < 0.10:
        src = rng.choice(recent)
        return {**src, "id": f"a{i}", "published_at_utc": published}
    if recent and roll < 0.25:
        src = rng.choice(recent)
        text = src["text"].rsplit(" ", 3)[0] + f" Updated {i % 60} minutes later."
        return {**src, "id": f"a{i}", "text": text, "published_at_utc": published}
    name = f"Minister{rng.randint(0, 10**6)}"  # new names keep coming
    place = rng.choice(PLACES)
    number = rng.randint(1, 10**6)
    text = (
        f"{name} of {place} {rng.choice(VERBS)} {rng.choice(THINGS)} on Monday, officials "
        f"said. The plan number {number} costs {rng.randint(1, 900)} million euros and "
        f"affects {rng.randint(1, 10**5)} residents of {place}."
    )
    article = {
        "id": f"a{i}",
        "source": f"outlet{rng.randint(0, 99)}.example",
        "title": f"{name} {rng.choice(VERBS)} plan {number} in {place}",
        "text": text,
        "published_at_utc": published,
        "entities": [
            {"id": f"P:{name}", "name": name, "type": "PERSON", "count": 1},
            {"id": f"G:{place}", "name": place, "type": "GPE", "count": 2},
        ],
        "dates": [{"kind": "event", "value": published[:10]}],
    }
    recent.append(article)
    if len(recent) > 200:
        del recent[0]
    return article


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--sample-every", type=int, default=5_000)
    ap.add_argument("--seconds-per-article", type=float, default=20.0)
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    articles: dict[str, Any] = {}
    stories: dict[str, Any] = {}
    decisions: dict[str, Any] = {}
    engine = DedupEngine(DedupConfig(), articles, stories)
    engine.rebuild()
    recent: list[dict[str, Any]] = []
    samples: list[tuple[int, int]] = []
    kinds: dict[str, int] = {}
    began = time.perf_counter()
    print(f"{'articles':>9} {'rss MiB':>8} {'index':>7} {'stories':>8} {'decisions':>9} {'/s':>6}")
    for i in range(args.n):
        features = article_features(enriched(rng, i, recent, args.seconds_per_article))
        if features["id"] in decisions:
            continue
        decision = engine.decide(features)
        kind = decision.duplicate_kind or "new"
        kinds[kind] = kinds.get(kind, 0) + 1
        decisions[features["id"]] = {"story_id": decision.story_id, "t": features["published_ts"]}
        if (i + 1) % EXPIRE_EVERY == 0:
            expire_decisions(decisions, engine, float(features["published_ts"]))
        if (i + 1) % args.sample_every == 0:
            rss = rss_kib()
            samples.append((i + 1, rss))
            rate = (i + 1) / (time.perf_counter() - began)
            print(
                f"{i + 1:>9} {rss / 1024:>8.1f} {len(articles):>7} {len(stories):>8} "
                f"{len(decisions):>9} {rate:>6.0f}",
                flush=True,
            )
    elapsed = time.perf_counter() - began
    peak = max(r for _, r in samples)
    q = len(samples) // 4
    third = max(r for _, r in samples[2 * q : 3 * q]) if q else peak
    last = max(r for _, r in samples[3 * q :]) if q else peak
    plateau = last <= third * (1 + args.tolerance)
    print(f"decisions by kind: {kinds}")
    print(
        f"{args.n} articles in {elapsed:.0f}s ({args.n / elapsed:.0f}/s); peak RSS "
        f"{peak / 1024:.1f} MiB; third-quarter peak {third / 1024:.1f} MiB, last-quarter peak "
        f"{last / 1024:.1f} MiB: {'plateaued' if plateau else 'STILL GROWING'}"
    )
    return 0 if plateau else 1


if __name__ == "__main__":
    sys.exit(main())
