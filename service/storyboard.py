"""The current stories as a table (`newsflow stories`): last value per key, rendered as text.

Pure code over the `stories` topic's payloads (schemas/story.v1.json); the CLI feeds it
records and prints what :func:`render` returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from . import jsonio

COLUMNS = ("LAST SEEN (UTC)", "FIRST SEEN (UTC)", "ARTICLES", "OUTLETS", "STORY", "TITLE")


class StoryBoard:
    """The latest state per story id, as a compacted topic's reader sees it."""

    def __init__(self) -> None:
        self.stories: dict[str, dict[str, Any]] = {}
        self.skipped = 0

    def update(self, key: bytes | None, value: bytes | None) -> bool:
        """Apply one record; True when the board changed. A null value deletes the key."""
        story_id = key.decode("utf-8", "replace") if key is not None else None
        if value is None:
            return story_id is not None and self.stories.pop(story_id, None) is not None
        try:
            story = jsonio.loads(value)
        except jsonio.JSONDecodeError:
            self.skipped += 1
            return False
        if not isinstance(story, dict):
            self.skipped += 1
            return False
        story_id = story_id or story.get("story_id")
        if not story_id:
            self.skipped += 1
            return False
        previous = self.stories.get(story_id)
        if previous is not None and _int(previous.get("version")) > _int(story.get("version")):
            return False  # an older state arriving late: keep the newer one
        self.stories[story_id] = story
        return True


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _when(value: Any) -> str:
    if not isinstance(value, str):
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:16]
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def ordered(stories: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most recently active first (last_seen descending), then by story id."""
    by_id = sorted(stories, key=lambda s: str(s.get("story_id", "")))
    return sorted(by_id, key=lambda s: str(s.get("last_seen") or ""), reverse=True)


def rows(stories: Iterable[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (
            _when(s.get("last_seen")),
            _when(s.get("first_seen")),
            str(s.get("article_count", "-")),
            str(len(s.get("outlets") or [])),
            str(s.get("story_id", "-")),
            " ".join(str(s.get("title", "")).split()),
        )
        for s in ordered(stories)
    ]


def render(
    stories: Iterable[dict[str, Any]], *, max_rows: int | None = None, width: int | None = None
) -> list[str]:
    """Header, one line per story (newest first), and a count line; cut to `width` if given."""
    table = rows(stories)
    shown = table if max_rows is None else table[: max(0, max_rows)]
    widths = [len(c) for c in COLUMNS[:-1]]
    for row in shown:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row[:-1], strict=False)]
    numeric = {2, 3}

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells[:-1], widths, strict=True))
        ]
        text = "  ".join([*parts, cells[-1]]).rstrip()
        if width is not None and len(text) > width:
            text = text[: max(0, width - 1)] + "…"
        return text

    out = [line(COLUMNS), *(line(r) for r in shown)]
    more = f" (showing {len(shown)})" if len(shown) < len(table) else ""
    out.append(f"{len(table)} {'story' if len(table) == 1 else 'stories'}{more}")
    return out
