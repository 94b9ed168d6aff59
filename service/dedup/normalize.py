"""Text normalisation for duplicate detection: NFKC, casefold, boilerplate lines, whitespace.

The exact-copy key is the xxh3-128 hex digest of the normalised body, so two articles whose
bodies differ only in case, Unicode form, spacing, bylines or scraped boilerplate lines
(view counters, "read also" teasers, share/subscribe prompts, copyright lines) hash equal.
"""

from __future__ import annotations

import re
import unicodedata

import xxhash

# A line is boilerplate when it is short and matches one of these (after casefolding).
_BOILERPLATE = re.compile(
    r"""^(?:
        [•·|\-\s]*\d[\d\s.,k]*\s*views?                       # "• 32 views"
      | .*\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s*\d{1,2}:\d{2}\s*[•·]\s*\d+\s*views?  # teaser + counter
      | (?:read|see)\s+(?:also|more)\b.*
      | related(?:\s+(?:articles?|stories|news|coverage))?\s*:?.*
      | (?:subscribe|sign\s+up|follow\s+us|share\s+(?:this|on)|click\s+here|download\s+our).*
      | advertisement | sponsored(?:\s+content)? | ad
      | (?:©|\(c\)|copyright\b).* | .*all\s+rights\s+reserved.*
      | (?:photo|image|video|source|credit)s?\s*:.*
      | by\s+[\w.'\- ]{2,60}(?:,\s*[\w.'\- ]{2,60})?
      | (?:reporting|writing|editing|additional\s+reporting)\s+by\b.*
      | (?:updated|published|posted)\s*:?\s*\d.*
      | details | more\s+details | tags?\s*:.*
    )$""",
    re.VERBOSE,
)
_MAX_BOILERPLATE_WORDS = 14
_SPACE = re.compile(r"\s+")


def _is_boilerplate(line: str) -> bool:
    return len(line.split()) <= _MAX_BOILERPLATE_WORDS and _BOILERPLATE.match(line) is not None


def normalize_text(text: str) -> str:
    """Return `text` in NFKC, casefolded, boilerplate lines dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for raw in text.splitlines():
        line = _SPACE.sub(" ", raw).strip()
        if line and not _is_boilerplate(line):
            kept.append(line)
    return " ".join(kept)


def exact_hash(normalized: str) -> str:
    """The xxh3-128 hex digest of already normalised text."""
    return xxhash.xxh3_128_hexdigest(normalized.encode("utf-8"))
