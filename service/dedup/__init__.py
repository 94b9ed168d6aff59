"""Duplicate detection: exact copies, near-copies and same-story rewrites (pure code)."""

from service.dedup.engine import Decision, DedupConfig, DedupEngine
from service.dedup.features import article_features

__all__ = ["Decision", "DedupConfig", "DedupEngine", "article_features"]
