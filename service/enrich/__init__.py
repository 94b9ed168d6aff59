"""Enrichment: canonical entities, resolved dates and a language guess (pure functions)."""

from service.enrich.pipeline import DEFAULT_MODEL, Enricher, load_pipeline

__all__ = ["DEFAULT_MODEL", "Enricher", "load_pipeline"]
