"""The decision stage's fast paths (issue 13, speed) against their plain definitions: the
bounded summaries' order, and the postings kept in step on join, trim and expiry."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from service.dedup import DedupConfig, DedupEngine, scoring, signatures, story
from service.dedup import engine as engine_module
from service.dedup.signatures import NUM_PERM


def _stream(n: int, seed: int = 5) -> list[dict[str, Any]]:
    """Articles over a small vocabulary; about half reuse an earlier article's words and
    entities, so stories grow past their summary bounds and get trimmed."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        base = out[rng.randrange(len(out))] if out and rng.random() < 0.5 else None
        words = [f"w{int(rng.paretovariate(1.1)) % 400}" for _ in range(30)]
        body = [f"b{rng.randrange(5000)}" for _ in range(120)]
        terms: dict[str, int] = dict(base["terms"]) if base else {}
        for w in words:
            terms[w] = terms.get(w, 0) + 1
        body_terms = dict(list(base["body_terms"].items())[:32]) if base else {}
        for w in body:
            if len(body_terms) < 64:
                body_terms[w] = body_terms.get(w, 0) + 1
        kind = rng.choice(["ORG", "PERSON"])
        new = {"id": f"Q{rng.randrange(300)}", "name": "e", "type": kind}
        ents = [*(base["entities"] if base else []), new]
        entities = list({e["id"]: {**e, "count": 1} for e in ents}.values())
        out.append(
            {
                "id": f"a{i:05d}",
                "source": f"s{rng.randrange(20)}.example",
                "title": f"t{i}",
                "published_at": "",
                "published_ts": 1_772_700_000.0 + 600.0 * i,
                "exact": f"x{i}",
                "signature": [rng.randrange(2**32) for _ in range(NUM_PERM)],
                "n_shingles": 200,
                "lead_key": f"l{i}",
                "numbers": [],
                "lead_numbers": [],
                "terms": terms,
                "body_terms": body_terms,
                "entities": entities,
                "dates": [],
            }
        )
    return out


def _postings(engine: DedupEngine) -> list[dict[str, set[str]]]:
    return [
        {k: {v} if isinstance(v, str) else set(v) for k, v in posts.items()}
        for posts in (engine._term_stories, engine._body_stories, engine._entity_stories)
    ]


def test_postings_and_frequencies_stay_equal_to_a_rebuild_through_joins_and_expiry() -> None:
    engine = DedupEngine(DedupConfig(story_window_hours=6.0, near_window_hours=12.0), {}, {})
    feats = _stream(300)
    for i, f in enumerate(feats, 1):
        engine.decide(f)
        if i % 50 == 0:
            engine.expire(f["published_ts"])
            fresh = DedupEngine(engine.config, engine.articles, engine.stories)
            fresh.rebuild()
            assert _postings(fresh) == _postings(engine)
            assert (fresh._df, fresh._bdf, fresh._edf) == (engine._df, engine._bdf, engine._edf)
    assert len(engine.articles) < len(feats)  # expiry ran


def test_top_keeps_the_largest_counts_in_order_ties_by_key() -> None:
    rng = random.Random(3)
    for _ in range(200):
        counts = {f"t{rng.randrange(400)}": rng.randint(1, 6) for _ in range(rng.randint(1, 300))}
        ranked = sorted((-v, k) for k, v in counts.items())[:160]
        expected = counts if len(counts) <= 240 else {k: counts[k] for _, k in ranked}
        assert list(story._top(counts, 160).items()) == list(expected.items())


def test_add_postings_holds_every_id_added_one_as_a_str() -> None:
    rng = random.Random(2)
    posts: dict[str, engine_module.Posting] = {}
    ids: dict[str, dict[str, None]] = {}  # the ids added under each key
    for i in range(400):
        sid = f"s{rng.randrange(60)}"
        keys = list(dict.fromkeys(f"k{rng.randrange(120)}" for _ in range(rng.randint(0, 20))))
        engine_module._add_postings(posts, keys, sid)
        for key in keys:
            ids.setdefault(key, {})[sid] = None
        # one id is held as a plain str, more as a dict of the ids
        expected = {k: next(iter(v)) if len(v) == 1 else v for k, v in ids.items()}
        assert posts == expected, i


def test_largest_is_the_n_largest_counts_ties_by_key() -> None:
    rng = random.Random(4)
    for _ in range(200):
        dates = {f"d{rng.randrange(60)}": rng.randint(1, 5) for _ in range(rng.randint(0, 40))}
        ents = {k: ["name", c, "ORG"] for k, c in dates.items()}
        expected = [k for _, k in sorted((-c, k) for k, c in dates.items())[:10]]
        assert story._largest(dates, 10) == expected
        assert story._largest(ents, 10, lambda v: v[1]) == expected


def test_band_keys_equal_for_equal_bands_whatever_the_input_type() -> None:
    rng = random.Random(6)
    sig = [rng.randrange(2**32) for _ in range(NUM_PERM)]
    other = list(sig)
    other[5] += 1  # band 1 differs (rows 4-7), the other bands are equal
    as_np = np.fromiter(sig, dtype="<u4", count=NUM_PERM)
    assert (signatures.as_array(sig) == as_np).all()
    assert signatures.as_array(sig).dtype == np.dtype("<u4")
    keys = signatures.band_keys(sig)
    assert keys == signatures.band_keys(as_np) == signatures.band_keys(signatures.as_array(sig))
    assert len(set(keys)) == signatures.BANDS and all(k >> 48 == b for b, k in enumerate(keys))
    diff = [a != b for a, b in zip(keys, signatures.band_keys(other), strict=True)]
    assert diff == [b == 1 for b in range(signatures.BANDS)]
    assert signatures.unpack_signature(signatures.pack_signature(sig)).tolist() == sig


def test_top_by_value_is_the_smallest_pairs_ties_by_key() -> None:
    rng = random.Random(7)
    for _ in range(300):
        keys = list(dict.fromkeys(f"t{rng.randrange(500)}" for _ in range(rng.randint(0, 80))))
        values = [-float(rng.randint(1, 4)) for _ in keys]  # many ties, as tf-idf has
        n = rng.randint(1, 12)
        expected = [k for _, k in sorted(zip(values, keys, strict=True))[:n]]
        assert scoring.top_by_value(values, keys, n) == expected


def test_top_trims_by_count_then_key_with_a_count_function() -> None:
    rng = random.Random(8)
    for _ in range(100):
        ents = {f"Q{rng.randrange(900)}": ["n", rng.randint(1, 4), "ORG"] for _ in range(90)}
        ranked = sorted((-v[1], k) for k, v in ents.items())[:50]
        expected = ents if len(ents) <= 75 else {k: ents[k] for _, k in ranked}
        assert list(story._top(ents, 50, lambda v: v[1]).items()) == list(expected.items())
