"""Fit the article-to-story logistic model and write ``service/dedup/data/story_model.json``.

    .venv/bin/python bench/fit_story_model.py [--l2 1.0] [--dry-run]

Pairs: the dev set (real articles only, no derived copies) is replayed in time order through
the worker's path; before each article is recorded, every candidate story the engine finds is a
labelled pair (1 when the story holds the article's gold story). Articles are then assigned to
their gold story (teacher forcing), so the pairs do not depend on the model being fitted.
Stories are first aligned in time (``dedup_data.align_stories``: each gold story shifted by
whole days to start within 0-3 days of the others), since the dev set spreads its hard negatives
over months where a real stream holds them in the same 72 h window.
Model: L2-regularised logistic regression by Newton's method (bias not penalised), few features.
Cross-validation: 5 folds grouped by gold story (seeded), reporting AUC and P/R/F1 at the
threshold; the threshold is the one maximising cross-validated F1 on a coarse grid.
Deterministic: fixed seed, no randomness elsewhere.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime
from typing import Any

import numpy as np
from dedup_data import DEV_SET, ROOT, featurize, load_dev, load_enricher

from service import jsonio
from service.dedup import DedupConfig, DedupEngine
from service.dedup.scoring import FEATURES, StoryModel
from service.dedup.story import story_id_for

MODEL_PATH = ROOT / "service" / "dedup" / "data" / "story_model.json"
SEED = 7
GRID = [round(0.05 * i, 2) for i in range(2, 19)]


def build_pairs(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    gold = {r["id"]: r["gold_story"] for r in rows}
    # teacher forcing never asks the model: a neutral one, so the shipped file may be stale.
    # Every candidate sharing one query key is a pair (the worker scores only those sharing
    # ``min_shared_keys``): the model must also score the weak ones low, not learn its bias
    # on the hard ones alone.
    neutral = StoryModel(weights=(0.0,) * len(FEATURES), bias=0.0, threshold=0.5, info={})
    config = DedupConfig(model=neutral, min_shared_keys=1, max_story_candidates=10)
    engine = DedupEngine(config, {}, {})
    story_gold: dict[str, str] = {}
    gold_story: dict[str, str] = {}
    x, y, groups = [], [], []
    for f in featurize(rows, load_enricher(), align=True):
        g = gold[f["id"]]
        for sid, signals in engine.candidate_stories(f):
            x.append([signals[name] for name in FEATURES])
            y.append(1.0 if story_gold[sid] == g else 0.0)
            groups.append(g)
        sid = gold_story.setdefault(g, story_id_for(f["id"]))
        story_gold[sid] = g
        engine.decide(f, assign_to=sid)
    return np.array(x, dtype=float).reshape(-1, len(FEATURES)), np.array(y), groups


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log-loss over standardised features; returns
    (weights, bias) on the original scale."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    xb = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)


def predict(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))


def auc(y: np.ndarray, s: np.ndarray) -> float:
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def prf(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float, float, float]:
    hit = s >= t
    tp = float((hit & (y == 1)).sum())
    p = tp / hit.sum() if hit.sum() else 1.0
    r = tp / (y == 1).sum() if (y == 1).sum() else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def cross_validate(x: np.ndarray, y: np.ndarray, groups: list[str], l2: float) -> np.ndarray:
    """Out-of-fold scores, 5 folds grouped by gold story."""
    names = sorted(set(groups))
    random.Random(SEED).shuffle(names)
    fold_of = {g: i % 5 for i, g in enumerate(names)}
    folds = np.array([fold_of[g] for g in groups])
    scores = np.zeros(len(y))
    for k in range(5):
        test = folds == k
        if not test.any() or len(set(y[~test])) < 2:
            scores[test] = 0.5
            continue
        w, b = fit(x[~test], y[~test], l2)
        scores[test] = predict(x[test], w, b)
    return scores


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the weights")
    ap.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    args = ap.parse_args(argv)
    rows = load_dev()
    x, y, groups = build_pairs(rows)
    print(f"{len(rows)} articles, {len(set(groups))} gold stories with candidates")
    print(f"{len(y)} article-story pairs, {int(y.sum())} positive")
    oof = cross_validate(x, y, groups, args.l2)
    threshold = max(GRID, key=lambda t: (round(prf(y, oof, t)[2], 4), -abs(t - 0.5)))
    p, r, f1 = (float(v) for v in prf(y, oof, threshold))
    cv_auc = auc(y, oof)
    print(f"cross-validated AUC {cv_auc:.3f}; at threshold {threshold}: ")
    print(f"  P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    w, b = fit(x, y, args.l2)
    print("weights", {name: round(float(v), 3) for name, v in zip(FEATURES, w, strict=True)})
    print(f"bias {b:.3f}")
    model = StoryModel(
        weights=tuple(round(float(v), 4) for v in w),
        bias=round(b, 4),
        threshold=threshold,
        info={
            "fitted_at": datetime.now(UTC).date().isoformat(),
            "fitted_on": f"{DEV_SET.name} + shared seed: {len(rows)} articles, "
            f"{len(y)} pairs ({int(y.sum())} positive), stories aligned in time",
            "script": "bench/fit_story_model.py",
            "l2": args.l2,
            "seed": SEED,
            "cv": {"folds": 5, "auc": round(cv_auc, 4), "precision": round(p, 4),
                   "recall": round(r, 4), "f1": round(f1, 4)},
        },
    )  # fmt: skip
    if not args.dry_run:
        MODEL_PATH.write_bytes(jsonio.dumps(model.to_dict()) + b"\n")
        print(f"wrote {MODEL_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
