"""Each dedup signal on its own: normalisation, MinHash/LSH, containment, numbers, scoring."""

from __future__ import annotations

import math
from typing import Any

from service.dedup import scoring, signatures
from service.dedup.normalize import exact_hash, normalize_text
from tests.unit.dedup_samples import QUAKE_ECUADOR, QUAKE_PERU


def sig(text: str) -> tuple[list[int], int]:
    sh = signatures.shingles(signatures.words(normalize_text(text)))
    return signatures.minhash(sh), len(sh)


def est_j(a: str, b: str) -> float:
    (sa, _), (sb, _) = sig(a), sig(b)
    pack = signatures.pack_signature
    return signatures.jaccard(
        signatures.unpack_signature(pack(sa)), signatures.unpack_signature(pack(sb))
    )


def test_normalize_nfkc_case_whitespace_and_boilerplate() -> None:
    raw = "Ｔｈｅ  QUICK\tbrown fox\n• 32 views\nRead also: something else\nBy Jane Doe\njumps."
    assert normalize_text(raw) == "the quick brown fox jumps."


def test_exact_hash_ignores_form_but_not_content() -> None:
    a = exact_hash(normalize_text("Hello   World\n\nAdvertisement\nSecond line"))
    b = exact_hash(normalize_text("hello world\nsecond   LINE"))
    c = exact_hash(normalize_text("hello world\nthird line"))
    assert a == b != c
    assert len(a) == 32


def test_shingles_are_distinct_word_5_grams() -> None:
    toks = list("abcdefabcde")
    sh = signatures.shingles(toks)
    assert sh[0] == "a b c d e" and len(sh) == len(set(sh)) == 6
    assert signatures.shingles(["short", "text"]) == ["short text"]
    assert signatures.shingles([]) == []


def test_minhash_is_deterministic_and_estimates_jaccard() -> None:
    assert sig(QUAKE_PERU) == sig(QUAKE_PERU)
    assert len(sig(QUAKE_PERU)[0]) == signatures.NUM_PERM
    edited = QUAKE_PERU.replace("searching", "combing").replace("promised", "pledged")
    assert est_j(QUAKE_PERU, edited) > 0.75
    assert est_j(QUAKE_PERU, QUAKE_ECUADOR) < 0.3


def test_lsh_band_keys_meet_for_near_copies_only() -> None:
    base = set(signatures.band_keys(sig(QUAKE_PERU)[0]))
    edited = QUAKE_PERU.replace("searching", "combing")
    assert len(base) == signatures.BANDS
    assert base & set(signatures.band_keys(sig(edited)[0]))
    assert not base & set(signatures.band_keys(sig("an unrelated text about football " * 3)[0]))


def test_containment_of_a_truncated_copy() -> None:
    half = QUAKE_PERU[: len(QUAKE_PERU) // 2]
    (sa, na), (sb, nb) = sig(QUAKE_PERU), sig(half)
    j = signatures.jaccard(
        signatures.unpack_signature(signatures.pack_signature(sa)),
        signatures.unpack_signature(signatures.pack_signature(sb)),
    )
    assert j < 0.7
    assert signatures.containment(j, na, nb) >= 0.8
    assert signatures.containment(0.9, 10, 12) == 0.0  # too small to trust


def test_number_extraction_and_check() -> None:
    assert signatures.numbers("1,200 people, magnitude 6.7 at 14:32") == [
        "1200",
        "14",
        "32",
        "6.7",
    ]
    peru = signatures.numbers(normalize_text(QUAKE_PERU))
    ecuador = signatures.numbers(normalize_text(QUAKE_ECUADOR))
    assert signatures.number_check(peru, peru) == (True, 1.0)
    assert signatures.number_check(peru, peru[:3])[0]  # truncated copy keeps a subset
    assert not signatures.number_check(peru, ecuador)[0]
    assert signatures.number_check(["5"], ecuador)[0]  # too few numbers to judge


def test_templated_earthquake_with_other_magnitude_is_not_a_near_copy() -> None:
    other = QUAKE_PERU.replace("6.7", "5.8").replace("five", "two").replace("1,200", "90")
    other = other.replace("14:32", "03:10").replace("38", "10").replace("60", "15")
    assert est_j(QUAKE_PERU, other) >= 0.5  # MinHash alone would call it a copy
    a = signatures.numbers(normalize_text(QUAKE_PERU))
    b = signatures.numbers(normalize_text(other))
    assert not signatures.number_check(a, b)[0]


def test_terms_and_their_unit_tfidf_vectors() -> None:
    a = scoring.terms("peru quake kills five", "the quake struck arequipa")
    (quake,) = scoring.stems(["quake"])
    assert a[quake] == 3 and "the" not in a
    b = scoring.terms("arequipa earthquake: five dead in peru", "")
    c = scoring.terms("stocks rally on wall street", "")

    def cos(x: dict[str, int], y: dict[str, int], df: dict[str, int]) -> float:
        ux, _ = scoring._unit_tfidf(x, df, scoring.log_docs(100), 10)
        uy, _ = scoring._unit_tfidf(y, df, scoring.log_docs(100), 10)
        return sum(v * uy.get(t, 0.0) for t, v in ux.items())

    assert math.isclose(cos(a, a, {}), 1.0)
    assert cos(a, b, {}) > cos(a, c, {}) == 0.0
    common = {t: 90 for t in a if t != "arequipa"}  # the rare shared term weighs more
    assert cos(a, b, common) > cos(a, b, {})
    assert scoring.idf(1, 100) > scoring.idf(50, 100)


def test_inflections_of_a_word_are_one_term() -> None:
    # a rewrite says "voted" where the report said "votes": the same term to the cosines
    report = scoring.terms("senate votes on war powers", "senators voting")
    rewrite = scoring.terms("senate voted on war power", "senator votes")
    assert report == rewrite
    body = scoring.body_terms(["the", "ship", "capsized", "as", "ships", "capsize"])
    assert len(body) == 2 and sorted(body.values()) == [2, 2]
    assert scoring.stems(["2026", "206,000"]) == ["2026", "206,000"]


def test_entity_overlap_is_rarity_weighted() -> None:
    story = {"Q419": ["Peru", 3], "Q30": ["United States", 9]}
    weights = {"Q419": 4.0, "Q30": 1.0, "Q736": 4.0}
    share, shared = scoring.entity_overlap(["Q419", "Q736"], story, weights)
    assert shared == ["Q419"] and share == 0.5
    share_common, _ = scoring.entity_overlap(["Q30", "Q736"], story, weights)
    assert share_common == 0.2
    assert scoring.entity_overlap([], story, weights) == (0.0, [])


def test_date_agreement() -> None:
    assert scoring.date_agreement(["2026-03-04"], ["2026-03-05"]) == 1.0
    assert scoring.date_agreement(["2026-03-04"], ["2026-03-20"]) == -1.0
    assert scoring.date_agreement(["2026-03-04"], ["2026-03-06"]) == -1.0  # none agrees
    assert scoring.date_agreement([], ["2026-03-06"]) == 0.0


def test_story_model_loads_and_is_monotone() -> None:
    model = scoring.load_story_model()
    low = {"cosine": 0.05, "body": 0.05, "entities": 0.0, "persons": 0.5, "dates": -1.0}
    low |= {"numbers": 1.0, "places": -1.0, "time": 0.3, "time_first": 0.3, "size": 0.7}
    low |= {"margin": -0.1}
    high = {"cosine": 0.6, "body": 0.6, "entities": 0.8, "persons": 1.0, "dates": 1.0}
    high |= {"numbers": 0.0, "places": 0.0, "time": 1.0, "time_first": 1.0, "size": 0.7}
    high |= {"margin": 0.3}
    assert model.probability(low) < model.threshold <= model.probability(high)
    # each disagreement signal on its own lowers the score of an otherwise good match
    for name, worse in (("dates", -1.0), ("numbers", 1.0), ("places", -1.0)):
        assert model.probability({**high, name: worse}) < model.probability(high)
    assert scoring.StoryModel.from_dict(model.to_dict()) == model


def test_salient_numbers_and_number_conflict() -> None:
    assert scoring.salient_numbers(["2", "9", "2026", "1999", "2.9", "5,25", "84", "08"]) == [
        "2.9",
        "5,25",
        "84",
    ]
    assert scoring.number_conflict(["2.9", "3"], ["3.1", "2"]) == 1.0  # other inflation rate
    assert scoring.number_conflict(["84", "150"], ["84"]) == 0.5
    assert scoring.number_conflict(["2", "2026"], ["3.1"]) == 0.0  # nothing salient to compare


def _story(entities: dict[str, list[Any]], dates: dict[str, int], numbers: dict[str, int]) -> Any:
    return {
        "terms": {},
        "article_count": 1,
        "entities": entities,
        "dates": dates,
        "numbers": numbers,
        "places": {k: v[1] for k, v in entities.items() if v[2] in scoring.PLACE_TYPES},
    }


def _features(entities: list[tuple[str, str]], dates: list[str], lead: list[str]) -> Any:
    return {
        "terms": {},
        "entities": [{"id": e, "name": e, "type": t, "count": 1} for e, t in entities],
        "dates": dates,
        "lead_numbers": lead,
    }


def test_place_signal_is_the_prominence_of_the_best_place_named() -> None:
    andoya = _story(
        {
            "norway": ["Norway", 6, "GPE"],
            "shetland": ["Shetland", 1, "LOC"],
            "esa": ["ESA", 3, "ORG"],
        },
        {},
        {},
    )
    view = scoring.StoryView.of(andoya)
    assert view.places == {"norway": 6, "shetland": 1} and view.place_top == 6

    def places(entities: list[tuple[str, str]]) -> float:
        q = scoring.Query.build(_features(entities, [], []), {}, {}, 10, 10)
        return float(q.signals(andoya, view)["places"])

    assert places([("norway", "GPE"), ("oslo", "GPE")]) == 0.0  # names the main place
    # another spaceport: names the story's place only in passing, and its own
    assert round(places([("shetland", "LOC"), ("scotland", "GPE")]), 4) == round(1 / 6 - 1, 4)
    assert places([("peru", "GPE")]) == -1.0  # no place in common
    assert places([("esa", "ORG")]) == 0.0  # no place named: no evidence either way


def test_story_side_uses_main_dates_and_numbers_not_their_union() -> None:
    st = _story({}, {"2026-01-10": 4, "2026-01-02": 1}, {"84": 3, "150": 1})
    view = scoring.StoryView.of(st)
    assert view.numbers == {"84"}
    q = scoring.Query.build(_features([], ["2026-01-02"], ["150"]), {}, {}, 10, 10)
    signals = q.signals(st, view)
    assert signals["dates"] == -1.0  # only the incidental date agrees
    assert signals["numbers"] == 1.0
