"""Dead-letter records: the original bytes, where they came from, and why they failed."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from .pipeline import utc_now_iso
from .validation import article_id_hint

TEXT_PREVIEW_CHARS = 4096


def dead_letter(
    *,
    value: bytes | None,
    key: bytes | None,
    topic: str,
    partition: int,
    offset: int,
    code: str,
    message: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    original = value or b""
    try:
        text: str | None = original.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and len(text) > TEXT_PREVIEW_CHARS:
        text = None
    return {
        "error_code": code,
        "error_message": message[:2000],
        "original_base64": base64.b64encode(original).decode("ascii"),
        "original_key_base64": base64.b64encode(key).decode("ascii") if key is not None else None,
        "original_text": text,
        "article_id": article_id_hint(value),
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "failed_at": utc_now_iso(now),
        "schema_version": 1,
    }
