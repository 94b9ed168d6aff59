"""Shared by the dedup evaluation, fit and benchmark scripts: the labelled dev set, the shared
seed, derived near-copy variants, and the worker's code path (clean -> enrich -> features).

Near-copy variants are derived with a fixed seed from every dev article (and the seed), one per
class: ``syndicated`` (verbatim, another source), ``byline`` (byline lines changed/added),
``boilerplate`` (scraped lines inserted), ``reorder`` (paragraphs shuffled), ``truncate`` (first
50% of the words), ``edit`` (three words replaced or dropped). Each is published 5-180 minutes
after its base and expected to be an exact/near copy of an article of the base's gold story.
"""

from __future__ import annotations

import random
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from service import jsonio  # noqa: E402
from service.dedup import article_features  # noqa: E402
from service.pipeline import enrich_article  # noqa: E402
from service.validation import parse_timestamp  # noqa: E402

DEV_SET = ROOT / "bench" / "data" / "dedup_dev.jsonl"
SEED = ROOT.parent / "shared" / "seeds" / "unn-secret-talks-2026-03-05.txt"
VARIANT_CLASSES = ("syndicated", "byline", "boilerplate", "reorder", "truncate", "edit")

_BYLINES = ["By Maria Lopez", "By John Okafor, Staff Writer", "By Staff Reporter", "By Wire Desk"]
_BOILERPLATE = [
    "Read also: Markets close higher as oil steadies",
    "Subscribe to our newsletter for the latest updates",
    "Advertisement",
    "Follow us on Telegram and X for breaking news",
    "Share this article",
    "Photo: Reuters",
    "© 2026 All rights reserved",
    "Related: What we know so far",
]
_EDIT_WORDS = ["reportedly", "apparently", "also", "further", "notably", "meanwhile"]


def load_seed() -> dict[str, Any] | None:
    """The shared seed article as a raw dev-set row (first line noise, second the title)."""
    if not SEED.exists():
        return None
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return {
        "id": "seed-unn-2026-03-05",
        "source": "unn.ua",
        "url": "https://unn.ua/en/news/us-and-iran-may-have-held-secret-talks",
        "title": lines[1].strip(),
        "body": "\n".join(lines[2:]),
        "published_at": "2026-03-05T10:00:00+02:00",
        "language": "en",
        "gold_story": "us-iran-secret-talks",
        "note": "original",
    }


def load_dev(path: Path = DEV_SET) -> list[dict[str, Any]]:
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(jsonio.loads(line))
    else:
        warnings.warn(f"{path} not found: evaluating on the seed only", stacklevel=2)
    seed = load_seed()
    if seed is not None:
        rows.append(seed)
    return rows


def _paragraphs(body: str) -> list[str]:
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    return paras if len(paras) > 1 else [p.strip() for p in body.splitlines() if p.strip()]


def _variant_body(kind: str, body: str, rng: random.Random) -> str:
    paras = _paragraphs(body)
    if kind == "byline":
        return "\n\n".join([rng.choice(_BYLINES), *paras, "Reporting by Wire Desk"])
    if kind == "boilerplate":
        for line in rng.sample(_BOILERPLATE, 3):
            paras.insert(rng.randint(1, len(paras)), line)
        return "\n\n".join(paras)
    if kind == "reorder":
        order = list(range(len(paras)))
        while len(order) > 1 and order == sorted(order):
            rng.shuffle(order)
        return "\n\n".join(paras[i] for i in order)
    if kind == "truncate":
        words = body.split(" ")
        return " ".join(words[: max(1, len(words) // 2)])
    if kind == "edit":
        words = body.split(" ")
        spots = [i for i, w in enumerate(words) if w.isalpha() and len(w) > 3]
        for i in sorted(rng.sample(spots, min(3, len(spots))), reverse=True):
            if rng.random() < 0.5:
                del words[i]
            else:
                words[i] = rng.choice(_EDIT_WORDS)
        return " ".join(words)
    return body  # syndicated


def derive_variants(rows: list[dict[str, Any]], seed: int = 13) -> list[dict[str, Any]]:
    """One near-copy of each class per base row, reproducibly."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        published = parse_timestamp(row["published_at"])
        for kind in VARIANT_CLASSES:
            when = published + timedelta(minutes=rng.randint(5, 180))
            out.append(
                {
                    **row,
                    "id": f"{row['id']}~{kind}",
                    "source": f"{kind}-copy.example",
                    "url": f"{row['url']}#{kind}",
                    "body": _variant_body(kind, row["body"], rng),
                    "published_at": when.astimezone(UTC).isoformat(),
                    "note": f"variant:{kind}",
                    "base": row["id"],
                }
            )
    return out


class _FallbackEnricher:
    """Used while ``service.enrich.load_pipeline`` does not exist yet: no entities, dates from
    ``service.enrich.dates.find_dates`` if present."""

    def __init__(self) -> None:
        try:
            from service.enrich.dates import find_dates
        except ImportError:
            warnings.warn("service.enrich.dates missing: no dates", stacklevel=2)
            find_dates = None
        self._find_dates = find_dates

    def entities(self, title: str, text: str) -> list[dict[str, Any]]:
        return []

    def dates(
        self, title: str, text: str, published_at: datetime, *, dayfirst: bool = True
    ) -> list[dict[str, Any]]:
        if self._find_dates is None:
            return []
        return [
            *self._find_dates(title, published_at, dayfirst=dayfirst, field="title"),
            *self._find_dates(text, published_at, dayfirst=dayfirst, field="text"),
        ]

    def language(self, title: str, text: str) -> str:
        return "en"


def load_enricher() -> Any:
    try:
        from service.enrich import load_pipeline  # type: ignore[attr-defined]
    except ImportError:
        warnings.warn(
            "service.enrich.load_pipeline missing: no entities (dates from find_dates)",
            stacklevel=2,
        )
        return _FallbackEnricher()
    return load_pipeline()


def align_stories(
    features: list[dict[str, Any]], gold: dict[str, str], seed: int = 29, spread_days: int = 3
) -> list[dict[str, Any]]:
    """Shift each gold story by whole days so all start within 0-``spread_days`` days of the
    earliest one (0: all on one day, at their own times of day).

    The dev set spreads its stories (and their hard negatives) over months, which a time window
    separates trivially; a real stream holds many unrelated stories in the same 72 h. Times and
    event dates move by the same whole number of days, so within-story timing is kept.
    """
    rng = random.Random(seed)
    t0 = min(f["published_ts"] for f in features)
    first: dict[str, float] = {}
    for f in features:
        g = gold[f["id"]]
        first[g] = min(first.get(g, f["published_ts"]), f["published_ts"])
    shift = {
        g: int((t0 - t) // 86400) + 1 + rng.randint(0, spread_days)
        for g, t in sorted(first.items())
    }
    out = []
    for f in features:
        days = shift[gold[f["id"]]]
        ts = f["published_ts"] + days * 86400
        moved = [(date.fromisoformat(d) + timedelta(days=days)).isoformat() for d in f["dates"]]
        out.append({**f, "published_ts": ts, "published_at": iso_utc(ts), "dates": moved})
    return sorted(out, key=lambda f: (f["published_ts"], f["id"]))


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def featurize(
    rows: list[dict[str, Any]], enricher: Any, *, align: bool = False
) -> list[dict[str, Any]]:
    """Rows in time order through the worker's path: clean, enrich, article_features."""
    keyed = sorted(rows, key=lambda r: (parse_timestamp(r["published_at"]), r["id"]))
    out = []
    for row in keyed:
        raw = {k: v for k, v in row.items() if k not in {"gold_story", "note", "base"}}
        out.append(article_features(enrich_article(raw, enricher)))
    if align:
        out = align_stories(out, {r["id"]: r["gold_story"] for r in rows})
    return out
