"""The event-separating story signals: body term vectors, person vs other entity overlap,
time similarity, and their use by the engine (bounded, rebuilt deterministically)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from typing import Any

from service.dedup import DedupConfig, DedupEngine, scoring, signatures, story
from service.dedup.normalize import normalize_text
from tests.unit.dedup_samples import QUAKE_ECUADOR, QUAKE_PERU, QUAKE_PERU_REWRITE


def _body(text: str) -> dict[str, int]:
    return scoring.body_terms(signatures.words(normalize_text(text)))


def test_body_terms_are_the_most_frequent_content_words_bounded() -> None:
    terms = _body(QUAKE_PERU)
    assert "the" not in terms and "of" not in terms  # stopwords out
    quake, peru = scoring.stems(["quake", "peru"])
    assert terms[quake] == 1 and terms[peru] == 2
    assert "5" not in terms and "38" not in terms  # bare short numbers out
    assert "200" in terms  # "1,200": digits of three or more are event specifics
    many = " ".join(f"word{i} " * (1 + i % 3) for i in range(200))
    top = scoring.body_terms(many.split(), n=10)
    assert len(top) == 10 and min(top.values()) == 3  # the most frequent kept
    assert scoring.body_terms(many.split(), n=10) == top  # deterministic ties


def test_time_similarity_is_gaussian_on_the_days_scale() -> None:
    assert scoring.time_similarity(0.0) == 1.0
    day = 86400.0 * scoring.TIME_SCALE_DAYS
    assert math.isclose(scoring.time_similarity(day), math.exp(-0.5))
    assert scoring.time_similarity(3 * day) < scoring.time_similarity(day)


def _features(entities: list[tuple[str, str]], body: str = "") -> dict[str, Any]:
    return {
        "terms": {},
        "body_terms": _body(body),
        "entities": [{"id": e, "name": e, "type": t, "count": 1} for e, t in entities],
        "dates": [],
        "lead_numbers": [],
    }


def _state(entities: dict[str, list[Any]], body: dict[str, int]) -> dict[str, Any]:
    """A story of one article with these body terms (its unit vector at idf of 10 docs)."""
    unit, _ = scoring._unit_tfidf(body, {}, scoring.log_docs(10), 10)
    return {
        "terms": {},
        "body": body,
        "link_terms": {},
        "link_body": unit,
        "link_n": 1 if body else 0,
        "entities": entities,
        "dates": {},
        "numbers": {},
        "places": {},
        "article_count": 2,
    }


def test_shared_politicians_are_kept_apart_from_other_shared_entities() -> None:
    q = scoring.Query.build(
        _features([("trump", "PERSON"), ("senate", "ORG"), ("iran", "GPE")]), {}, {}, 10, 10
    )
    st = _state({"trump": ["Trump", 3, "PERSON"], "iran": ["Iran", 2, "GPE"]}, {})
    signals = q.signals(st, scoring.StoryView.of(st))
    assert signals["persons"] == 1.0  # the one person is shared
    assert math.isclose(signals["entities"], 0.5)  # one of the two other entities
    only_person = _state({"trump": ["Trump", 3, "PERSON"]}, {})
    weak = q.signals(only_person, scoring.StoryView.of(only_person))
    assert weak["persons"] == 1.0 and weak["entities"] == 0.0


def test_body_cosine_prefers_the_same_event_over_the_same_kind_of_event() -> None:
    q = scoring.Query.build(_features([], QUAKE_PERU_REWRITE), {}, {}, 10, 10)
    same = _state({}, _body(QUAKE_PERU))
    other = _state({}, _body(QUAKE_ECUADOR))
    s_same = q.signals(same, scoring.StoryView.of(same))["body"]
    s_other = q.signals(other, scoring.StoryView.of(other))["body"]
    assert 0.0 < s_other < s_same <= 1.0
    empty = _state({}, {})
    assert q.signals(empty, scoring.StoryView.of(empty))["body"] == 0.0


def test_the_story_body_centroid_is_bounded() -> None:
    st = story.new_story("s", {"title": "t", "id": "a", "published_ts": 0.0})
    for i in range(40):
        f = {
            "id": f"a{i}",
            "published_ts": float(i),
            "source": "x.example",
            "terms": {},
            "body_terms": {f"w{i}-{j}": 1 + j % 4 for j in range(scoring.BODY_TERMS)},
            "entities": [],
            "dates": [],
            "lead_numbers": [],
        }
        st = story.add_article(st, f, 5)
    assert len(st["body"]) <= story.MAX_BODY_TERMS * 3 // 2
    assert min(st["body"].values()) >= 3  # the frequent terms survive the trimming


def test_body_document_frequencies_follow_the_index_and_rebuild_the_same() -> None:
    from service.dedup import article_features
    from tests.unit.dedup_samples import ecuador, peru, peru_rewrite

    feats = [article_features(a) for a in (peru(), ecuador(), peru_rewrite())]
    engine = DedupEngine(DedupConfig(), {}, {})
    for f in feats:
        engine.decide(f)
    quake, boluarte = scoring.stems(["earthquake", "boluarte"])
    assert engine._bdf[quake] == 2 and engine._bdf[boluarte] == 2
    fresh = DedupEngine(DedupConfig(), engine.articles, engine.stories)
    fresh.rebuild()
    assert fresh._bdf == engine._bdf and fresh._body_stories == engine._body_stories
    engine.expire(feats[-1]["published_ts"] + 400 * 3600.0)  # past every window
    assert not engine._bdf and not engine._body_stories


def test_margin_is_the_lead_over_the_best_other_candidate() -> None:
    cands = [
        {"cosine": 0.6, "body": 0.4},  # text 0.5
        {"cosine": 0.2, "body": 0.2},  # text 0.2
        {"cosine": 0.1, "body": 0.5},  # text 0.3
    ]
    scoring.add_margins(cands)
    assert math.isclose(cands[0]["margin"], 0.2)  # 0.5 over the runner-up's 0.3
    assert math.isclose(cands[1]["margin"], -0.3)  # 0.2 under the best's 0.5
    assert math.isclose(cands[2]["margin"], -0.2)
    alone = [{"cosine": 0.4, "body": 0.2}]
    scoring.add_margins(alone)
    assert math.isclose(alone[0]["margin"], 0.3)  # no competitor: its own similarity
    scoring.add_margins([])  # nothing to do


def test_log_hours_falls_early_and_keeps_multi_day_stories_apart_from_zero() -> None:
    hour = 3600.0
    assert scoring.log_hours(0.0) == 0.0
    assert scoring.log_hours(72 * hour) == 1.0 and scoring.log_hours(500 * hour) == 1.0
    assert scoring.log_hours(-5 * hour) == scoring.log_hours(5 * hour)  # a late article
    # the first day takes most of the scale, days two and three little more: a story's
    # follow-up on day three is not scored like another event
    day1, day3 = scoring.log_hours(24 * hour), scoring.log_hours(60 * hour)
    assert 0.7 < day1 < day3 < 1.0
    assert day3 - day1 < day1 / 3
    assert scoring.time_similarity(60 * hour) < 0.6 * scoring.time_similarity(24 * hour)


def _join_inputs(**over: float) -> dict[str, float]:
    return {"size": math.log1p(1), **over}


def test_join_signals_of_the_best_candidate() -> None:
    hour = 3600.0
    s = scoring.join_signals(0.9, 0.3, 4, _join_inputs(), 5 * hour, 30 * hour)
    assert set(s) == set(scoring.JOIN_FEATURES)
    assert math.isclose(s["score"], 0.9) and math.isclose(s["lead"], 0.6)
    assert math.isclose(s["rivals"], math.log(4))  # three other candidates
    assert s["newest"] == scoring.log_hours(5 * hour) < s["oldest"] == scoring.log_hours(30 * hour)
    assert s["single"] == 1.0
    alone = scoring.join_signals(0.7, 0.0, 1, _join_inputs(size=math.log1p(5)), 0.0, 0.0)
    assert alone["lead"] == 0.7 and alone["rivals"] == 0.0 and alone["single"] == 0.0


def _model(join: scoring.JoinModel | None, threshold: float = 0.5) -> scoring.StoryModel:
    base = scoring.load_story_model()
    return scoring.StoryModel(base.weights, base.bias, threshold, {}, join)


def test_a_join_stage_round_trips_and_an_old_model_file_has_none() -> None:
    join = scoring.JoinModel(weights=(1.0, 2.0, 0.0, -1.0, 0.5, 0.0), bias=-1.5, threshold=0.4)
    model = _model(join)
    again = scoring.StoryModel.from_dict(model.to_dict())
    assert again.join == join and again.weights == model.weights
    plain = model.to_dict()
    del plain["join"]
    assert scoring.StoryModel.from_dict(plain).join is None
    bad = {**join.to_dict(), "features": ["score"]}
    try:
        scoring.JoinModel.from_dict(bad)
    except ValueError:
        pass
    else:
        raise AssertionError("a join model with other features must be refused")


def test_the_join_stage_decides_on_the_best_ranked_story_only() -> None:
    from service.dedup import article_features
    from tests.unit.dedup_samples import peru, peru_rewrite

    first, second = article_features(peru()), article_features(peru_rewrite())

    def decide(model: scoring.StoryModel) -> Any:
        engine = DedupEngine(DedupConfig(model=model), {}, {})
        engine.decide(first)
        return engine.decide(second)

    # without a join stage the ranker's threshold decides; 1.01 is never reached
    assert decide(_model(None, threshold=1.01)).duplicate_kind is None
    joined = decide(_model(None, threshold=0.0))
    assert joined.duplicate_kind == "story" and "join_score" not in joined.evidence
    # with one, the ranker's threshold is ignored and the join stage's bias decides
    always = scoring.JoinModel(weights=(0.0,) * 6, bias=5.0, threshold=0.5)
    never = scoring.JoinModel(weights=(0.0,) * 6, bias=-5.0, threshold=0.5)
    d = decide(_model(always, threshold=1.01))
    assert d.duplicate_kind == "story" and d.evidence["join_score"] > 0.99
    assert decide(_model(never, threshold=0.0)).duplicate_kind is None


_PERSON_TOTAL = """
from service.dedup import scoring
ents = [{"id": f"Q{i}", "name": f"p{i}", "type": "PERSON", "count": 1} for i in range(12)]
edf = {f"Q{i}": 1 + 7 * i for i in range(12)}
f = {"terms": {}, "entities": ents, "dates": [], "lead_numbers": []}
print(scoring.Query.build(f, {}, edf, 5000, 10).person_total.hex())
"""


def test_person_total_is_the_same_under_any_hash_seed() -> None:
    """A restarted worker (another hash seed) must weigh the same persons to the same bit."""
    totals = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _PERSON_TOTAL], env=env, capture_output=True, check=True
        )
        totals.add(out.stdout.strip())
    assert len(totals) == 1, totals


def _plain_unit(counts: dict[str, int], df: dict[str, int], n_docs: int) -> dict[str, float]:
    """(1 + log tf) x smoothed idf, unit length: the definition, written out."""
    v = {t: (1 + math.log(c)) * scoring.idf(df.get(t, 0), n_docs) for t, c in counts.items()}
    norm = math.sqrt(sum(x * x for x in v.values()))
    return {t: x / norm for t, x in v.items()}


def _cos(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def test_the_text_signals_are_the_mean_cosines_with_the_storys_articles() -> None:
    """Each joined article counts once, at its idf when it joined: a summed-count centroid
    would let the longest or most repetitive article dominate."""
    df = {"iran": 3, "talks": 2}
    members = [
        ({"iran": 3, "talks": 1, "oman": 1}, {"muscat": 2, "round": 1}),
        ({"iran": 1, "senate": 2}, {"vote": 4, "powers": 1}),
        ({"talks": 1, "secret": 1}, {"israel": 1, "round": 1}),
    ]
    st = story.new_story("s", {"title": "t", "id": "a0", "published_ts": 0.0})
    for i, (terms, body) in enumerate(members):
        f = {**_features([], ""), "id": f"a{i}", "published_ts": float(i), "source": "x"}
        f |= {"terms": terms, "body_terms": body, "title": "t"}
        q = scoring.Query.build(f, df, {}, 5 + i, 10, {})
        assert math.isclose(sum(x * x for x in q.unit_terms.values()), 1.0)
        st = story.add_article(st, f, 5, (q.unit_terms, q.unit_body))
    copy = {**f, "id": "copy"}
    assert story.add_article(st, copy, 5)["link_n"] == 3  # a copy adds no vector
    article = {**_features([], ""), "terms": {"iran": 2, "talks": 1}, "body_terms": {"round": 1}}
    q = scoring.Query.build(article, df, {}, 8, 10, {})
    signals = q.signals(st, scoring.StoryView.of(st))
    want = [_cos(_plain_unit(article["terms"], df, 8), _plain_unit(t, df, 5 + i))
            for i, (t, _) in enumerate(members)]  # fmt: skip
    assert math.isclose(signals["cosine"], sum(want) / 3, rel_tol=1e-9)
    body = [_cos(_plain_unit({"round": 1}, {}, 8), _plain_unit(b, {}, 5 + i))
            for i, (_, b) in enumerate(members)]  # fmt: skip
    assert math.isclose(signals["body"], sum(body) / 3, rel_tol=1e-9)
    assert 0.0 < signals["body"] < max(body)  # the mean, not the best match


def test_a_story_state_without_mean_cosine_vectors_scores_no_text_similarity() -> None:
    """A state of before the mean cosines (a rolling upgrade) is read, not failed on."""
    q = scoring.Query.build(_features([], QUAKE_PERU_REWRITE), {}, {}, 10, 10)
    old = {k: v for k, v in _state({}, _body(QUAKE_PERU)).items() if not k.startswith("link")}
    signals = q.signals(old, scoring.StoryView.of(old))
    assert signals["cosine"] == signals["body"] == 0.0
