"""The recovery patch resumes input partitions only after the seek to committed offsets."""

from __future__ import annotations

import asyncio
from typing import Any

from service.agents.faust_fixes import _seek_before_resume


class FakeConsumer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def resume_partitions(self, tps: Any) -> None:
        self.calls.append(("resume", sorted(tps)))

    async def perform_seek(self) -> None:
        self.calls.append(("seek", None))
        await asyncio.sleep(0)


async def faust_order(consumer: Any, seek: bool = True) -> None:
    """What Faust's `Recovery.on_recovery_completed` does: resume, then seek."""
    consumer.resume_partitions({"raw-1", "raw-0"})
    if seek:
        await consumer.perform_seek()


def test_the_seek_comes_before_the_resume_and_the_methods_are_restored() -> None:
    consumer = FakeConsumer()
    with _seek_before_resume(consumer):
        asyncio.run(faust_order(consumer))
    assert consumer.calls == [("seek", None), ("resume", ["raw-0", "raw-1"])]
    assert "resume_partitions" not in vars(consumer) and "perform_seek" not in vars(consumer)
    consumer.resume_partitions({"x"})
    assert consumer.calls[-1] == ("resume", ["x"])


def test_without_a_seek_the_partitions_are_still_resumed() -> None:
    consumer = FakeConsumer()
    with _seek_before_resume(consumer):
        asyncio.run(faust_order(consumer, seek=False))
        assert consumer.calls == []
    assert consumer.calls == [("resume", ["raw-0", "raw-1"])]


def test_the_patch_is_installed_once() -> None:
    from faust.tables.recovery import Recovery

    from service.agents import faust_fixes

    faust_fixes.apply()
    patched = Recovery.on_recovery_completed
    faust_fixes.apply()
    assert Recovery.on_recovery_completed is patched
    assert Recovery._newsflow_seek_fixed is True  # type: ignore[attr-defined]
