"""Thin Faust agents: decode, call the pure functions, send."""

from ..app import Components
from . import faust_fixes
from .dedup import register_dedup_agent
from .ingest import register_ingest_agent


def register_agents(c: Components) -> None:
    faust_fixes.apply()
    register_ingest_agent(c)
    register_dedup_agent(c)


__all__ = ["register_agents"]
