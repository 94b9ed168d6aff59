"""Shared helpers for the bench scripts: repo paths, gold loading, a progress line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
SHARED = REPO.parent / "shared"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file, skipping the ``_about`` header line."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if "_about" not in r]


def progress(i: int, n: int, label: str) -> None:
    """A single self-overwriting progress line on stderr."""
    if sys.stderr.isatty() or i == n:
        sys.stderr.write(f"\r{label}: {i}/{n}")
        if i == n:
            sys.stderr.write("\n")
        sys.stderr.flush()


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 (1.0 when there is nothing to find and nothing found)."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f
