"""Validation turns every kind of bad input into an InvalidArticle with a stable code."""

from __future__ import annotations

import pytest

from service import jsonio
from service.errors import InvalidArticle
from service.validation import decode_raw, parse_timestamp

GOOD = {
    "id": "a1",
    "source": "example.com",
    "url": "https://example.com/a1",
    "title": "A title",
    "body": "Some body text.",
    "published_at": "2026-03-05T10:00:00+02:00",
}


def decode(value: bytes, **limits: int) -> dict[str, object]:
    opts = {"max_bytes": 10_000, "max_body_chars": 1_000, **limits}
    return decode_raw(value, **opts)


def code_of(value: bytes, **limits: int) -> str:
    with pytest.raises(InvalidArticle) as info:
        decode(value, **limits)
    assert info.value.message
    return info.value.code


def test_valid_article_gets_default_schema_version() -> None:
    article = decode(jsonio.dumps(GOOD))
    assert article["schema_version"] == 1
    assert article["id"] == "a1"


def test_optional_fields_are_accepted() -> None:
    doc = {**GOOD, "language": "en-GB", "fetched_at": "2026-03-05T10:01:00Z", "schema_version": 1}
    assert decode(jsonio.dumps(doc))["language"] == "en-GB"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"{not json", "not_json"),
        (b"", "not_json"),
        (b"[1, 2]", "not_object"),
        (b'"a string"', "not_object"),
        (b"\xff\xfe\x00garbage", "not_utf8"),
        (jsonio.dumps({k: v for k, v in GOOD.items() if k != "url"}), "missing_field"),
        (jsonio.dumps({**GOOD, "title": 42}), "wrong_type"),
        (jsonio.dumps({**GOOD, "published_at": None}), "wrong_type"),
        (jsonio.dumps({**GOOD, "published_at": "yesterday"}), "invalid_value"),
        (jsonio.dumps({**GOOD, "published_at": "2026-03-05T10:00:00"}), "invalid_value"),
        (jsonio.dumps({**GOOD, "published_at": "2026-02-30T10:00:00+00:00"}), "invalid_value"),
        (jsonio.dumps({**GOOD, "url": "ftp://x"}), "invalid_value"),
        (jsonio.dumps({**GOOD, "id": ""}), "invalid_value"),
        (jsonio.dumps({**GOOD, "language": "not a tag!"}), "invalid_value"),
        (jsonio.dumps({**GOOD, "schema_version": 2}), "unknown_schema_version"),
        (jsonio.dumps({**GOOD, "schema_version": "1"}), "unknown_schema_version"),
        (jsonio.dumps({**GOOD, "body": "x" * 1_001}), "body_too_large"),
        (b"[" * 5000 + b"]" * 5000, "not_json"),
    ],
)
def test_bad_input_has_a_reason(value: bytes, code: str) -> None:
    assert code_of(value) == code


def test_size_limit_is_checked_before_parsing() -> None:
    assert code_of(b"{" + b" " * 20_000, max_bytes=10_000) == "too_large"


def test_tombstone_is_rejected() -> None:
    with pytest.raises(InvalidArticle):
        decode_raw(None, max_bytes=10, max_body_chars=10)


def test_parse_timestamp_keeps_offset() -> None:
    ts = parse_timestamp("2026-03-05T10:00:00+02:00")
    assert ts.utcoffset() is not None
    assert ts.isoformat() == "2026-03-05T10:00:00+02:00"
    assert parse_timestamp("2026-03-05T08:00:00Z").hour == 8
