"""`newsflow stories` rendering: last value per key, newest first, without Kafka."""

from __future__ import annotations

from typing import Any

from service import jsonio
from service.cli import build_parser
from service.storyboard import COLUMNS, StoryBoard, render


def story(sid: str, title: str, last: str, count: int = 1, version: int = 1) -> dict[str, Any]:
    return {
        "story_id": sid,
        "title": title,
        "first_seen": "2026-03-05T02:40:00+00:00",
        "last_seen": last,
        "article_count": count,
        "outlets": [f"o{i}.example" for i in range(count)],
        "recent_article_ids": [],
        "top_entities": [],
        "key_dates": [],
        "version": version,
        "schema_version": 1,
    }


def feed(board: StoryBoard, *stories: dict[str, Any]) -> None:
    for s in stories:
        board.update(s["story_id"].encode(), jsonio.dumps(s))


def test_the_last_value_per_key_wins_and_newest_stories_come_first() -> None:
    board = StoryBoard()
    feed(
        board,
        story("story-a", "Quake in Malatya", "2026-03-03T11:22:00+00:00"),
        story("story-b", "Israel presses White House", "2026-03-05T02:40:00+00:00"),
        story("story-b", "Israel presses White House", "2026-03-05T12:20:00+02:00", 3, 3),
    )
    lines = render(board.stories.values())
    assert lines[0].split("  ")[0] == COLUMNS[0]
    assert "story-b" in lines[1] and "story-a" in lines[2]
    assert lines[1].split() == [
        "2026-03-05", "10:20", "2026-03-05", "02:40", "3", "3", "story-b",
        "Israel", "presses", "White", "House",
    ]  # fmt: skip
    assert lines[-1] == "2 stories"


def test_an_older_version_arriving_late_does_not_replace_a_newer_one() -> None:
    board = StoryBoard()
    feed(board, story("story-a", "Newer", "2026-03-05T12:00:00+00:00", 4, 4))
    assert not board.update(b"story-a", jsonio.dumps(story("story-a", "Older", "x", 2, 2)))
    assert board.stories["story-a"]["title"] == "Newer"


def test_tombstones_delete_and_garbage_is_skipped() -> None:
    board = StoryBoard()
    feed(board, story("story-a", "A", "2026-03-05T12:00:00+00:00"))
    assert board.update(b"story-a", None)
    assert not board.update(b"story-x", b"{not json")
    assert not board.update(b"story-y", b"[1, 2]")
    assert board.stories == {} and board.skipped == 2
    assert render(board.stories.values()) == ["  ".join(COLUMNS), "0 stories"]


def test_max_rows_and_width_cut_the_table() -> None:
    board = StoryBoard()
    feed(
        board,
        *(story(f"story-{i}", "T" * 200, f"2026-03-0{i}T00:00:00+00:00") for i in range(1, 6)),
    )
    lines = render(board.stories.values(), max_rows=2, width=80)
    assert len(lines) == 4
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].endswith("…")
    assert lines[-1] == "5 stories (showing 2)"


def test_the_command_line_options() -> None:
    args = build_parser().parse_args(["stories", "--timeout", "3", "--max-rows", "5"])
    assert (args.from_beginning, args.timeout, args.max_rows) == (True, 3.0, 5)
    args = build_parser().parse_args(["stories", "--no-from-beginning"])
    assert args.from_beginning is False and args.timeout is None
