"""Article-to-story signals and the logistic scorer that combines them.

Signals (all in [-1, 1] or [0, 1]):
- ``cosine``: the mean TF-IDF cosine of the article's title+lead terms with those of each of the
  story's articles (sublinear tf, idf from streaming document frequencies; each article's
  vector at its idf when it joined): the dot product with the sum of their unit vectors
  (``link_terms``) over their number. Unlike the cosine with a summed centroid, whose norm
  shrinks as a story spreads over topics, every article counts once;
- ``entities``: share of the article's non-person canonical-entity weight (idf from streaming
  entity frequencies) that the story also holds;
- ``dates``: +1 when an event date agrees within ``DATE_CONFLICT_DAYS`` (a day: time zones)
  with one of the story's main dates, -1 when both have event dates and none agrees, else 0;
- ``numbers``: the share of the article's salient title+lead numbers (decimals, integers >= 10
  but not years) missing from the story's main ones, when both have some (a templated story with
  other facts: another magnitude, rate, score, count), else 0;
- ``places``: p - 1 where p is how prominent in the story the most prominent place the article
  names is (its mentions over its articles / those of the story's main place), when both name
  places (GPE/LOC), else 0. A rewrite names the story's main place (or one nearly as prominent);
  a same-kind event elsewhere names its own, the story's at most in passing. Only evidence
  against (shared places already count in ``entities``), and forgiving of granularity: naming
  the town of a story placed in "town, country" is agreement;
- ``body``: the same mean cosine over the body terms (``body_terms``: the article's most
  frequent content words; ``link_body``), idf from the stream's body document frequencies: the
  event's specifics (what happened, to whom, the counts) live in the body;
- ``persons``: like ``entities`` over PERSON entities only, while ``entities`` covers the rest:
  the same politicians run through many concurrent events (weak evidence), places,
  organisations and named things less so;
- ``time``: exp(-d^2 / 2) with d the days between the article and the story's newest article
  over ``TIME_SCALE_DAYS``; ``time_first``: the same to its oldest article. The fit holds
  ``time_first`` at 0 (as ``size``, and the join stage's ``oldest``): every fit story ends
  within four days, so its weight learned that stories stop, and split any story outlets kept
  reporting for more than three days;
- ``size``: log(1 + the story's article count): a large story draws more candidates by chance;
- ``margin``: how far this story's text similarity (mean of ``cosine`` and ``body``) stands
  above the best other candidate's (the similarity itself when it is the only one): an event's
  follow-up stands out from the other stories about the same people, while the first article
  of a new event resembles several of them about equally;
- ``gap``: hours since the story was last seen, divided by the story window (evidence only).
The story side uses the story's main dates and numbers (held by at least half as many of its
articles as the most common one), not their union, so incidental mentions do not accumulate.
The weights live in ``data/story_model.json``, fitted by ``bench/fit_story_model.py``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import Stemmer

from service import jsonio

FEATURES = (
    "cosine",
    "body",
    "entities",
    "persons",
    "dates",
    "numbers",
    "places",
    "time",
    "time_first",
    "size",
    "margin",
)
# the second stage: join the best-ranked story or start a new one (``JoinModel``)
JOIN_FEATURES = ("score", "lead", "rivals", "newest", "oldest", "single")
JOIN_HOURS_SCALE = math.log1p(72.0)  # the story window, in log hours
PERSON_TYPES = frozenset({"PERSON", "PER"})
BODY_TERMS = 64  # body terms an article carries; the story centroid keeps more (story.py)
TIME_SCALE_DAYS = 2.0
PLACE_TYPES = frozenset({"GPE", "LOC"})
LEAD_WORDS = 60
DATE_CONFLICT_DAYS = 1  # event dates further apart disagree: reports of one event agree
TITLE_WEIGHT = 2

_TERM = re.compile(r"[^\W_]+")
# one instance is not thread-safe; the service calls it from its event loop's thread only.
# Its own word cache is off: an lru_cache hit costs a quarter of one (bench_body_terms.py)
_STEMMER = Stemmer.Stemmer("english", 0)
_stem = functools.lru_cache(maxsize=1 << 16)(_STEMMER.stemWord)
_STOPWORDS = """a about after again against all also an and any are as at be because been before
    being between both but by can could did do does during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our out over own s said says same she should so some
    such t than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    new news report reports reported according told say one two"""
STOPWORDS = frozenset(_STOPWORDS.split())


def stems(words: list[str]) -> list[str]:
    """The Snowball English (Porter 2) stems of casefolded words: a rewrite says "voted" where
    the report said "vote" or "voting", and every one of those is one term. Numbers and names
    mostly stem to themselves."""
    return list(map(_stem, words))


def terms(title: str, lead: str) -> dict[str, int]:
    """Term counts (stems) of a casefolded title (counted twice) and lead, stopwords dropped."""
    counts: Counter[str] = Counter()
    for weight, text in ((TITLE_WEIGHT, title), (1, lead)):
        words = [t for t in _TERM.findall(text) if len(t) > 1 and t not in STOPWORDS]
        for stem in stems(words):
            counts[stem] += weight
    return dict(counts)


def body_terms(tokens: Iterable[str], n: int = BODY_TERMS) -> dict[str, int]:
    """The body's ``n`` most frequent content stems (stopwords, single characters and bare
    digits under three out), ties by longer then alphabetical: a bounded term vector that
    the partitioned stage computes, idf applied at decision time."""
    words = [
        t for t in tokens if len(t) > 1 and t not in STOPWORDS and not (t.isdigit() and len(t) < 3)
    ]
    counts = Counter(stems(words))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))
    return dict(ranked[:n])


def add_margins(candidates: list[dict[str, Any]]) -> None:
    """Set every candidate's ``margin`` (see the module docstring), in place."""
    text = [0.5 * (c["cosine"] + c["body"]) for c in candidates]
    order = sorted(range(len(text)), key=text.__getitem__, reverse=True)
    for rank, i in enumerate(order):
        other = (
            text[order[1]] if rank == 0 and len(order) > 1 else (text[order[0]] if rank else 0.0)
        )
        candidates[i]["margin"] = text[i] - other


def log_hours(seconds: float) -> float:
    """log(1 + hours) over the log of the story window (72 h), capped at 1. Unlike the
    Gaussian ``time`` signals, most of the drop comes in the first hours, so a multi-day story
    keeps most of its evidence on day three (the join stage's ``newest`` and ``oldest``)."""
    return min(1.0, math.log1p(abs(seconds) / 3600.0) / JOIN_HOURS_SCALE)


def time_similarity(seconds: float) -> float:
    """Gaussian similarity of two times, on the scale of ``TIME_SCALE_DAYS``."""
    d = seconds / (86400.0 * TIME_SCALE_DAYS)
    return math.exp(-0.5 * d * d)


_LOG1P = [math.log(i + 1) for i in range(1 << 14)]


def _log1p(n: int) -> float:
    """log(n + 1) for a count, from a table below 16384."""
    return _LOG1P[n] if n < 16384 else math.log(n + 1)


def log_docs(n_docs: int) -> float:
    """log(n + 1) + 1: an idf is this minus log(df + 1) (the smoothed idf below)."""
    return math.log(n_docs + 1) + 1.0


def idf(df: int, n_docs: int) -> float:
    """Smoothed inverse document frequency."""
    return math.log((n_docs + 1) / (df + 1)) + 1.0


def entity_overlap(
    article_ids: Iterable[str], story_ids: Mapping[str, Any], weights: Mapping[str, float]
) -> tuple[float, list[str]]:
    """Rarity-weighted share of the article's entities the story holds, and the shared ids."""
    total = 0.0
    shared_w = 0.0
    shared = []
    for e in article_ids:
        w = weights.get(e, 1.0)
        total += w
        if e in story_ids:
            shared_w += w
            shared.append(e)
    return (shared_w / total if total else 0.0), shared


def date_agreement(article_dates: Iterable[str], story_dates: Iterable[str]) -> float:
    """+1 if event dates (YYYY-MM-DD) agree within ``DATE_CONFLICT_DAYS``, -1 if both have dates
    and none does, 0 when either has none."""
    a = {d for d in map(_day, article_dates) if d is not None}
    s = {d for d in map(_day, story_dates) if d is not None}
    return _date_signal(a, s)


def _date_signal(a: AbstractSet[int], s: AbstractSet[int]) -> float:
    if not a or not s:
        return 0.0
    if a & s:
        return 1.0
    gap = min(abs(x - y) for x in a for y in s)
    return 1.0 if gap <= DATE_CONFLICT_DAYS else -1.0


def _day(value: str) -> int | None:
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


def number_conflict(a: Iterable[str], b: Iterable[str]) -> float:
    """Share of a's salient numbers b lacks, when both hold some (else 0)."""
    sa, sb = set(salient_numbers(a)), set(salient_numbers(b))
    return 1.0 - len(sa & sb) / len(sa) if sa and sb else 0.0


def salient_numbers(numbers: Iterable[str]) -> list[str]:
    """The numbers that tell events apart: decimals and integers >= 10 other than years
    (1900-2100). Small counts, days and hours ("two", "at 9") recur in unrelated stories."""
    out = []
    for n in numbers:
        try:
            v = float(n.replace(",", "."))
        except ValueError:
            continue
        if v != int(v) or (v >= 10 and not 1900 <= v <= 2100):
            out.append(n)
    return out


@dataclass(slots=True)
class StoryView:
    """Values of a story state parsed once per update, for scoring (in memory, derived).

    Dates and numbers are the story's main ones (held by at least half as many of its articles
    as the most common), so an incidental mention does not make every later article agree.
    """

    days: frozenset[int]
    numbers: frozenset[str]
    places: dict[str, int]
    place_top: int

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> StoryView:
        places: dict[str, int] = state["places"]
        return cls(
            days=frozenset(d for d in map(_day, _main(state["dates"])) if d is not None),
            numbers=frozenset(_main(state.get("numbers") or {})),
            places=places,
            place_top=max(places.values(), default=0),
        )


def _main(counts: Mapping[str, int]) -> list[str]:
    if not counts:
        return []
    top = max(counts.values())
    return [k for k, c in counts.items() if 2 * c >= top]


def _unit_tfidf(
    counts: Mapping[str, int], df: Mapping[str, int], log_n: float, n_top: int
) -> tuple[dict[str, float], list[str]]:
    """The unit vector of (1 + log tf) x idf per term, and the ``n_top`` terms of highest
    tf x idf, ties by term (deterministic)."""
    unit: dict[str, float] = {}
    minus: list[float] = []  # -tf-idf per term, in the order of ``counts``
    push = minus.append
    get = df.get
    norm_sq = 0.0
    table, big = _LOG1P, len(_LOG1P)
    for t, c in counts.items():
        d = get(t, 0)
        x = log_n - (table[d] if d < big else math.log(d + 1))
        push(-c * x)
        unit[t] = v = (1.0 + (table[c - 1] if c <= big else math.log(c))) * x
        norm_sq += v * v
    if norm_sq > 0.0:
        scale = 1.0 / math.sqrt(norm_sq)
        unit = {t: v * scale for t, v in unit.items()}
    return unit, top_by_value(minus, counts, n_top)


def top_by_value(values: list[float], keys: Iterable[str], n: int) -> list[str]:
    """The keys of the ``n`` smallest (value, key) pairs, in that order. Sorts the floats
    alone to find the n-th value, then only the pairs up to it: most terms tie with others
    (same count, same frequency), and sorting all the pairs compared their strings."""
    if len(values) > n:
        nth = sorted(values)[n - 1]
        pairs = [(v, k) for v, k in zip(values, keys, strict=True) if v <= nth]
    else:
        pairs = list(zip(values, keys, strict=True))
    pairs.sort()
    return [k for _, k in pairs[:n]]


def _dot(mine: Mapping[str, float], other: Mapping[str, float]) -> float:
    """Sum over the article's terms (``mine``, the smaller side) that ``other`` holds."""
    dot = 0.0
    for t in filter(other.__contains__, mine):  # in C, then only the shared terms
        dot += mine[t] * other[t]
    return dot


@dataclass(slots=True)
class Query:
    """The article's side of the article-to-story comparison, idf weights computed once."""

    unit_terms: dict[str, float]  # title+lead: (1 + log tf) x idf, unit length
    top_terms: list[str]
    unit_body: dict[str, float]
    top_body: list[str]
    entity_ids: list[str]
    entity_weights: dict[str, float]
    entity_total: float
    person_total: float
    persons: frozenset[str]
    days: frozenset[int]
    numbers: frozenset[str]
    places: frozenset[str]

    @classmethod
    def build(
        cls,
        f: Mapping[str, Any],
        df: Mapping[str, int],
        edf: Mapping[str, int],
        n_docs: int,
        n_top: int,
        bdf: Mapping[str, int] | None = None,
    ) -> Query:
        log_n = log_docs(n_docs)
        terms: Mapping[str, int] = f["terms"]
        unit_terms, top_terms = _unit_tfidf(terms, df, log_n, n_top)
        body: Mapping[str, int] = f.get("body_terms") or {}
        unit_body, top_body = _unit_tfidf(body, bdf or {}, log_n, n_top)
        ids = [e["id"] for e in f["entities"]]
        persons = frozenset(e["id"] for e in f["entities"] if e["type"] in PERSON_TYPES)
        eget, table, big = edf.get, _LOG1P, len(_LOG1P)
        ew = {}
        for e in ids:
            d = eget(e, 0)
            ew[e] = log_n - (table[d] if d < big else math.log(d + 1))
        # summed in the article's entity order, not the frozenset's (which follows the hash
        # seed), so a restarted worker computes the same last bit
        person_total = sum([w for e, w in ew.items() if e in persons])
        return cls(
            unit_terms=unit_terms,
            top_terms=top_terms,
            unit_body=unit_body,
            top_body=top_body,
            entity_ids=ids,
            entity_weights=ew,
            entity_total=sum(ew.values()) - person_total,
            person_total=person_total,
            persons=persons,
            days=frozenset(d for d in map(_day, f["dates"]) if d is not None),
            numbers=frozenset(salient_numbers(f["lead_numbers"])),
            places=frozenset(e["id"] for e in f["entities"] if e["type"] in PLACE_TYPES),
        )

    def signals(self, state: Mapping[str, Any], view: StoryView) -> dict[str, Any]:
        """The model's signals for one candidate story (plus ``_shared`` entity ids); the
        engine adds the time signals."""
        n = state.get("link_n", 0)  # 0: a state of before the mean cosines (none to compare)
        cosine = body = 0.0
        if n:
            cosine = _dot(self.unit_terms, state["link_terms"]) / n
            body = _dot(self.unit_body, state["link_body"]) / n
        story_entities = state["entities"]
        shared = [e for e in self.entity_ids if e in story_entities]
        ew = self.entity_weights
        overlap = person_overlap = 0.0
        if shared:
            persons = self.persons
            shared_persons = sum([ew[e] for e in shared if e in persons])
            shared_rest = sum([ew[e] for e in shared]) - shared_persons
            if self.entity_total > 0:
                overlap = shared_rest / self.entity_total
            if self.person_total > 0:
                person_overlap = shared_persons / self.person_total
        numbers = self.numbers
        conflict = 0.0
        if numbers and view.numbers:
            conflict = 1.0 - len(numbers & view.numbers) / len(numbers)
        places = 0.0
        if self.places and view.place_top:
            held = view.places
            best = max([held.get(p, 0) for p in self.places])
            places = best / view.place_top - 1.0
        return {
            "cosine": min(1.0, cosine),
            "body": min(1.0, body),
            "entities": max(0.0, min(1.0, overlap)),
            "persons": max(0.0, min(1.0, person_overlap)),
            "dates": _date_signal(self.days, view.days),
            "numbers": conflict,
            "places": places,
            "size": math.log1p(state["article_count"]),
            "_shared": shared,
        }


def evidence(signals: Mapping[str, Any]) -> dict[str, Any]:
    """A story match's signals as ``evidence`` fields."""
    return {
        "title_cosine": round(signals["cosine"], 4),
        "body_cosine": round(signals["body"], 4),
        "entity_overlap": round(signals["entities"], 4),
        "person_overlap": round(signals["persons"], 4),
        "shared_entities": signals["_shared"],
        "date_agreement": signals["dates"],
        "number_conflict": round(signals["numbers"], 4),
        "place_agreement": round(signals["places"], 4),
        "time_similarity": round(signals["time"], 4),
    }


def join_signals(
    best: float,
    second: float,
    n_candidates: int,
    signals: Mapping[str, Any],
    newest_s: float,
    oldest_s: float,
) -> dict[str, float]:
    """The second stage's signals for the best-ranked candidate story:
    - ``score``: its first-stage probability; ``lead``: how far it stands above the second
      best's (0 when alone: ``best`` itself);
    - ``rivals``: log(1 + the other candidates): a new event's first article resembles several
      stories about the same people, a follow-up one;
    - ``newest`` / ``oldest``: ``log_hours`` of ``newest_s`` / ``oldest_s``, the seconds to
      the story's newest / oldest article;
    - ``single``: 1 when the story has one article (the size, capped at 2: a fit set whose
      stories all stop at three articles cannot teach a cap).
    """
    return {
        "score": best,
        "lead": best - second,
        "rivals": _log1p(max(0, n_candidates - 1)),
        "newest": log_hours(newest_s),
        "oldest": log_hours(oldest_s),
        "single": 1.0 if signals["size"] < 0.7 else 0.0,  # log(1 + 1) = 0.69
    }


def _logistic(
    bias: float, weights: tuple[float, ...], names: tuple[str, ...], x: Mapping[str, float]
) -> float:
    """sigmoid(bias + sum(w_i x_i)) over the named signals: both stages' probability."""
    z = bias
    for w, f in zip(weights, names, strict=True):
        z += w * x[f]
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class JoinModel:
    """The join-or-new decision on the best-ranked story: logistic over ``JOIN_FEATURES``."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, signals: Mapping[str, float]) -> float:
        return _logistic(self.bias, self.weights, JOIN_FEATURES, signals)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JoinModel:
        if tuple(data["features"]) != JOIN_FEATURES:
            raise ValueError(f"join model features {data['features']} != {JOIN_FEATURES}")
        return cls(
            weights=tuple(float(data["weights"][f]) for f in JOIN_FEATURES),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(JOIN_FEATURES),
            "weights": dict(zip(JOIN_FEATURES, self.weights, strict=True)),
            "bias": self.bias,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class StoryModel:
    """Logistic regression over ``FEATURES``: p = sigmoid(bias + sum(w_i x_i)). It ranks the
    candidate stories; the best joins when ``join`` (the second stage) says so, or, without
    one, when p reaches ``threshold``."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    info: Mapping[str, Any]
    join: JoinModel | None = None

    def probability(self, signals: Mapping[str, float]) -> float:
        return _logistic(self.bias, self.weights, FEATURES, signals)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoryModel:
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"story model features {data['features']} != {FEATURES}")
        join = data.get("join")
        return cls(
            weights=tuple(float(data["weights"][f]) for f in FEATURES),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            info={
                k: v for k, v in data.items() if k not in {"weights", "bias", "threshold", "join"}
            },
            join=JoinModel.from_dict(join) if join else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = {
            **self.info,
            "features": list(FEATURES),
            "weights": dict(zip(FEATURES, self.weights, strict=True)),
            "bias": self.bias,
            "threshold": self.threshold,
        }
        if self.join is not None:
            out["join"] = self.join.to_dict()
        return out


def load_story_model() -> StoryModel:
    """The fitted model shipped in ``service/dedup/data/story_model.json``."""
    raw = resources.files("service.dedup").joinpath("data/story_model.json").read_bytes()
    return StoryModel.from_dict(jsonio.loads(raw))
