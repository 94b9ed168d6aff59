"""Where ``prepare_many`` runs: in the worker's own process, or in child processes.

Enrichment (spaCy NER above all) is most of an article's CPU. Run on the worker's event
loop it stalls everything else the worker does: Kafka fetches and sends, transaction
commits, the decision stage. In child processes it overlaps with all of that and uses the
other cores, and the worker's loop only waits for results. Children are started with
``spawn`` (never ``fork``: the worker has threads and an event loop by then), load the model
once, and die with the worker (``PR_SET_PDEATHSIG``), a ``kill -9`` included.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import signal
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .enrich import load_pipeline
from .errors import EnrichmentError, InvalidArticle
from .pipeline import Prepared, Timings, prepare_many

log = logging.getLogger(__name__)

Outcome = list[Prepared | Exception]


@dataclass(frozen=True)
class PrepareOptions:
    model: str | None
    lead_words: int | None
    max_bytes: int
    max_body_chars: int
    monthfirst_sources: frozenset[str]


def _prepare(
    options: PrepareOptions, values: Sequence[bytes | None]
) -> tuple[Outcome, list[Timings]]:
    enricher = load_pipeline(options.model, lead_words=options.lead_words)
    timings = [Timings() for _ in values]
    results = prepare_many(
        values,
        enricher,
        max_bytes=options.max_bytes,
        max_body_chars=options.max_body_chars,
        monthfirst_sources=options.monthfirst_sources,
        timings=timings,
    )
    return results, timings


def _prepare_in_child(
    options: PrepareOptions, values: Sequence[bytes | None]
) -> tuple[Outcome, list[Timings]]:
    """``_prepare`` with every unexpected exception made picklable (its type, message and
    traceback in the text), so one article's bug stays that article's dead letter."""
    results, timings = _prepare(options, values)
    portable: Outcome = []
    for r in results:
        if isinstance(r, Exception) and not isinstance(r, InvalidArticle):
            where = "".join(traceback.format_exception(r, limit=-3)).strip()
            err = EnrichmentError(f"{type(r).__name__}: {r}")
            err.add_note(where)
            r = err
        portable.append(r)
    return portable, timings


def _child_init(options: PrepareOptions) -> None:
    if sys.platform == "linux":  # die with the worker, however it ends
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the worker, which stops us
    load_pipeline(options.model, lead_words=options.lead_words)


class Preparer:
    """Prepares raw values in ``processes`` child processes, or in this one when it is 0."""

    def __init__(self, options: PrepareOptions, processes: int) -> None:
        self.options = options
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init,
                initargs=(self.options,),
            )
        return self._pool

    def start(self) -> None:
        """Load the model now, not on the first batch (~1.5 s: the first articles would wait
        for it): in the children, while the worker joins its group, or here."""
        if self.processes:
            pool = self._executor()
            for _ in range(self.processes):
                pool.submit(int)
        else:
            load_pipeline(self.options.model, lead_words=self.options.lead_words)

    async def prepare(self, values: Sequence[bytes | None]) -> tuple[Outcome, list[Timings]]:
        """(outcome, timings) per value, in order: see ``pipeline.prepare_many``."""
        if not self.processes:
            return _prepare(self.options, values)
        loop = asyncio.get_running_loop()
        pool = self._executor()
        # one contiguous share of the batch per process, results back in input order
        size = -(-len(values) // self.processes)
        shares = [list(values[i : i + size]) for i in range(0, len(values), size)]
        try:
            parts = await asyncio.gather(
                *(
                    loop.run_in_executor(pool, _prepare_in_child, self.options, share)
                    for share in shares
                )
            )
        except BrokenProcessPool:
            # a child died (killed, out of memory): start new ones, do this batch here
            log.error("enrichment process died; restarting the pool", exc_info=True)
            self.close()
            return _prepare(self.options, values)
        results: Outcome = []
        timings: list[Timings] = []
        for part_results, part_timings in parts:
            results.extend(part_results)
            timings.extend(part_timings)
        return results, timings

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
