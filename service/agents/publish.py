"""Sending from inside an agent so that outputs commit atomically with the input offset.

faust-streaming picks a send's Kafka transaction by the *destination* topic's partition
(`TransactionManager.send`), which only works when output topics are co-partitioned with,
and consumed in the same group as, the input. Ours are not (4 raw partitions feed one
decision partition; the output topics are not consumed at all), so under
`processing_guarantee="exactly_once"` Faust's own `topic.send` would put our outputs in a
transaction that never commits, or fail. Here the transaction is chosen by the *source*
partition, exactly as Faust's commit does for the offsets: outputs, table changelogs and
offsets of one source partition commit or abort together (Kafka's consume-transform-produce).

That alone is not atomic per *event*. Faust commits on a timer whenever the agent awaits, and
table changelog writes wait in Faust's producer buffer, so a commit could fall between one
event's outputs, its changelog writes and its ack. After a crash the event's outputs were
committed without its offset and its `decisions` entry (decided and emitted again), or its
`decisions` entry without its outputs (skipped on replay: lost). The crash test saw both (the
second with a lock around the sends only: the buffer's background flusher can move an
event's table writes into the transaction being committed while the agent waits).
`atomic_events` closes the gap: each event is handled under a lock that Faust's commit also
takes, and the event is acked before the lock is released; the commit, holding the lock,
first awaits every changelog write made since the last commit (sent and acknowledged), so a
transaction holds all of one event or none of it.

The writes are awaited at the commit, not after each event: one broker round trip per
commit instead of one per decision. Awaiting them per event kept the whole worker (both
agents share the lock) idle for a third of its time in the pipeline benchmark
(docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import TP

from .. import __version__, jsonio
from ..app import Components

CONTENT_TYPE = b"application/json"
SETTLE_TIMEOUT_S = 60.0
LOCK_WAIT_S = 10.0  # a commit's wait for the event being handled
log = logging.getLogger(__name__)


def output_headers(traceparent: bytes | None = None) -> list[tuple[str, bytes]]:
    headers = [
        ("content-type", CONTENT_TYPE),
        ("schema-version", b"1"),
        ("newsflow-version", __version__.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent))
    return headers


async def send(
    c: Components,
    topic: str,
    key: bytes | None,
    value: Any,
    source: TP,
    traceparent: bytes | None = None,
) -> None:
    """Send a JSON value in the transaction of `source` (or plainly without exactly-once)."""
    app = c.app
    headers = output_headers(traceparent)
    data = jsonio.dumps(value)
    if c.settings.processing_guarantee == "exactly_once":
        group = app.assignor.group_for_topic(source.topic)
        transactional_id = f"{app.conf.id}-{group}-{source.partition}"
        await app.producer.send(
            topic, key, data, None, None, headers, transactional_id=transactional_id
        )
    else:
        await app.producer.send(topic, key, data, None, None, headers)


@dataclass
class _Guard:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    owner: asyncio.Task[Any] | None = None  # the task handling an event, while it does
    # table changelog writes made under the guard since the last commit, not yet awaited
    writes: list[asyncio.Future[Any]] = field(default_factory=list)
    failed: BaseException | None = None  # a write that never reached the open transaction

    async def settle(self) -> bool:
        """Wait until the changelog writes of the events handled since the last commit are
        sent and acknowledged; False (and no commit from now on) when one failed.

        Faust's `ProducerBuffer.flush()` is no barrier: it returns when its queue is empty
        while its background task still holds a message, and after any 0.1 s without a send.
        Awaiting the writes' own futures is one (they go out in order, in the open
        transaction, which cannot commit while the guard is held)."""
        writes, self.writes = self.writes, []
        if writes and self.failed is None:
            try:
                await asyncio.wait_for(asyncio.gather(*writes), SETTLE_TIMEOUT_S)
            except Exception as exc:  # the open transaction lacks them: it must not commit
                self.failed = exc
                log.error("a table changelog write failed, commits stop: %r", exc)
        return self.failed is None

    def interrupted(self) -> bool:
        """An event's handling was cut short (its task cancelled or crashed, e.g. at shutdown),
        or a table write of a handled event failed: the open transaction may hold part of an
        event, so it must not commit."""
        return self.failed is not None or (self.owner is not None and self.owner.done())

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        async with self.lock:
            self.owner = asyncio.current_task()
            yield
            self.owner = None


async def acquire_within(lock: asyncio.Lock, timeout: float, give_up: Any) -> bool:
    """Take `lock` within `timeout` seconds unless `give_up()` turns true first (checked every
    0.5 s). A commit must not wait without bound (a stuck event would hang shutdown); a skipped
    commit is harmless, the next one includes its offsets."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not give_up():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        try:
            await asyncio.wait_for(lock.acquire(), min(0.5, left))
        except TimeoutError:
            continue
        return True
    return False


def commits_stopped(app: faust.App) -> bool:
    """True after an interrupted event: this worker commits nothing more (see commit_guard)."""
    guard = _GUARDS.get(app)
    return guard is not None and guard.interrupted()


_GUARDS: weakref.WeakKeyDictionary[faust.App, _Guard] = weakref.WeakKeyDictionary()


def commit_guard(app: faust.App) -> _Guard:
    """The guard held while one event is handled; Faust's commit waits for it.

    Installed on first use (the consumer exists by then): the consumer's `commit`, which every
    commit path calls (the commit timer, rebalances, shutdown), is wrapped to take the lock
    before it works out the committable offsets. After an interrupted event no commit happens
    at all: the open transaction is left to be aborted (by the broker's transaction timeout,
    or at once when the next owner of the partition starts its producer), so the partial
    event and everything since the last commit are processed again, exactly once.
    """
    guard = _GUARDS.get(app)
    if guard is None:
        guard = _GUARDS[app] = _Guard()
        consumer = app.consumer
        commit = consumer.commit
        lock = guard.lock

        async def guarded_commit(*args: Any, **kwargs: Any) -> bool:
            if not await acquire_within(lock, LOCK_WAIT_S, guard.interrupted):
                if guard.interrupted():
                    log.warning("commit skipped: an event was interrupted; its transaction aborts")
                else:
                    log.warning(
                        "commit skipped: an event held the commit guard > %g s", LOCK_WAIT_S
                    )
                return False
            try:
                if not await guard.settle():
                    return False
                return bool(await commit(*args, **kwargs))
            finally:
                lock.release()

        consumer.commit = guarded_commit  # type: ignore[method-assign]

        buffer = app.producer.buffer
        put = buffer.put

        def recording_put(fut: Any) -> None:
            put(fut)
            if lock.locked():
                guard.writes.append(fut)

        buffer.put = recording_put  # type: ignore[method-assign]
    return guard


async def atomic_events(c: Components, stream: faust.StreamT[Any]) -> AsyncIterator[Any]:
    """`stream.events()`, each event handled with no commit in between: the loop body (table
    writes, `send`s) runs under the commit guard and the event is acked before the guard is
    released (the commit awaits its table writes, `_Guard.settle`). An exception in the body
    leaves the event unacked and stops commits (see `commit_guard`).

    Acks are ours alone: Faust's stream acks an event in a `finally` when its iterator is
    closed, and it is closed when the agent is cancelled (shutdown) while the event waits
    here for the guard. That acked an event nobody handled, the shutdown commit went past
    it, and the article was lost (the scale-out test, under load; seen at both stages)."""
    guard = commit_guard(c.app)
    stream.enable_acks = False  # read when iteration starts: no ack on close
    async for event in stream.events():
        async with guard.held():
            yield event
            await stream.ack(event)
