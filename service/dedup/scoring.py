"""Article-to-story signals and the logistic scorer that combines them.

Signals (all in [-1, 1] or [0, 1]):
- ``cosine``: TF-IDF cosine of the article's title+lead terms with the story's aggregated terms,
  idf from streaming document frequencies;
- ``entities``: share of the article's canonical-entity weight (idf from streaming entity
  frequencies) that the story also holds;
- ``dates``: +1 when event dates agree within a day, -1 when both have event dates and none is
  within ``DATE_CONFLICT_DAYS``, else 0;
- ``gap``: hours since the story was last seen, divided by the story window (reported as
  evidence; not in the model: the dev set cannot calibrate it, the window bounds time instead);
- ``numbers``: 1 when both title+leads hold numbers and none is shared (a templated story with
  other facts), else 0.
The weights live in ``data/story_model.json``, fitted by ``bench/fit_story_model.py``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from service import jsonio

FEATURES = ("cosine", "entities", "dates", "numbers")
LEAD_WORDS = 60
DATE_CONFLICT_DAYS = 3
TITLE_WEIGHT = 2

_TERM = re.compile(r"[^\W_]+")
_STOPWORDS = """a about after again against all also an and any are as at be because been before
    being between both but by can could did do does during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our out over own s said says same she should so some
    such t than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    new news report reports reported according told say one two"""
STOPWORDS = frozenset(_STOPWORDS.split())


def terms(title: str, lead: str) -> dict[str, int]:
    """Term counts of a casefolded title (counted twice) and lead, stopwords dropped."""
    counts: Counter[str] = Counter()
    for weight, text in ((TITLE_WEIGHT, title), (1, lead)):
        for tok in _TERM.findall(text):
            if len(tok) > 1 and tok not in STOPWORDS:
                counts[tok] += weight
    return dict(counts)


def idf(df: int, n_docs: int) -> float:
    """Smoothed inverse document frequency."""
    return math.log((n_docs + 1) / (df + 1)) + 1.0


def weighted_norm(counts: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return math.sqrt(sum((c * weights.get(t, 1.0)) ** 2 for t, c in counts.items()))


def tfidf_cosine(
    a: Mapping[str, float],
    b: Mapping[str, float],
    weights: Mapping[str, float],
    norm_a: float | None = None,
    norm_b: float | None = None,
) -> float:
    """Cosine of two term-count vectors, each term scaled by ``weights`` (default 1).

    Given weighted norms (b's cached with the story, a's computed once per article), only a's
    terms need weights and b is not walked.
    """
    if not a or not b:
        return 0.0
    dot = 0.0
    for t, c in a.items():
        other = b.get(t)
        if other:
            w = weights.get(t, 1.0)
            dot += c * other * w * w
    if dot == 0.0:
        return 0.0
    na = weighted_norm(a, weights) if norm_a is None else norm_a
    nb = weighted_norm(b, weights) if norm_b is None else norm_b
    return min(1.0, dot / (na * nb))


def entity_overlap(
    article_ids: Iterable[str], story_ids: Mapping[str, Any], weights: Mapping[str, float]
) -> tuple[float, list[str]]:
    """Rarity-weighted share of the article's entities the story holds, and the shared ids."""
    total = 0.0
    shared_w = 0.0
    shared = []
    for e in article_ids:
        w = weights.get(e, 1.0)
        total += w
        if e in story_ids:
            shared_w += w
            shared.append(e)
    return (shared_w / total if total else 0.0), shared


def date_agreement(article_dates: Iterable[str], story_dates: Iterable[str]) -> float:
    """+1 if event dates (YYYY-MM-DD) agree within a day, -1 if both have dates and none lies
    within ``DATE_CONFLICT_DAYS``, 0 otherwise (either has none, or only near misses)."""
    a = {_day(d) for d in article_dates} - {None}
    s = {_day(d) for d in story_dates} - {None}
    if not a or not s:
        return 0.0
    gap = min(abs(x - y) for x in a for y in s if x is not None and y is not None)
    if gap <= 1:
        return 1.0
    return -1.0 if gap > DATE_CONFLICT_DAYS else 0.0


def _day(value: str) -> int | None:
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


def number_conflict(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return 1.0 if sa and sb and not (sa & sb) else 0.0


@dataclass(frozen=True)
class StoryModel:
    """Logistic regression over ``FEATURES``: p = sigmoid(bias + sum(w_i x_i))."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    info: Mapping[str, Any]

    def probability(self, signals: Mapping[str, float]) -> float:
        z = self.bias + sum(w * signals[f] for w, f in zip(self.weights, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoryModel:
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"story model features {data['features']} != {FEATURES}")
        return cls(
            weights=tuple(float(data["weights"][f]) for f in FEATURES),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            info={k: v for k, v in data.items() if k not in {"weights", "bias", "threshold"}},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.info,
            "features": list(FEATURES),
            "weights": dict(zip(FEATURES, self.weights, strict=True)),
            "bias": self.bias,
            "threshold": self.threshold,
        }


def load_story_model() -> StoryModel:
    """The fitted model shipped in ``service/dedup/data/story_model.json``."""
    raw = resources.files("service.dedup").joinpath("data/story_model.json").read_bytes()
    return StoryModel.from_dict(jsonio.loads(raw))
