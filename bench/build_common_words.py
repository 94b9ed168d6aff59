"""Build service/enrich/data/common_words.txt from conll-train (the fitting split).

A word is common when conll-train writes it in lower case at least ``--min`` times and at
least ``--ratio`` times as often as capitalised inside a sentence ("schools", "ferry"; not
"apple" if the text mostly means the company). The enricher uses the list for one case only:
a single capitalised word opening a sentence ("Schools in the province were shut") that the
model calls a name although nothing else in the article confirms it.

    python bench/build_common_words.py [--min 2] [--ratio 3]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO, SHARED

OUT = REPO / "service/enrich/data/common_words.txt"
_TOKEN = re.compile(r"[A-Za-z][a-z]+(?:-[a-z]+)*|[.!?\n]")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED / "datasets" / "conll-train.raw.jsonl")
    ap.add_argument("--min", type=int, default=2)
    ap.add_argument("--ratio", type=float, default=3.0)
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"SKIP: {args.data} not found (../shared/datasets is only on developer machines)")
        return 0
    lower: Counter[str] = Counter()
    cap_inside: Counter[str] = Counter()
    for line in args.data.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        art = json.loads(line)
        for text in (art["title"], art["body"]):
            initial = True
            for tok in _TOKEN.findall(text):
                if tok in ".!?\n":
                    initial = True
                    continue
                if tok.islower():
                    lower[tok] += 1
                elif not initial:
                    cap_inside[tok.lower()] += 1
                initial = False
    words = sorted(w for w, c in lower.items()
                   if c >= args.min and c >= args.ratio * cap_inside[w] and len(w) > 1)  # fmt: skip
    header = (
        "# Common lower-case English words, from CoNLL-2003 conll-train by"
        f" bench/build_common_words.py --min {args.min} --ratio {args.ratio:g}\n"
    )
    OUT.write_text(header + "\n".join(words) + "\n", "utf-8")
    print(f"wrote {OUT} ({len(words)} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
