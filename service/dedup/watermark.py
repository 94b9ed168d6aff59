"""Event-time order for the decision stage: buffer articles, release them by publication time.

Articles reach the decision stage from several raw partitions in whatever order the consumer
fetched them. This module puts them back in ``(published_ts, id)`` order within a bounded
out-of-orderness, the way Flink merges per-partition watermarks:

- per source (raw) partition, the latest publication time seen (``maxima``);
- watermark = the minimum of those over the *active* partitions, minus ``lateness_s``; a
  partition with no article for ``idle_s`` (wall clock) and no input waiting upstream is
  marked idle (``mark_idle``, run by the caller on a timer) and leaves the minimum, so a quiet
  partition never stalls the stream; its next article makes it active again. A partition
  never seen counts as active with no time (it holds everything) until it is marked idle, so
  a backlog through N partitions is merged exactly like one through 1 (each partition of a
  time-sorted file is itself sorted);
- buffered articles strictly below the watermark are released in ``(published_ts, id)``
  order ("strictly": a partition whose maximum is the watermark may still send another article
  at that very time, with a smaller id); with every partition idle, everything is released;
- an article whose key is below the last released key cannot be put in order any more: it is
  *late* and is handed back at once (decided out of order, never dropped).

State that decides what is released (buffered articles, ``maxima``, the last released key)
lives in a ``MutableMapping`` (in the worker, the changelogged ``decisions`` table under the
reserved key prefix of ``KeyPrefixed``): one record per buffered article under its id, and
the clock under ``STATE_KEY`` (article ids are non-empty). A restarted
worker restores it and releases exactly what an uninterrupted one would. Idle clocks are wall
time, kept in memory and restarted at start (downtime does not make partitions idle).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

STATE_KEY = ""
Key = tuple[float, str]


class KeyPrefixed(MutableMapping[str, Any]):
    """The entries of ``inner`` whose keys start with ``prefix`` (prefix removed): lets the
    buffer share an existing table (no new changelog topic). Lookups are O(1); iterating and
    ``len`` scan ``inner`` (done once per restore)."""

    def __init__(self, inner: MutableMapping[str, Any], prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def __getitem__(self, key: str) -> Any:
        return self.inner[self.prefix + key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.inner[self.prefix + key] = value

    def __delitem__(self, key: str) -> None:
        del self.inner[self.prefix + key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self.prefix + key) in self.inner

    def __iter__(self) -> Iterator[str]:
        n = len(self.prefix)
        return (k[n:] for k in list(self.inner) if k.startswith(self.prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class Offered:
    """What became of an offered article: buffered, or ``late`` (decide it now)."""

    late: bool
    late_by_s: float = 0.0


class EventOrder:
    """The reorder buffer of the decision stage (see the module docstring)."""

    def __init__(
        self,
        store: MutableMapping[str, Any],
        *,
        partitions: int,
        lateness_s: float,
        idle_s: float,
        now: float,
    ) -> None:
        self.store = store
        self.partitions = partitions
        self.lateness_s = lateness_s
        self.idle_s = idle_s
        self.restore(now)

    def restore(self, now: float) -> int:
        """Reload the buffer and clock from ``store``; restart the idle clocks. Buffered count."""
        state = self.store.get(STATE_KEY) or {}
        self._maxima: dict[int, float] = {int(p): float(t) for p, t in state.get("max", {}).items()}
        last = state.get("last")
        self._last: Key | None = (float(last[0]), str(last[1])) if last else None
        self._heap: list[Key] = [
            (float(v["t"]), k) for k, v in self.store.items() if k != STATE_KEY
        ]
        heapq.heapify(self._heap)
        self._seen = dict.fromkeys(range(self.partitions), now)
        self._idle: set[int] = set()
        return len(self._heap)

    # -- queries ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._heap)

    def __contains__(self, article_id: str) -> bool:
        return bool(article_id) and article_id in self.store

    def has_state(self) -> bool:
        """Whether the store holds event-order state (read without a scan)."""
        return STATE_KEY in self.store

    def watermark(self) -> float:
        """Articles published strictly before this are released; +inf when all are idle."""
        active = [p for p in self._seen if p not in self._idle]
        if not active:
            return math.inf
        return min(self._maxima.get(p, -math.inf) for p in active) - self.lateness_s

    def newest(self) -> float | None:
        """The latest publication time seen on any partition."""
        return max(self._maxima.values()) if self._maxima else None

    def last_released(self) -> Key | None:
        return self._last

    def timed_out(self, now: float) -> set[int]:
        """Active partitions without an article for longer than ``idle_s``."""
        return {p for p, at in self._seen.items() if p not in self._idle and now - at > self.idle_s}

    # -- updates ----------------------------------------------------------------------------

    def mark_idle(self, now: float, busy: set[int] | frozenset[int] = frozenset()) -> set[int]:
        """Let timed-out partitions leave the minimum, except ``busy`` ones (known to have
        input waiting upstream: the partitioned stage is slow or restarting, not quiet).
        Returns the partitions newly idle. A partition is active again with its next article.
        """
        newly = self.timed_out(now) - set(busy)
        self._idle |= newly
        return newly

    def offer(
        self, article_id: str, partition: int, published_ts: float, value: Any, now: float
    ) -> Offered:
        """Take an article from ``partition``: buffered (stored with ``value``) or late."""
        self._seen[partition] = now
        self._idle.discard(partition)
        if published_ts > self._maxima.get(partition, -math.inf):
            self._maxima[partition] = published_ts
            self._save()
        key = (published_ts, article_id)
        if self._last is not None and key < self._last:
            return Offered(late=True, late_by_s=round(self._last[0] - published_ts, 3))
        self.store[article_id] = {"t": published_ts, "p": partition, "v": value}
        heapq.heappush(self._heap, key)
        return Offered(late=False)

    def release(self) -> list[tuple[str, Any]]:
        """Remove and return ``(id, value)`` of every buffered article below the watermark,
        in ``(published_ts, id)`` order."""
        mark = self.watermark()
        out = []
        heap = self._heap
        while heap and heap[0][0] < mark:
            key = heapq.heappop(heap)
            record = self.store.get(key[1])
            if record is None:  # not ours any more (defensive: the store moved under us)
                continue
            del self.store[key[1]]
            out.append((key[1], record["v"]))
            self._last = key
        if out:
            self._save()
        return out

    def _save(self) -> None:
        self.store[STATE_KEY] = {
            "max": {str(p): t for p, t in sorted(self._maxima.items())},
            "last": list(self._last) if self._last else None,
        }
