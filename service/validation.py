"""Decode and validate raw article events; every failure is an InvalidArticle with a reason code.

Checks run cheapest first, and the size limit before any parsing, so a huge or hostile
message costs as little as possible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastjsonschema

from . import jsonio
from .errors import InvalidArticle
from .schemas import SUPPORTED_RAW_VERSIONS, validator

_MAX_DEPTH_HINT = "nesting too deep"


def decode_raw(
    value: bytes | None,
    *,
    max_bytes: int,
    max_body_chars: int,
    schema_dir: Path | None = None,
) -> dict[str, Any]:
    """Return the validated article dict (with defaults filled) or raise InvalidArticle."""
    if value is None:
        raise InvalidArticle("not_json", "message has no value (tombstone)")
    if len(value) > max_bytes:
        raise InvalidArticle(
            "too_large", f"message is {len(value)} bytes, limit is {max_bytes} bytes"
        )
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle(
            "not_utf8", f"value is not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    try:
        data = jsonio.loads(text)
    except jsonio.JSONDecodeError as exc:
        raise InvalidArticle("not_json", f"value is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidArticle("not_json", f"value is not valid JSON: {_MAX_DEPTH_HINT}") from None
    if not isinstance(data, dict):
        raise InvalidArticle("not_object", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version", 1)
    if type(version) is not int or version not in SUPPORTED_RAW_VERSIONS:
        raise InvalidArticle(
            "unknown_schema_version",
            f"schema_version {version!r} is not supported "
            f"(supported: {sorted(SUPPORTED_RAW_VERSIONS)})",
        )
    try:
        article: dict[str, Any] = validator("raw", schema_dir)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _schema_error(exc) from None
    if len(article["body"]) > max_body_chars:
        raise InvalidArticle(
            "body_too_large",
            f"body has {len(article['body'])} characters, limit is {max_body_chars}",
        )
    try:
        parse_timestamp(article["published_at"])
    except ValueError as exc:
        raise InvalidArticle("invalid_value", f"data.published_at: {exc}") from None
    return article


def _schema_error(exc: fastjsonschema.JsonSchemaValueException) -> InvalidArticle:
    rule = exc.rule or ""
    if rule == "required":
        return InvalidArticle("missing_field", exc.message)
    if rule == "type":
        return InvalidArticle("wrong_type", exc.message)
    return InvalidArticle("invalid_value", exc.message)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp with offset into an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    try:
        parsed.astimezone(UTC)  # 0001-01-01T00:00+14:00 is before year 1 in UTC
    except OverflowError:
        raise ValueError(f"timestamp {value!r} is out of range in UTC") from None
    return parsed


def to_utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def article_id_hint(value: bytes | None) -> str | None:
    """Best-effort article id from an invalid message, for the dead letter."""
    if not value or len(value) > 1_000_000:
        return None
    try:
        data = jsonio.loads(value)
    except Exception:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return str(data["id"])[:256]
    return None
