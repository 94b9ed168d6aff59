"""Commits are spaced out only while the ingest stream has a backlog."""

from __future__ import annotations

from service.agents.publish import _Guard


def test_commits_are_deferred_only_under_a_backlog_and_only_for_the_busy_interval() -> None:
    guard = _Guard(busy_backlog=16, busy_interval=0.2, last_commit=100.0)
    guard.backlog = 3
    assert not guard.defer_commit(100.05)  # little waiting: commit on every tick
    guard.backlog = 40
    assert guard.defer_commit(100.05)  # saturated: wait for the busy interval
    assert not guard.defer_commit(100.2)  # ... but never longer


def test_no_busy_interval_means_never_deferred() -> None:
    guard = _Guard(busy_backlog=16, busy_interval=0.0, last_commit=100.0)
    guard.backlog = 1000
    assert not guard.defer_commit(100.0)
