"""The one JSON module: orjson with fixed options, shared by codec, CLI and tests."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=_OPTIONS)


def dumps_line(obj: Any) -> str:
    """One JSON document as a text line (for stdout and JSONL files)."""
    return orjson.dumps(obj, option=_OPTIONS).decode()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    return orjson.loads(data)


JSONDecodeError = orjson.JSONDecodeError
