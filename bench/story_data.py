"""Shared by the story evaluation and fit scripts: the labelled story sets, the worker's code
path (clean -> enrich -> article_features -> DedupEngine.decide), the scores and a baseline.

Sets (each a list of raw rows with ``gold_story``):
- BASIL as published and aligned in time (``../shared/datasets``; absent on a user's clone);
- the project's own dev set (``bench/data/dedup_dev.jsonl``, real articles, stories aligned in
  time by ``dedup_data.align_stories`` when asked) plus the shared seed when present;
- the seed cases (``bench/data/story_seed_cases.jsonl``, hand-written): the secret-talks story
  and three different events about the same people that must stay apart.

Scores use the definitions of ``../shared/datasets/score/score_stories.py``: pairwise P/R/F1
over same-story pairs (0 when nothing is predicted) and B-cubed P/R/F1 per article.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from dedup_data import ROOT, align_stories, load_dev, load_enricher

from service import jsonio
from service.dedup import DedupConfig, DedupEngine, article_features
from service.dedup.scoring import STOPWORDS
from service.pipeline import enrich_article
from service.validation import parse_timestamp

SHARED = ROOT.parent / "shared" / "datasets"
BASIL = SHARED / "basil.raw.jsonl"
BASIL_ALIGNED = SHARED / "basil-aligned.raw.jsonl"
BASIL_LABELS = SHARED / "basil.labels.json"
SCORER = SHARED / "score" / "score_stories.py"
SEED_CASES = ROOT / "bench" / "data" / "story_seed_cases.jsonl"
EXPIRE_EVERY = 500  # as service/agents/dedup.py
_LABEL_KEYS = {"gold_story", "note", "base"}


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [jsonio.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def basil_available() -> bool:
    return BASIL.exists() and BASIL_ALIGNED.exists() and BASIL_LABELS.exists()


def load_basil(aligned: bool, stories: int | None = None) -> list[dict[str, Any]]:
    """BASIL rows with their gold story; ``stories``: only the first n stories (by label)."""
    labels: dict[str, str] = jsonio.loads(BASIL_LABELS.read_bytes())
    rows = read_rows(BASIL_ALIGNED if aligned else BASIL)
    if stories is not None:
        keep = set(sorted(set(labels.values()))[:stories])
        rows = [r for r in rows if labels[r["id"]] in keep]
    return [{**r, "gold_story": labels[r["id"]]} for r in rows]


def load_seed_cases() -> list[dict[str, Any]]:
    """The hand-written seed cases, plus the shared seed article itself when present."""
    rows = read_rows(SEED_CASES)
    shared = [r for r in load_dev() if r["id"].startswith("seed-")]
    return rows + [{**r, "gold_story": "seed:secret-talks"} for r in shared]


def load_own(stories: int | None = None) -> list[dict[str, Any]]:
    """The dev set's real articles (and the shared seed when present)."""
    rows = load_dev()
    if stories is not None:
        keep = set(sorted({r["gold_story"] for r in rows})[:stories])
        rows = [r for r in rows if r["gold_story"] in keep]
    return rows


def featurize(
    rows: list[dict[str, Any]], enricher: Any = None, *, align: bool = False, spread_days: int = 3
) -> list[dict[str, Any]]:
    """Rows in publication order through the worker's partitioned-stage path (``align``: the
    stories shifted to start within ``spread_days`` days, ``dedup_data.align_stories``)."""
    enricher = enricher or load_enricher()
    keyed = sorted(rows, key=lambda r: (parse_timestamp(r["published_at"]), r["id"]))
    out = []
    for row in keyed:
        raw = {k: v for k, v in row.items() if k not in _LABEL_KEYS}
        out.append(article_features(enrich_article(raw, enricher)))
    if align:
        out = align_stories(out, {r["id"]: r["gold_story"] for r in rows}, spread_days=spread_days)
    return out


def replay(
    features: Iterable[dict[str, Any]],
    config: DedupConfig | None = None,
    on_decide: Callable[[DedupEngine, dict[str, Any]], None] | None = None,
) -> dict[str, str]:
    """article id -> story id, deciding in the given (publication) order as the agent does."""
    engine = DedupEngine(config or DedupConfig(), {}, {})
    pred = {}
    for i, f in enumerate(features, 1):
        if on_decide is not None:
            on_decide(engine, f)
        pred[f["id"]] = engine.decide(f).story_id
        if i % EXPIRE_EVERY == 0:
            engine.expire(f["published_ts"])
    return pred


# -- scores (score_stories.py's definitions) ------------------------------------------------


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _prf(tp: float, npred: float, ngold: float) -> tuple[float, float, float]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pairwise(gold: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    ids = list(gold)
    cell = Counter((pred[i], gold[i]) for i in ids)
    tp = sum(_pairs(v) for v in cell.values())
    npred = sum(_pairs(v) for v in Counter(pred[i] for i in ids).values())
    ngold = sum(_pairs(v) for v in Counter(gold[i] for i in ids).values())
    return _prf(tp, npred, ngold)


def bcubed(gold: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    ids = list(gold)
    if not ids:
        return 0.0, 0.0, 0.0
    cell = Counter((pred[i], gold[i]) for i in ids)
    gsz, psz = Counter(gold[i] for i in ids), Counter(pred[i] for i in ids)
    p = sum(cell[(pred[i], gold[i])] / psz[pred[i]] for i in ids) / len(ids)
    r = sum(cell[(pred[i], gold[i])] / gsz[gold[i]] for i in ids) / len(ids)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# -- the TF-IDF single-pass baseline ----------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def _bag(row: dict[str, Any]) -> Counter[str]:
    text = f"{row['title']}\n{row['title']}\n{row['body']}".casefold()
    return Counter(w for w in _WORD.findall(text) if len(w) > 1 and w not in STOPWORDS)


def tfidf_vectors(rows: list[dict[str, Any]]) -> np.ndarray:
    """L2-normalised TF-IDF rows (title twice + body, stopwords out), idf over the set itself."""
    bags = [_bag(r) for r in rows]
    vocab: dict[str, int] = {}
    for b in bags:
        for w in b:
            vocab.setdefault(w, len(vocab))
    df = Counter(w for b in bags for w in b)
    n = len(rows)
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, b in enumerate(bags):
        for w, c in b.items():
            m[i, vocab[w]] = (1.0 + math.log(c)) * (math.log((n + 1) / (df[w] + 1)) + 1.0)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return m


def single_pass(sims: np.ndarray, threshold: float) -> list[int]:
    """Each article joins the most similar cluster centroid at >= threshold, else starts one.

    ``sims`` is the article-by-article cosine matrix: a centroid's dot product with an article
    is the sum of its members' rows, its squared norm the sum over its member pairs.
    """
    n = len(sims)
    member = np.zeros((n, n), dtype=np.float64)  # cluster x article indicator
    norm_sq = np.zeros(n)
    labels: list[int] = []
    k = 0
    for i in range(n):
        if k:
            dots = member[:k] @ sims[:, i]
            cos = dots / np.sqrt(norm_sq[:k])
            best = int(np.argmax(cos))
            if cos[best] >= threshold:
                norm_sq[best] += 2.0 * dots[best] + sims[i, i]
                member[best, i] = 1.0
                labels.append(best)
                continue
        member[k, i] = 1.0
        norm_sq[k] = sims[i, i]
        labels.append(k)
        k += 1
    return labels


def baseline(
    rows: list[dict[str, Any]], score: set[str] | None = None
) -> tuple[float, tuple[float, float, float]]:
    """(threshold, pairwise P/R/F1) of the single pass over ``rows``, scored on the ``score``
    ids (default all), the threshold tuned on them."""
    keyed = sorted(rows, key=lambda r: (parse_timestamp(r["published_at"]), r["id"]))
    vectors = tfidf_vectors(keyed)
    sims = (vectors @ vectors.T).astype(np.float64)
    gold = {r["id"]: r["gold_story"] for r in keyed if score is None or r["id"] in score}
    best: tuple[float, tuple[float, float, float]] = (0.0, (0.0, 0.0, 0.0))
    for t in np.arange(0.05, 0.96, 0.025):
        labels = single_pass(sims, float(t))
        pred = {r["id"]: str(k) for r, k in zip(keyed, labels, strict=True) if r["id"] in gold}
        score = pairwise(gold, pred)
        if score[2] > best[1][2]:
            best = (round(float(t), 3), score)
    return best
