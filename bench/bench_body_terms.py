"""What the body signal costs the partitioned stage, per article: ``scoring.body_terms`` over
the article's normalised body tokens (the tokens are computed anyway, for the shingles).

    .venv/bin/python bench/bench_body_terms.py [--repeat 20]

Bodies: BASIL (``../shared/datasets``, ~640 words each) when present, else the own dev set
(~140 words). Prints CPU microseconds per article and the average body length in words.
"""

from __future__ import annotations

import argparse
import sys
import time

from story_data import basil_available, load_basil, load_own

from service.dedup import scoring, signatures
from service.dedup.normalize import normalize_text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    rows = load_basil(False) if basil_available() else load_own()
    name = "BASIL" if basil_available() else "own dev set"
    tokens = [signatures.words(normalize_text(r["body"])) for r in rows]
    began = time.process_time()
    for _ in range(args.repeat):
        for t in tokens:
            scoring.body_terms(t)
    cpu = time.process_time() - began
    per = cpu / (args.repeat * len(tokens)) * 1e6
    words = sum(map(len, tokens)) / len(tokens)
    print(f"{name}: {len(tokens)} bodies, {words:.0f} words on average: body_terms {per:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
