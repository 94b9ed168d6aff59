"""The bundled NER model (en_core_web_sm's NER fine-tuned on CoNLL-2003 conll-train).

The weights live in ``data/ner-conll/`` with ``MANIFEST.sha256``; ``bench/train_ner.py``
reproduces them. Every file is checked against the manifest before spaCy reads it, so a
corrupted or hand-edited model fails loudly at start-up instead of tagging badly.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["BUNDLED_MODEL", "ModelIntegrityError", "bundled_path", "load_bundled", "verify"]

BUNDLED_MODEL = "newsflow-ner-conll"  # as NEWSFLOW_SPACY_MODEL: the bundled model


class ModelIntegrityError(RuntimeError):
    """A bundled model file is missing or does not match its pinned sha256."""


def bundled_path() -> Path:
    return Path(str(resources.files("service.enrich").joinpath("data/ner-conll")))


def verify(model_dir: Path) -> int:
    """Check every file listed in ``MANIFEST.sha256``; return how many were checked."""
    manifest = model_dir / "MANIFEST.sha256"
    if not manifest.is_file():
        raise ModelIntegrityError(f"{manifest} missing")
    n = 0
    for line in manifest.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        digest, rel = line.split(maxsplit=1)
        path = model_dir / rel
        if not path.is_file():
            raise ModelIntegrityError(f"{path} missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise ModelIntegrityError(f"{path}: sha256 does not match {manifest.name}")
        n += 1
    if n == 0:
        raise ModelIntegrityError(f"{manifest} lists no files")
    return n


def load_bundled(exclude: list[str]) -> Any:
    """The bundled spaCy pipeline, after checking its files' hashes."""
    import spacy

    path = bundled_path()
    verify(path)
    return spacy.load(path, exclude=exclude)
