"""The dedup decision: one ordered stage over four mappings (plain dicts or Faust tables).

For each article's features, in order:
1. exact / near copy: candidates from the exact-hash key, the lead key and 32 LSH band keys
   (``bands``); an exact candidate has the same hash, a near one passes estimated Jaccard >= 0.5
   or containment >= 0.8 and the number check. The earliest matching article wins.
2. same story: candidate stories (``meta`` inverted index of title+lead terms and entities) are
   scored by the logistic model; the best at or above its threshold wins.
3. otherwise a new story, its id derived from this article's id.
Then the state is written back: every stored value is replaced, never mutated in place.

Mappings: ``articles`` id -> small record (packed signature, no text); ``bands`` key -> article
id or list of ids; ``stories`` story id -> story state; ``meta`` document frequencies
(``df:``/``edf:``), the story inverted index (``t:``/``e:``) and the document count ``n``.
"""

from __future__ import annotations

import heapq
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from service.dedup import scoring, signatures
from service.dedup import story as story_state
from service.dedup.scoring import StoryModel, load_story_model

Kind = Literal["exact", "near", "story"]


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
    max_stories_per_key: int = 50
    model: StoryModel | None = field(default=None, compare=False)


@dataclass
class Decision:
    story_id: str
    duplicate_of: str | None
    duplicate_kind: Kind | None
    similarity: float
    evidence: dict[str, Any]
    story: dict[str, Any]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class DedupEngine:
    def __init__(
        self,
        config: DedupConfig,
        articles: MutableMapping[str, Any],
        bands: MutableMapping[str, Any],
        stories: MutableMapping[str, Any],
        meta: MutableMapping[str, Any],
    ) -> None:
        self.config = config
        self.model = config.model or load_story_model()
        self.articles = articles
        self.bands = bands
        self.stories = stories
        self.meta = meta

    # -- decision ---------------------------------------------------------------------------

    def decide(self, features: dict[str, Any], *, assign_to: str | None = None) -> Decision:
        """Decide and record one article. ``assign_to`` forces a story (offline fitting only)."""
        keys = self._index_keys(features)
        term_w = self._weights("df:", features["terms"])
        query = self._query_keys(features, term_w)
        kind: Kind | None = None
        duplicate_of: str | None = None
        similarity = 0.0
        evidence: dict[str, Any] = {}
        story_id: str | None = None
        copy = None if assign_to else self._find_copy(features, keys)
        if copy is not None:
            kind, duplicate_of, similarity, evidence = copy
            story_id = self.articles[duplicate_of]["s"]
        elif assign_to is None:
            best = self._best_story(features, term_w, query)
            if best is not None:
                story_id, similarity, evidence = best
                kind = "story"
                duplicate_of = self.stories[story_id]["first_article"]
        story_id = story_id or assign_to or story_state.story_id_for(features["id"])
        new = self._record(features, keys, story_id, term_w, query)
        return Decision(story_id, duplicate_of, kind, round(similarity, 4), evidence, new)

    def _index_keys(self, f: dict[str, Any]) -> list[str]:
        keys = ["x" + f["exact"][:20]]
        if f["lead_key"]:
            keys.append(f["lead_key"])
        keys.extend(signatures.band_keys(f["signature"]))
        return keys

    def _find_copy(
        self, f: dict[str, Any], keys: list[str]
    ) -> tuple[Kind, str, float, dict[str, Any]] | None:
        candidates: dict[str, None] = {}
        for key in keys:
            for aid in _as_list(self.bands.get(key)):
                candidates[aid] = None
        candidates.pop(f["id"], None)
        if not candidates:
            return None
        sig = None
        best: tuple[tuple[int, float, str], Kind, float, dict[str, Any]] | None = None
        for aid in candidates:
            rec = self.articles.get(aid)
            if rec is None:
                continue
            if rec["x"] == f["exact"]:
                kind: Kind = "exact"
                sim = 1.0
                ev: dict[str, Any] = {"matched_article": aid, "exact_hash": f["exact"]}
            else:
                if sig is None:
                    sig = signatures.unpack_signature(signatures.pack_signature(f["signature"]))
                j = signatures.jaccard(sig, signatures.unpack_signature(rec["g"]))
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
            ev["matched_story"] = rec["s"]
            ev["time_gap_hours"] = round((f["published_ts"] - rec["t"]) / 3600.0, 2)
            # exact beats near, then the earliest article, then the id (deterministic)
            rank = (0 if kind == "exact" else 1, rec["t"], aid)
            if best is None or rank < best[0]:
                best = (rank, kind, sim, ev)
        if best is None:
            return None
        _, kind, sim, ev = best
        return kind, ev["matched_article"], sim, ev

    def _weights(self, prefix: str, keys: Any) -> dict[str, float]:
        n = int(self.meta.get("n", 0))
        return {k: scoring.idf(int(self.meta.get(prefix + k, 0)), n) for k in keys}

    def _query_keys(self, f: dict[str, Any], term_w: dict[str, float]) -> list[str]:
        ranked = sorted(f["terms"], key=lambda t: (-f["terms"][t] * term_w[t], t))
        ents = [e["id"] for e in f["entities"][: self.config.story_query_entities]]
        top_terms = ranked[: self.config.story_query_terms]
        return ["t:" + t for t in top_terms] + ["e:" + e for e in ents]

    def candidate_stories(
        self,
        f: dict[str, Any],
        term_w: dict[str, float] | None = None,
        query: list[str] | None = None,
    ) -> list[tuple[str, dict[str, float]]]:
        """Recent stories sharing a query term or entity with the article, with their signals."""
        term_w = term_w if term_w is not None else self._weights("df:", f["terms"])
        query = query if query is not None else self._query_keys(f, term_w)
        ent_ids = [e["id"] for e in f["entities"]]
        ent_w = self._weights("edf:", ent_ids)
        hits: dict[str, int] = {}
        for key in query:
            for sid in self.meta.get(key, ()):
                hits[sid] = hits.get(sid, 0) + 1
        limit = self.config.max_story_candidates
        ranked = heapq.nsmallest(limit, hits, key=lambda s: (-hits[s], s))
        window = self.config.story_window_hours * 3600.0
        norm = scoring.weighted_norm(f["terms"], term_w)
        out = []
        for sid in ranked:
            st = self.stories.get(sid)
            if st is None or abs(f["published_ts"] - st["last_ts"]) > window:
                continue
            overlap, shared = scoring.entity_overlap(ent_ids, st["entities"], ent_w)
            signals = {
                "cosine": scoring.tfidf_cosine(f["terms"], st["terms"], term_w, norm, st["norm"]),
                "entities": overlap,
                "dates": scoring.date_agreement(f["dates"], st["dates"]),
                "gap": abs(f["published_ts"] - st["last_ts"]) / window,
                "numbers": scoring.number_conflict(f["lead_numbers"], st["lead_numbers"]),
            }
            out.append((sid, {**signals, "_shared": shared}))
        return out

    def _best_story(
        self, f: dict[str, Any], term_w: dict[str, float], query: list[str]
    ) -> tuple[str, float, dict[str, Any]] | None:
        best: tuple[str, float, dict[str, Any]] | None = None
        for sid, signals in self.candidate_stories(f, term_w, query):
            p = self.model.probability(signals)
            if p >= self.model.threshold and (best is None or p > best[1]):
                st = self.stories[sid]
                ev = {
                    "matched_story": sid,
                    "matched_article": st["first_article"],
                    "title_cosine": round(signals["cosine"], 4),
                    "entity_overlap": round(signals["entities"], 4),
                    "shared_entities": signals["_shared"],
                    "date_agreement": signals["dates"],
                    "number_conflict": signals["numbers"],
                    "time_gap_hours": round((f["published_ts"] - st["last_ts"]) / 3600.0, 2),
                    "score": round(p, 4),
                }
                best = (sid, p, ev)
        return best

    # -- state ------------------------------------------------------------------------------

    def _record(
        self,
        f: dict[str, Any],
        keys: list[str],
        story_id: str,
        term_w: dict[str, float],
        query: list[str],
    ) -> dict[str, Any]:
        aid = f["id"]
        self.articles[aid] = {
            "t": f["published_ts"],
            "s": story_id,
            "x": f["exact"],
            "g": signatures.pack_signature(f["signature"]),
            "n": f["n_shingles"],
            "nums": " ".join(f["numbers"]),
            "l": f["lead_key"],
        }
        for key in keys:
            ids = _as_list(self.bands.get(key))
            if aid in ids:
                continue
            self.bands[key] = aid if not ids else [*ids, aid][-self.config.max_bucket :]

        for key in query:
            sids = list(self.meta.get(key, ()))
            if story_id not in sids:
                self.meta[key] = [*sids, story_id][-self.config.max_stories_per_key :]
        self.meta["n"] = int(self.meta.get("n", 0)) + 1
        for t in f["terms"]:
            self.meta["df:" + t] = int(self.meta.get("df:" + t, 0)) + 1
        for e in f["entities"]:
            self.meta["edf:" + e["id"]] = int(self.meta.get("edf:" + e["id"], 0)) + 1

        old = self.stories.get(story_id) or story_state.new_story(story_id, f)
        new = story_state.add_article(old, f, self.config.recent_ids_per_story)
        # the story's weighted term norm, cached with current idf (drifts slowly)
        weights = {**self._weights("df:", (t for t in new["terms"] if t not in term_w)), **term_w}
        new["norm"] = scoring.weighted_norm(new["terms"], weights)
        self.stories[story_id] = new
        return story_state.payload(new)

    # -- eviction ---------------------------------------------------------------------------

    def expire(self, now: float) -> int:
        """Evict articles and stories outside their windows or beyond their size bounds."""
        cfg = self.config
        old_articles = _expired(
            {aid: rec["t"] for aid, rec in self.articles.items()},
            now - cfg.near_window_hours * 3600.0,
            cfg.max_index_articles,
        )
        for aid in old_articles:
            rec = self.articles.pop(aid)
            keys = ["x" + rec["x"][:20], *([rec["l"]] if rec["l"] else [])]
            keys.extend(signatures.band_keys(signatures.unpack_signature(rec["g"]).tolist()))
            for key in keys:
                ids = [i for i in _as_list(self.bands.get(key)) if i != aid]
                if not ids:
                    self.bands.pop(key, None)
                else:
                    self.bands[key] = ids[0] if len(ids) == 1 else ids
        old_stories = _expired(
            {sid: st["last_ts"] for sid, st in self.stories.items()},
            now - cfg.story_window_hours * 3600.0,
            cfg.max_recent_stories,
        )
        for sid in old_stories:
            del self.stories[sid]
        if old_stories:
            gone = set(old_stories)
            for key in [k for k in self.meta if k.startswith(("t:", "e:"))]:
                sids = self.meta[key]
                kept = [s for s in sids if s not in gone]
                if not kept:
                    del self.meta[key]
                elif len(kept) != len(sids):
                    self.meta[key] = kept
        return len(old_articles) + len(old_stories)


def _expired(times: dict[str, float], cutoff: float, limit: int) -> list[str]:
    """Keys older than ``cutoff``, plus the oldest beyond ``limit``."""
    old = [k for k, t in times.items() if t < cutoff]
    excess = len(times) - len(old) - limit
    if excess > 0:
        gone = set(old)
        rest = sorted((t, k) for k, t in times.items() if k not in gone)
        old.extend(k for _, k in rest[:excess])
    return old
