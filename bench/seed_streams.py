"""Story streams built from the seed cases, shared by ``bench/eval_stories.py`` and the unit
tests (importable as ``bench.seed_streams``: it needs nothing else from ``bench``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from service.validation import parse_timestamp

TALKS = "seed:secret-talks"


def reported_for_days(rows: list[dict[str, Any]], days: int = 4) -> list[dict[str, Any]]:
    """The seed cases with the secret-talks story kept running: its first report syndicated
    again by another outlet every day for ``days`` days, its other rewrites the day after.
    A story outlets keep reporting must not be aged out by its start."""
    talks = sorted((r for r in rows if r["gold_story"] == TALKS), key=lambda r: r["published_at"])
    first, later = talks[0], talks[1:]
    t0 = parse_timestamp(first["published_at"])
    copies = [
        {
            **first,
            "id": f"{first['id']}-day{i}",
            "source": f"wire{i}.example",
            "url": f"https://wire{i}.example/talks",
            "published_at": (t0 + timedelta(days=i)).isoformat(),
        }
        for i in range(1, days + 1)
    ]
    late = [
        {**r, "published_at": (t0 + timedelta(days=days + 1, hours=2 * k)).isoformat()}
        for k, r in enumerate(later)
    ]
    return [r for r in rows if r["gold_story"] != TALKS] + [first, *copies, *late]
