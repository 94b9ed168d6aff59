"""Print the PEM certificates of one CA bundle that another lacks.

Why: pip in an image build trusts only the base image's bundle; where TLS is intercepted
(a corporate proxy, this CI) the host's bundle holds the extra CA. The difference is small
enough for a build argument (the whole bundle is not: one argument is at most 128 KiB).
Usage: python3 extra_ca.py HOST_BUNDLE BASE_BUNDLE
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)


def certificates(text: str) -> dict[str, str]:
    """The PEM blocks of a bundle, keyed without whitespace so that equal ones compare equal."""
    return {"".join(block.split()): block for block in PEM.findall(text)}


def main(host: str, base: str) -> int:
    known = certificates(Path(base).read_text(errors="replace"))
    extra = [
        pem
        for key, pem in certificates(Path(host).read_text(errors="replace")).items()
        if key not in known
    ]
    print("\n".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
