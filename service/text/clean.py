"""Strip scraping noise from article bodies while keeping the real paragraphs.

Scrapers glue page furniture into the text: view counters (`• 32 views`), teaser links of
other articles with their own date and view count (`...war powers in Iran04.03.26, 23:59 •
3016 views`), datelines (`Kyiv • UNN`), UI labels (`Details`, `Read also`), repeated headlines,
bylines and trailing tag lists. Both NER and date parsing break on that noise, so this runs first.

All patterns use bounded quantifiers: a hostile body cannot make them backtrack for long.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_VIEWS = r"[•·|]\s{0,3}\d[\d,. \u00a0]{0,12}\s{0,3}(?:views?|переглядів|просмотров)"
_TEASER_DATE = r"\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s{0,3}\d{1,2}:\d{2}"
# A teaser link glued after a sentence: "...in Iran04.03.26, 23:59 • 3016 views".
_TEASER = re.compile(
    r"(?:(?<=[.!?\"”»])|^)[ \t]{0,3}[^\n.!?]{0,300}?" + _TEASER_DATE + r"\s{0,3}" + _VIEWS + r"\.?",
    re.IGNORECASE | re.MULTILINE,
)
_VIEW_COUNTER_LINE = re.compile(r"^\s{0,5}" + _VIEWS + r"\s{0,5}$", re.IGNORECASE)
_INLINE_VIEWS = re.compile(r"\s{0,3}" + _VIEWS + r"\b", re.IGNORECASE)
_DATELINE = re.compile(
    r"^[\w.'’-]{2,30}(?: [\w.'’-]{1,30}){0,2} [•·|] [\w.'’-]{2,30}(?: [\w.'’-]{1,30}){0,2}$"
)
_HEADER = re.compile(
    r"^\s{0,5}(?:date|published|updated)[: ]\s{0,3}\d{4}-\d{2}-\d{2}\b.{0,80}$", re.I
)
_UI_LABEL = re.compile(
    r"^(?:details|read also|read more|also read|see also|related|advertisement|share|"
    r"share this article|subscribe|tags?|photo|video|loading\.*|"
    r"follow us on [\w ]{1,30}\.?|subscribe to our [\w ]{1,30}\.?)\s{0,3}:?$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?:;\"”»)]\s*$")
_MAX_TAG_WORDS = 4


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text


def _is_tag_like(line: str) -> bool:
    """A short line without sentence punctuation: a tag, a byline or a section label."""
    words = line.split()
    return 0 < len(words) <= _MAX_TAG_WORDS and not _SENTENCE_END.search(line)


def _drop_trailing_tags(lines: list[str]) -> list[str]:
    """Remove a trailing run of two or more tag-like lines (byline + tag list)."""
    end = len(lines)
    while end > 0 and _is_tag_like(lines[end - 1]):
        end -= 1
    return lines[:end] if len(lines) - end >= 2 else lines


def clean_text(body: str, title: str = "") -> str:
    """Return the body's real paragraphs, separated by blank lines, noise removed."""
    text = _normalise(body)
    text = _TEASER.sub("", text)
    title_key = _SPACES.sub(" ", title).strip().casefold()
    lines: list[str] = []
    for raw_line in text.split("\n"):
        line = _SPACES.sub(" ", raw_line).strip()
        if not line:
            continue
        if _VIEW_COUNTER_LINE.match(line) or _HEADER.match(line) or _UI_LABEL.match(line):
            continue
        line = _INLINE_VIEWS.sub("", line).strip()
        if not line or (title_key and line.casefold() == title_key):
            continue
        if _DATELINE.match(line) and len(lines) < 3:
            continue
        lines.append(line)
    lines = _drop_trailing_tags(lines)
    if lines and title_key and lines[0].casefold() == title_key:
        lines = lines[1:]
    return "\n\n".join(lines)
