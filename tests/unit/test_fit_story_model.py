"""The story model's fitting helpers (bench/fit_story_model.py): sign constraints and tied
weights, on synthetic logistic data whose true weights are known."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import fit_story_model as fsm


def _data(w: tuple[float, float], n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    p = 1.0 / (1.0 + np.exp(-(x @ np.array(w))))
    return x, (rng.random(n) < p).astype(float)


@pytest.fixture
def constrained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fsm, "CONSTRAIN", [True])


def test_a_free_fit_recovers_the_signs() -> None:
    x, y = _data((2.0, -1.5))
    w, _ = fsm.fit(x, y, 1.0, drop=[], signs=[1, 1], tie=[])
    assert w[0] > 1.5 and w[1] < -1.0


def test_a_weight_of_the_wrong_sign_is_held_at_zero_and_the_rest_refitted(
    constrained: None,
) -> None:
    x, y = _data((2.0, -1.5))
    w, _ = fsm.fit(x, y, 1.0, drop=[], signs=[1, 1], tie=[])
    assert w[1] == 0.0 and w[0] > 1.5
    kept, _ = fsm.fit(x, y, 1.0, drop=[], signs=[1, -1], tie=[])  # the sign it may take
    assert kept[1] < -1.0


def test_tied_features_share_one_weight() -> None:
    x, y = _data((1.0, 3.0))
    w, _ = fsm.fit(x, y, 1.0, drop=[], signs=[None, None], tie=[0, 1])
    assert w[0] == w[1]
    assert 1.0 < w[0] < 3.0  # the fit of their sum: between the two true weights
