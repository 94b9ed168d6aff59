"""spaCy's greedy NER decoder, re-written over the batch with numpy (same model, same output).

Why: in the installed spaCy (3.8, Cython 3 build) the per-token transition loop of the
parser (``Parser._parseC``) acquires and releases the GIL several times for every token of
every document (inside ``StateC.B_`` while the moves are validated): with a small model it
costs more than the neural network itself (~16 µs per token, ~60% of the NER time on a
500-word article; ``perf`` shows ``take_gil``/``pthread_mutex_lock`` on top).

The NER transition system (BILUO) moves exactly one token per step, so step ``i`` of every
document in a batch is token ``i``: the whole batch advances together, with a handful of
numpy operations per step instead of a C loop per document. Everything learnt is spaCy's:
the token vectors (``tok2vec``), the precomputed feature table (``lower``) and the output
layer (``upper``) are the model's own layers called as spaCy calls them; only the state
bookkeeping and the move validity rules (``spacy/pipeline/_parser_internals/ner.pyx``,
for documents without preset entities) are re-implemented. ``tests/unit/test_fastner.py``
checks that the spans are the same as ``nlp.pipe``'s. (Inside an entity the "I" and "L"
scores are numpy dot products, not BLIS's gemm: a tie to the last float bit could go the
other way; none was seen on conll-testa or the benchmark articles.)

``supports(nlp)`` says whether a pipeline can use it (a NER-only pipeline with spaCy's
``TransitionBasedParser`` with an output layer, greedy decoding); otherwise callers keep
``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["FastNer", "supports"]

Span = tuple[int, int, str]  # (start_char, end_char, label)

_BEGIN, _IN, _LAST, _UNIT, _OUT = range(5)
_MOVES = {"B": _BEGIN, "I": _IN, "L": _LAST, "U": _UNIT, "O": _OUT}


def supports(nlp: Any) -> bool:
    """A NER-only pipeline whose model this decoder reproduces."""
    try:
        if list(nlp.pipe_names) != ["ner"]:
            return False
        ner = nlp.get_pipe("ner")
        model = ner.model
        if type(ner.moves).__name__ != "BiluoPushDown" or ner.cfg.get("beam_width", 1) != 1:
            return False
        if model.name != "parser_model" or not model.attrs.get("has_upper"):
            return False
        if model.attrs.get("unseen_classes"):  # spaCy rescores those per batch
            return False
        lower = model.get_ref("lower")
        if lower.get_dim("nF") != 3 or lower.get_dim("nP") < 2:
            return False
        names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
        return all(n.split("-", 1)[0] in _MOVES for n in names)
    except Exception:
        return False


class FastNer:
    """Entity spans for a batch of texts, as ``nlp.pipe`` would find them."""

    def __init__(self, nlp: Any):
        from spacy.attrs import ENT_IOB, IS_SPACE, SENT_START

        self.nlp = nlp
        ner = nlp.get_pipe("ner")
        model = ner.model
        self.tok2vec = model.get_ref("tok2vec")
        self.lower = model.get_ref("lower")
        self.upper = model.get_ref("upper")
        self.ops = model.ops
        names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
        self.move = np.array([_MOVES[n.split("-", 1)[0]] for n in names], dtype=np.int8)
        strings = nlp.vocab.strings
        labels = [n.split("-", 1)[1] if "-" in n else "" for n in names]
        # label id 0 is "no label" (the "U-" move, valid only on preset entities)
        self.label = np.array([strings[x] if x else 0 for x in labels], dtype=np.uint64)
        self.label_name = {int(self.label[i]): labels[i] for i in range(len(names))}
        self._attrs = [SENT_START, ENT_IOB, IS_SPACE]
        self._inside = {int(lb): self._inside_classes(int(lb)) for lb in set(self.label) if lb}

    def __call__(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        docs = [self.nlp.make_doc(t) for t in texts]
        return self.spans(docs)

    def spans(self, docs: Sequence[Any]) -> list[tuple[Span, ...]]:
        out: list[tuple[Span, ...]] = [() for _ in docs]
        live = [i for i, d in enumerate(docs) if len(d)]
        if not live:
            return out
        batch = [docs[i] for i in live]
        ents = self._decode(batch)
        for i, doc, found in zip(live, batch, ents, strict=True):
            spans = []
            for start, end, label in found:
                span = doc[start:end]
                spans.append((span.start_char, span.end_char, self.label_name[label]))
            out[i] = tuple(spans)
        return out

    def _decode(self, docs: Sequence[Any]) -> list[list[tuple[int, int, int]]]:
        """Greedy BILUO decoding: (start token, end token, label id) per doc.

        Outside an entity the model's features are the current token and two padding rows,
        so the scores of that state are computed for every token of the batch at once; only
        the steps inside an entity (features: the entity's first token and the previous
        token) are computed one by one, a few per article.
        """
        lengths = [len(d) for d in docs]
        flags = [d.to_array(self._attrs) for d in docs]
        if any(f[:, 1].any() for f in flags):  # preset entities: spaCy's own rules apply
            raise ValueError("documents with preset entities are not supported")
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        last = np.zeros(sum(lengths), dtype=bool)  # token is its document's last
        last[offsets + np.array(lengths) - 1] = True
        nxt = np.concatenate(
            [np.append(f[1:, 0] == 1, False) for f in flags]
        )  # next starts a sentence
        space = np.concatenate([f[:, 2] != 0 for f in flags])
        tokvecs = self.tok2vec.predict(list(docs))
        cached = self.lower.predict(tokvecs)  # (tokens + 1, nF, nH, nP); row 0 is padding
        bias = self.lower.get_param("b")
        w_up, b_up = self.upper.get_param("W"), self.upper.get_param("b")
        ops = self.ops
        # every token in the "no entity open" state, as spaCy sums it: f0 + pad1 + pad2 + b
        unmaxed = cached[1:, 0] + cached[0, 1]
        unmaxed = unmaxed + cached[0, 2]
        unmaxed += bias
        scores = ops.gemm(np.ascontiguousarray(_maxout(unmaxed)), w_up, trans2=True)
        scores += b_up
        move, label = self.move, self.label
        labelled = label != 0
        b_ok = ~last & ~nxt & ~space
        valid = (
            ((move == _BEGIN) & labelled)[None, :] & b_ok[:, None]
            | ((move == _UNIT) & labelled)[None, :] & ~space[:, None]
            | (move == _OUT)[None, :]
        )
        scores[~valid] = -np.inf
        closed = scores.argmax(axis=1)
        closed_move = move[closed]
        found: list[list[tuple[int, int, int]]] = []
        inside = self._inside
        for d, n in enumerate(lengths):
            o = int(offsets[d])
            ents: list[tuple[int, int, int]] = []
            i = 0
            events = np.flatnonzero(closed_move[o : o + n] != _OUT)
            for j in events.tolist():
                if j < i:
                    continue  # inside an entity found before
                cls = int(closed[o + j])
                lb = int(label[cls])
                if move[cls] == _UNIT:
                    ents.append((j, j + 1, lb))
                    i = j + 1
                    continue
                cls_in, cls_last, w2, b2 = inside[lb]
                start_row = cached[o + j + 1, 1]
                k = j + 1
                while not (last[o + k] or nxt[o + k]):  # there "I" is invalid: L
                    # inside the entity opened at j, token k: "I" (go on) or "L" (close)
                    u = cached[o + k + 1, 0] + start_row
                    u = u + cached[o + k, 2]
                    u += bias
                    s_in, s_last = w2 @ _maxout(u) + b2
                    if s_last > s_in or (s_last == s_in and cls_last < cls_in):
                        break
                    k += 1
                ents.append((j, k + 1, lb))
                i = k + 1
            found.append(ents)
        return found

    def _inside_classes(self, lb: int) -> tuple[int, int, np.ndarray, np.ndarray]:
        """The "I" and "L" classes of a label (the only valid moves inside its entity),
        with their rows of the output layer."""
        cls_in = int(np.flatnonzero((self.move == _IN) & (self.label == lb))[0])
        cls_last = int(np.flatnonzero((self.move == _LAST) & (self.label == lb))[0])
        w, b = self.upper.get_param("W"), self.upper.get_param("b")
        rows = [cls_in, cls_last]
        return cls_in, cls_last, np.ascontiguousarray(w[rows]), np.ascontiguousarray(b[rows])


def _maxout(x: np.ndarray) -> np.ndarray:
    """Max over the last axis (the maxout pieces), without numpy's slow small-axis reduce."""
    out = x[..., 0]
    for p in range(1, x.shape[-1]):
        out = np.maximum(out, x[..., p])
    return out
