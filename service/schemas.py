"""Loading and compiling the JSON Schemas in `schemas/` (the published contract)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from . import jsonio
from .settings import REPO_ROOT

SCHEMA_FILES = {
    "raw": "raw-article.v1.json",
    "enriched": "enriched-article.v1.json",
    "story": "story.v1.json",
    "dead_letter": "dead-letter.v1.json",
}

SUPPORTED_RAW_VERSIONS = frozenset({1})


def schema_path(name: str, schema_dir: Path | None = None) -> Path:
    default = Path(os.environ.get("NEWSFLOW_SCHEMA_DIR") or REPO_ROOT / "schemas")
    return (schema_dir or default) / SCHEMA_FILES[name]


@cache
def load_schema(name: str, schema_dir: Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = jsonio.loads(schema_path(name, schema_dir).read_bytes())
    return data


@cache
def validator(name: str, schema_dir: Path | None = None) -> Callable[[Any], Any]:
    """A compiled fastjsonschema validator (compiled once per process)."""
    return fastjsonschema.compile(load_schema(name, schema_dir))
