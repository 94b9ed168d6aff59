"""The preparer gives the same outcome in a child process as in the worker's own."""

from __future__ import annotations

import pickle

import orjson
import pytest

from service.errors import EnrichmentError, InvalidArticle
from service.preparer import PrepareOptions, Preparer

OPTIONS = PrepareOptions(
    model=None,
    lead_words=50,
    max_bytes=1_000_000,
    max_body_chars=200_000,
    monthfirst_sources=frozenset(),
)


def raw(i: int, **over: object) -> bytes:
    article = {
        "schema_version": 1,
        "id": f"p-{i}",
        "source": "example.com",
        "url": f"https://example.com/{i}",
        "title": f"Benjamin Netanyahu meets Emmanuel Macron in Paris ({i})",
        "body": "Israeli Prime Minister Benjamin Netanyahu met French President Emmanuel "
        "Macron in Paris on Tuesday. Netanyahu said the talks were useful. " * 3,
        "published_at": "2026-03-04T10:00:00Z",
        "language": "en",
    }
    article.update(over)
    return orjson.dumps(article)


def test_invalid_article_survives_pickling() -> None:
    err = pickle.loads(pickle.dumps(InvalidArticle("missing_field", "no title")))
    assert (err.code, err.message) == ("missing_field", "no title")


@pytest.mark.asyncio
@pytest.mark.parametrize("processes", [0, 2])
async def test_outcomes_per_message_in_order(processes: int) -> None:
    preparer = Preparer(OPTIONS, processes)
    try:
        values = [raw(0), b"{not json", raw(2, title=None), raw(3), None, raw(5)]
        results, timings = await preparer.prepare(values)
    finally:
        preparer.close()
    assert len(results) == len(timings) == len(values)
    ok = {i: r for i, r in enumerate(results) if isinstance(r, tuple)}
    assert sorted(ok) == [0, 3, 5]
    assert [ok[i][0]["id"] for i in (0, 3, 5)] == ["p-0", "p-3", "p-5"]
    names = {e["name"] for e in ok[3][0]["entities"]}
    assert {"Benjamin Netanyahu", "Emmanuel Macron", "Paris"} <= names
    bad = [r for r in results if not isinstance(r, tuple)]
    assert all(isinstance(r, InvalidArticle) for r in bad)
    assert {r.code for r in bad if isinstance(r, InvalidArticle)} == {"not_json", "wrong_type"}
    assert timings[0].stages["entities"] > 0


@pytest.mark.asyncio
async def test_same_result_in_child_and_here() -> None:
    values = [raw(i) for i in range(4)]
    here, child = Preparer(OPTIONS, 0), Preparer(OPTIONS, 1)
    try:
        a, _ = await here.prepare(values)
        b, _ = await child.prepare(values)
    finally:
        child.close()
    strip = [
        {k: v for k, v in r[0].items() if k != "received_at"} for r in a if isinstance(r, tuple)
    ]
    strip_b = [
        {k: v for k, v in r[0].items() if k != "received_at"} for r in b if isinstance(r, tuple)
    ]
    assert strip == strip_b and len(strip) == 4


def test_unexpected_errors_cross_as_enrichment_errors() -> None:
    from service import preparer

    def broken(options: PrepareOptions, values: list[bytes | None]) -> tuple[list, list]:
        return [KeyError("boom")], []

    original = preparer._prepare
    preparer._prepare = broken  # type: ignore[assignment]
    try:
        results, _ = preparer._prepare_in_child(OPTIONS, [b"x"])
    finally:
        preparer._prepare = original
    (err,) = results
    assert isinstance(err, EnrichmentError)
    assert "KeyError" in str(err)
    assert pickle.loads(pickle.dumps(err)).args == err.args
