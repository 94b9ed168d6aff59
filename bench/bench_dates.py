"""CPU time of date extraction per ~500-word article (and per TimeBank article if present).

Articles are synthesised as in bench_enrich.py (the bundled passages joined to ~500 words).
The title and the text go through ``find_dates`` as the enricher calls it; CPU time is
process time (the machine is shared: wall time would measure the neighbours), the best of
``--repeat`` runs. ``--src DIR`` imports ``service`` from another checkout, to compare a
branch with main on the same articles:

    python bench/bench_dates.py [--articles 300] [--repeat 5] [--src /work/main]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import SHARED
from bench.bench_enrich import _articles


def _best_cpu(fn, items: list, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Best per-item process time over ``repeat`` passes, in µs."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for item in items:
            fn(*item)
        best = min(best, (time.process_time() - t0) / len(items))
    return best * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--src", type=Path, default=None, help="checkout to import service from")
    args = ap.parse_args(argv)
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
        for name in [m for m in sys.modules if m == "service" or m.startswith("service.")]:
            del sys.modules[name]
    from service.enrich import dates

    pub = datetime(2026, 3, 5, 12, tzinfo=UTC)

    def run(title: str, text: str, published: datetime = pub) -> None:
        dates.find_dates(title, published, field="title")
        dates.find_dates(text, published, field="text")

    synth = [(t, b) for t, b in _articles(args.articles, 500)]
    words = sum(len(b.split()) for _, b in synth) / len(synth)
    print(f"dates from {dates.__file__}")
    print(f"synthetic: {len(synth)} articles, {words:.0f} words avg: "
          f"{_best_cpu(run, synth, args.repeat):.0f} µs/article CPU")  # fmt: skip
    raw = SHARED / "datasets" / "tbaq.raw.jsonl"
    if raw.exists():
        rows = [json.loads(line) for line in raw.read_text("utf-8").splitlines() if line]
        tb = [(r["title"], r["body"], datetime.fromisoformat(r["published_at"])) for r in rows]
        words = sum(len(b.split()) for _, b, _ in tb) / len(tb)
        print(f"tbaq: {len(tb)} articles, {words:.0f} words avg: "
              f"{_best_cpu(run, tb, args.repeat):.0f} µs/article CPU")  # fmt: skip
    else:
        print(f"SKIP tbaq: {raw} not present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
