"""The dedup decision: one ordered stage over two persisted mappings and in-memory indexes.

Persisted (plain dicts or Faust tables; one changelog record per ``__setitem__``/``__delitem__``):
- ``articles``: article id -> base record: publication time ``t``, story id ``s``, exact hash
  ``x``, packed MinHash ``g``, shingle count ``n``, numbers ``nums``, lead key ``l``, title+lead
  terms ``tm``, body terms ``bt`` and entity ids ``en``: what verifying a copy and rebuilding
  the indexes need;
- ``stories``: story id -> story state (``story.py``), with its term/entity/date summaries.
A decision writes one article record and one story state: two records per article.

Derived, in memory, rebuilt from the two mappings by ``rebuild()`` (after a restart, recovery
or rebalance) and kept in step by ``decide``/``expire``:
- copy buckets: exact hash, lead key and the 32 LSH band keys -> article ids;
- document frequencies of title+lead terms, body terms and entities over the articles in the
  index window (added on decide, removed on eviction, so they decay with the window) and the
  article count: the idf of every signal comes from the stream itself;
- story postings: every term, body-centroid term and entity of a story's summary -> story ids;
- eviction heaps ordered by (time, id), and per-story values parsed once per story version
  when the story is first scored (main dates, numbers, places).
Every derived structure is a function of the mappings' contents, never of their order, so a
rebuilt engine decides exactly like one that never restarted.

For each article's features, in order:
1. exact / near copy: candidates from the exact hash, lead key and band buckets (a bucket holding
   more than ``max_bucket`` ids contributes its earliest ones); exact = same hash, near = estimated
   Jaccard >= 0.5 or containment >= 0.8 and the number check. The earliest match wins.
2. same story: stories sharing a query term (the article's top title+lead and top body terms
   by tf-idf) or entity, at least ``min_shared_keys`` of them (keys held by more than
   ``max_stories_per_key`` stories are too common to select with), the ``max_story_candidates``
   sharing most, are scored by the logistic model (``scoring.py``, which also ranks them); the
   best at or above its threshold wins.
3. otherwise a new story, its id derived from this article's id.
Stored values are replaced, never mutated in place.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

from service.dedup import scoring, signatures
from service.dedup import story as story_state
from service.dedup.scoring import StoryModel, load_story_model

Kind = Literal["exact", "near", "story"]
Bucket = str | dict[str, None]
Posting = str | dict[str, None]  # story ids; insertion order never matters


@dataclass(frozen=True)
class DedupConfig:
    """Windows, bounds and thresholds of the decision stage."""

    near_window_hours: float = 168.0
    story_window_hours: float = 72.0
    max_index_articles: int = 200_000
    max_recent_stories: int = 20_000
    recent_ids_per_story: int = 20
    min_jaccard: float = 0.5
    min_containment: float = 0.8
    max_bucket: int = 32
    story_query_terms: int = 10
    story_query_entities: int = 15
    max_story_candidates: int = 10
    min_shared_keys: int = 2
    max_stories_per_key: int = 100
    model: StoryModel | None = field(default=None, compare=False)


@dataclass
class Decision:
    story_id: str
    duplicate_of: str | None
    duplicate_kind: Kind | None
    similarity: float
    evidence: dict[str, Any]
    story: dict[str, Any]


class DedupEngine:
    def __init__(
        self,
        config: DedupConfig,
        articles: MutableMapping[str, Any],
        stories: MutableMapping[str, Any],
    ) -> None:
        self.config = config
        self.model = config.model or load_story_model()
        self.articles = articles
        self.stories = stories
        self._clear()

    def _clear(self) -> None:
        self._buckets: dict[int | str, Bucket] = {}
        self._df: Counter[str] = Counter()
        self._edf: Counter[str] = Counter()
        self._bdf: Counter[str] = Counter()
        self._indexed = 0
        # postings and buckets hold one id as a plain str (most do), a collection past that:
        # a dict of ids to None (the garbage collector skips a dict of str, not a set)
        self._term_stories: dict[str, Posting] = {}
        self._entity_stories: dict[str, Posting] = {}
        self._body_stories: dict[str, Posting] = {}
        self._views: dict[str, tuple[int, scoring.StoryView]] = {}  # by version, lazily
        self._stories = 0
        self._article_heap: list[tuple[float, str]] = []
        self._story_heap: list[tuple[float, str]] = []

    @property
    def indexed(self) -> int:
        """Articles in the in-memory index (equals ``len(articles)`` when in step)."""
        return self._indexed

    def rebuild(self) -> int:
        """Rebuild every in-memory index from ``articles`` and ``stories``; the article count."""
        self._clear()
        for aid, rec in self.articles.items():
            self._index_article(aid, rec, signatures.band_keys(_unpack(rec["g"])))
        for sid, st in self.stories.items():
            self._index_story(sid, None, st)
        return self._indexed

    # -- decision ---------------------------------------------------------------------------

    def decide(self, features: dict[str, Any], *, assign_to: str | None = None) -> Decision:
        """Decide and record one article. ``assign_to`` forces a story (offline fitting only)."""
        sig = signatures.as_array(features["signature"])
        bands = signatures.band_keys(sig)
        kind: Kind | None = None
        duplicate_of: str | None = None
        similarity = 0.0
        evidence: dict[str, Any] = {}
        story_id: str | None = None
        query: scoring.Query | None = None  # not needed for a copy
        copy = None if assign_to else self._find_copy(features, sig, bands)
        if copy is not None:
            kind, duplicate_of, similarity, evidence = copy
            story_id = self.articles[duplicate_of]["s"]
        else:
            query = self._query(features)
            if assign_to is None:
                best = self._best_story(features, query)
                if best is not None:
                    story_id, similarity, evidence = best
                    kind = "story"
                    duplicate_of = self.stories[story_id]["first_article"]
        if (
            duplicate_of is not None
            and self._ts_of(duplicate_of, story_id) > features["published_ts"]
        ):
            # a late article, published before what it matches: it joins that story as its
            # earliest article and is nobody's duplicate (duplicate_of never names a later one)
            evidence = {**evidence, "later_match": duplicate_of}
            kind, duplicate_of = None, None
        story_id = story_id or assign_to or story_state.story_id_for(features["id"])
        new = self._record(features, sig, bands, story_id, query)
        return Decision(story_id, duplicate_of, kind, round(similarity, 4), evidence, new)

    def _ts_of(self, article_id: str, story_id: str | None) -> float:
        """Publication time of a matched article (a story's first: the story's first_ts)."""
        rec = self.articles.get(article_id)
        if rec is not None:
            return float(rec["t"])
        st = self.stories.get(story_id) if story_id else None
        return float(st["first_ts"]) if st else float("-inf")

    def _candidates(self, keys: Iterable[int | str]) -> set[str]:
        out: set[str] = set()
        for ids in filter(None, map(self._buckets.get, keys)):  # most keys have no bucket
            if isinstance(ids, str):
                out.add(ids)
            elif len(ids) <= self.config.max_bucket:
                out.update(ids)
            else:  # a hot bucket: its earliest articles, whatever the insertion order
                at = [(self.articles[a]["t"], a) for a in ids]
                out.update(a for _, a in heapq.nsmallest(self.config.max_bucket, at))
        return out

    def _find_copy(
        self, f: dict[str, Any], sig: Any, bands: list[int]
    ) -> tuple[Kind, str, float, dict[str, Any]] | None:
        keys: list[int | str] = [f["exact"], *bands]
        if f["lead_key"]:
            keys.append(f["lead_key"])
        candidates = self._candidates(keys)
        candidates.discard(f["id"])
        best: tuple[tuple[bool, int, float, str], Kind, float, dict[str, Any]] | None = None
        for aid in candidates:
            rec = self.articles.get(aid)
            if rec is None:
                continue
            if rec["x"] == f["exact"]:
                kind: Kind = "exact"
                sim = 1.0
                ev: dict[str, Any] = {"matched_article": aid, "exact_hash": f["exact"]}
            else:
                j = signatures.jaccard(sig, _unpack(rec["g"]))
                c = signatures.containment(j, f["n_shingles"], rec["n"])
                if j < self.config.min_jaccard and c < self.config.min_containment:
                    continue
                ok, agreement = signatures.number_check(f["numbers"], rec["nums"].split())
                if not ok:
                    continue
                kind, sim = "near", max(j, c)
                ev = {
                    "matched_article": aid,
                    "jaccard": round(j, 4),
                    "containment": round(c, 4),
                    "numbers": {"agreement": round(agreement, 4), "count": len(f["numbers"])},
                }
            # an earlier article beats a later one (only a late article has later candidates),
            # exact beats near, then the earliest article, then the id (deterministic)
            rank = (rec["t"] > f["published_ts"], 0 if kind == "exact" else 1, rec["t"], aid)
            if best is None or rank < best[0]:
                ev["matched_story"] = rec["s"]
                ev["time_gap_hours"] = round((f["published_ts"] - rec["t"]) / 3600.0, 2)
                best = (rank, kind, sim, ev)
        if best is None:
            return None
        _, kind, sim, ev = best
        return kind, ev["matched_article"], sim, ev

    def _query(self, f: dict[str, Any]) -> scoring.Query:
        """The article's side of the story comparison, idf weights computed once."""
        return scoring.Query.build(
            f, self._df, self._edf, self._indexed, self.config.story_query_terms, self._bdf
        )

    def candidate_stories(
        self, f: dict[str, Any], query: scoring.Query | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Recent stories sharing a query term or entity with the article, with their signals."""
        q = query if query is not None else self._query(f)
        cfg = self.config
        cap = cfg.max_stories_per_key
        terms, entities, body = self._term_stories, self._entity_stories, self._body_stories
        singles: list[str] = []
        sets: list[dict[str, None]] = []
        for p in chain(
            map(terms.get, q.top_terms),
            map(body.get, q.top_body),
            map(entities.get, q.entity_ids[: cfg.story_query_entities]),
        ):
            if p is None:
                continue
            if isinstance(p, str):
                singles.append(p)
            elif len(p) <= cap:
                sets.append(p)
        hits = Counter(chain(singles, chain.from_iterable(sets)))
        # stories sharing too few query keys are not scored: on the dev set every true story
        # shared 3+ (of 10 terms + 15 entities), 80% of the wrong candidates shared one
        least = cfg.min_shared_keys
        ranked = sorted([(-n, s) for s, n in hits.items() if n >= least])
        ranked = ranked[: cfg.max_story_candidates]
        window = cfg.story_window_hours * 3600.0
        ts = f["published_ts"]
        out = []
        for minus_keys, sid in ranked:
            st = self.stories.get(sid)
            if st is None:
                continue
            gap = abs(ts - st["last_ts"])
            if gap > window:
                continue
            view = self._views.get(sid)
            if view is None or view[0] != st["version"]:
                view = self._views[sid] = (st["version"], scoring.StoryView.of(st))
            signals = q.signals(st, view[1])
            signals["gap"] = gap / window
            signals["time"] = scoring.time_similarity(gap)
            signals["time_first"] = scoring.time_similarity(abs(ts - st["first_ts"]))
            signals["_keys"] = -minus_keys
            out.append((sid, signals))
        scoring.add_margins([signals for _, signals in out])
        return out

    def _best_story(
        self, f: dict[str, Any], query: scoring.Query
    ) -> tuple[str, float, dict[str, Any]] | None:
        best: tuple[str, float, dict[str, Any]] | None = None
        model, join = self.model, self.model.join
        floor = model.threshold if join is None else -1.0
        second = 0.0
        candidates = self.candidate_stories(f, query)
        for sid, signals in candidates:
            p = model.probability(signals)
            if p >= floor and (best is None or p > best[1]):
                if best is not None:
                    second = best[1]
                best = (sid, p, signals)
            elif p > second:
                second = p
        if best is None:
            return None
        sid, p, signals = best
        st = self.stories[sid]
        extra: dict[str, Any] = {}
        if join is not None:  # the second stage decides join-or-new on the best only
            ts = f["published_ts"]
            x = scoring.join_signals(
                p, second, len(candidates), signals, ts - st["last_ts"], ts - st["first_ts"]
            )
            pj = join.probability(x)
            if pj < join.threshold:
                return None
            extra["join_score"] = round(pj, 4)
        ev = {
            "matched_story": sid,
            "matched_article": st["first_article"],
            **scoring.evidence(signals),
            "time_gap_hours": round((f["published_ts"] - st["last_ts"]) / 3600.0, 2),
            "score": round(p, 4),
            **extra,
        }
        return sid, p, ev

    # -- state ------------------------------------------------------------------------------

    def _record(
        self,
        f: dict[str, Any],
        sig: Any,
        bands: list[int],
        story_id: str,
        query: scoring.Query | None,
    ) -> dict[str, Any]:
        aid = f["id"]
        old_rec = self.articles.get(aid)
        if old_rec is not None:  # the same id decided again: replace, do not double count
            self._unindex_article(aid, old_rec, signatures.band_keys(_unpack(old_rec["g"])))
        entity_ids = query.entity_ids if query is not None else [e["id"] for e in f["entities"]]
        body_terms = f.get("body_terms") or {}
        rec = {
            "t": f["published_ts"],
            "s": story_id,
            "x": f["exact"],
            "g": signatures.pack_signature(sig),
            "n": f["n_shingles"],
            "nums": " ".join(f["numbers"]),
            "l": f["lead_key"],
            "tm": " ".join(f["terms"]),
            "bt": " ".join(body_terms),
            "en": entity_ids,
        }
        old = self.stories.get(story_id)
        new = story_state.add_article(
            old or story_state.new_story(story_id, f),
            f,
            self.config.recent_ids_per_story,
            None if query is None else (query.unit_terms, query.unit_body),
        )
        self.articles[aid] = rec
        self._index_article(aid, rec, bands, (f["terms"], body_terms))
        self.stories[story_id] = new
        joined = {"terms": f["terms"], "entities": entity_ids, "body": body_terms}
        self._index_story(story_id, old, new, joined)
        return story_state.payload(new)

    def _index_article(
        self,
        aid: str,
        rec: dict[str, Any],
        bands: list[int],
        words: tuple[Iterable[str], Iterable[str]] | None = None,
    ) -> None:
        """Index an article record. ``words``: its title+lead and body terms (the keys of its
        features' ``terms`` and ``body_terms``, whose hashes are known) in place of the record's
        ``tm`` / ``bt`` split again (new strings, hashed again)."""
        _add_postings(self._buckets, filter(None, (rec["x"], rec["l"], *bands)), aid)
        terms, body = words or (rec["tm"].split(), rec.get("bt", "").split())
        self._df.update(iter(terms))  # iter: counted as keys, not as a mapping of counts
        self._edf.update(rec["en"])
        self._bdf.update(iter(body))
        self._indexed += 1
        heapq.heappush(self._article_heap, (rec["t"], aid))

    def _unindex_article(self, aid: str, rec: dict[str, Any], bands: list[int]) -> None:
        buckets = self._buckets
        for key in (rec["x"], rec["l"], *bands):
            ids = buckets.get(key) if key else None
            if ids is None:
                continue
            if isinstance(ids, str):
                if ids == aid:
                    del buckets[key]
            else:
                ids.pop(aid, None)
                if len(ids) == 1:
                    buckets[key] = next(iter(ids))
        _decrement(self._df, rec["tm"].split())
        _decrement(self._edf, rec["en"])
        _decrement(self._bdf, rec.get("bt", "").split())
        self._indexed -= 1

    def _index_story(
        self,
        sid: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        joined: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Move story ``sid``'s postings from state ``old`` to state ``new`` (None: absent).

        ``joined``: the keys of the article that turned ``old`` into ``new`` (only they can be
        new keys; an old key is gone only when the summary was trimmed)."""
        for attr, posts in (
            ("terms", self._term_stories),
            ("entities", self._entity_stories),
            ("body", self._body_stories),
        ):
            before: Mapping[str, Any] = (old.get(attr) or {}) if old else {}
            after: Mapping[str, Any] = (new.get(attr) or {}) if new else {}
            added: Iterable[str]
            removed: Iterable[str]
            if not before:
                added, removed = after, ()
            elif not after:
                added, removed = (), before
            elif joined is not None:
                added = [k for k in joined[attr] if k in after and k not in before]
                trimmed = len(after) != len(before) + len(added)
                removed = before.keys() - after.keys() if trimmed else ()
            else:
                added, removed = after.keys() - before.keys(), before.keys() - after.keys()
            _add_postings(posts, added, sid)
            for key in removed:
                posting = posts.get(key)
                if posting is None:
                    continue
                if isinstance(posting, str):
                    if posting == sid:
                        del posts[key]
                else:
                    posting.pop(sid, None)
                    if len(posting) == 1:
                        posts[key] = next(iter(posting))
        if new is None:
            self._views.pop(sid, None)
            self._stories -= old is not None
            return
        self._stories += old is None
        if old is None or old["last_ts"] != new["last_ts"]:
            heapq.heappush(self._story_heap, (new["last_ts"], sid))
            if len(self._story_heap) > 2 * self._stories + 1024:  # drop superseded entries
                self._story_heap = [
                    (ts, s) for ts, s in self._story_heap if self._is_current(s, ts)
                ]
                heapq.heapify(self._story_heap)

    def _is_current(self, sid: str, last_ts: float) -> bool:
        st = self.stories.get(sid)
        return st is not None and st["last_ts"] == last_ts

    # -- eviction ---------------------------------------------------------------------------

    def expire(self, now: float) -> int:
        """Evict articles and stories outside their windows or beyond their size bounds."""
        cfg = self.config
        evicted = 0
        cutoff = now - cfg.near_window_hours * 3600.0
        heap = self._article_heap
        while heap and (heap[0][0] < cutoff or self._indexed > cfg.max_index_articles):
            t, aid = heapq.heappop(heap)
            rec = self.articles.get(aid)
            if rec is None or rec["t"] != t:
                continue  # superseded by a later decision on the same id
            self._unindex_article(aid, rec, signatures.band_keys(_unpack(rec["g"])))
            del self.articles[aid]
            evicted += 1
        cutoff = now - cfg.story_window_hours * 3600.0
        heap = self._story_heap
        while heap and (heap[0][0] < cutoff or self._stories > cfg.max_recent_stories):
            ts, sid = heapq.heappop(heap)
            if not self._is_current(sid, ts):
                continue
            self._index_story(sid, self.stories[sid], None)
            del self.stories[sid]
            evicted += 1
        return evicted


def _add_postings(posts: dict[Any, Posting], keys: Iterable[Any], sid: str) -> None:
    """Add ``sid`` to the postings of ``keys``: one id as a plain str, more as a dict."""
    for key in keys:
        posting = posts.get(key)
        if posting is None:
            posts[key] = sid
        elif isinstance(posting, str):
            if posting != sid:
                posts[key] = {posting: None, sid: None}
        else:
            posting[sid] = None


def _unpack(packed: str) -> Any:
    return signatures.unpack_signature(packed)


def _decrement(counts: Counter[str], keys: Iterable[str]) -> None:
    for key in keys:
        left = counts[key] - 1
        if left > 0:
            counts[key] = left
        else:
            del counts[key]
