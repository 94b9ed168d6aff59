"""The batch NER decoder gives exactly spaCy's spans, with the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.enrich import load_pipeline
from service.enrich.fastner import FastNer, supports
from service.enrich.nermodel import BUNDLED_MODEL

REPO = Path(__file__).resolve().parents[2]


def _texts() -> list[str]:
    texts = []
    for path in (REPO / "bench/data/entities_gold.jsonl", REPO / "bench/data/dates_gold.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            if "_about" not in row:
                texts.append(f"{row.get('title') or ''}\n\n{row['text']}")
    for line in (REPO / "service/data/samples.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if isinstance(row, dict) and "body" in row:
                texts.append(f"{row.get('title') or ''}\n\n{row['body']}")
    # edges: empty, blank, one token, a name at the very end, blanked runs, line breaks
    texts += ["", "   ", "Paris", "John Smith", "talks with Angela Merkel", "a  \n\n  b",
              "Smith.\n\nJones", "The United Nations Security Council met . " * 20]  # fmt: skip
    return texts


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return load_pipeline(BUNDLED_MODEL).nlp


def test_bundled_model_is_supported(nlp) -> None:  # type: ignore[no-untyped-def]
    assert supports(nlp)
    assert load_pipeline(BUNDLED_MODEL)._fast is not None


@pytest.mark.parametrize("batch", [1, 7, 16])
def test_same_spans_as_spacy(nlp, batch: int) -> None:  # type: ignore[no-untyped-def]
    texts = _texts()
    fast = FastNer(nlp)
    n_ents = 0
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        want = [
            tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            for doc in nlp.pipe(chunk, batch_size=batch)
        ]
        assert fast(chunk) == want
        n_ents += sum(map(len, want))
    assert n_ents > 300  # the texts do exercise the model


def test_unsupported_pipelines_keep_spacy() -> None:
    import spacy

    assert not supports(spacy.blank("en"))
    assert not supports(None)
