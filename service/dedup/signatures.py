"""Near-copy signals: word shingles, MinHash (rensa), LSH band keys, Jaccard, containment, numbers.

Measured guidance (issue 4): 128 permutations over word 5-shingles, LSH with 32 bands x 4 rows,
verify with estimated Jaccard >= 0.5 or containment >= 0.8, then the number check.
"""

from __future__ import annotations

import array
import base64
import re
from collections.abc import Sequence

import numpy as np
import rensa
import xxhash

NUM_PERM = 128
SEED = 1
SHINGLE = 5
BANDS = 32
ROWS = 4
LEAD_WORDS = 12
# Below this many shingles the containment estimate from MinHash is noise.
MIN_SHINGLES_FOR_CONTAINMENT = 25

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def words(normalized: str) -> list[str]:
    """Word tokens of normalised text."""
    return _WORD.findall(normalized)


def shingles(tokens: Sequence[str], k: int = SHINGLE) -> list[str]:
    """Distinct word k-shingles in first-seen order; a text shorter than k is one shingle."""
    if len(tokens) < k:
        return [" ".join(tokens)] if tokens else []
    return list(dict.fromkeys(" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)))


def minhash(items: list[str]) -> list[int]:
    """The 128-permutation MinHash signature of a set of shingles (fixed seed)."""
    m = rensa.RMinHash(NUM_PERM, SEED)
    m.update(items)
    return list(m.digest())


_U32 = next(code for code in "IL" if array.array(code).itemsize == 4)  # "I" on usual ABIs
_BAND_BYTES = 4 * ROWS  # a band's rows as little-endian uint32
_BAND_TAGS = [b << 48 for b in range(BANDS)]
_LOW48 = (1 << 48) - 1
_hash64 = xxhash.xxh3_64_intdigest


def band_keys(signature: Sequence[int] | np.ndarray) -> list[int]:
    """LSH keys: one int per band, the band index in bits 48-52 over a 48-bit hash of its rows.

    One xxh3 hash per band over its rows' bytes; equal rows give equal keys, different rows
    collide with probability ~2^-48, and a collision only adds a candidate to verify. The keys
    are in memory only (rebuilt from the packed signatures), never stored.
    """
    raw = as_array(signature).tobytes()
    step = _BAND_BYTES
    return [
        _hash64(raw[o : o + step]) & _LOW48 | tag
        for o, tag in zip(range(0, BANDS * step, step), _BAND_TAGS, strict=True)
    ]


def lead_key(tokens: Sequence[str]) -> str:
    """A key on the first words, so a truncated copy meets its original even at low Jaccard."""
    if len(tokens) < LEAD_WORDS:
        return ""
    return "ld" + xxhash.xxh3_64_hexdigest(" ".join(tokens[:LEAD_WORDS]).encode("utf-8"))[:12]


def as_array(signature: Sequence[int] | np.ndarray) -> np.ndarray:
    """The signature as a little-endian uint32 array (a JSON list converts in ~2 us)."""
    if isinstance(signature, np.ndarray):
        return signature.astype("<u4", copy=False)
    # array.array converts a list in C (~3x faster than np.fromiter), in native byte order
    return np.frombuffer(array.array(_U32, signature), dtype="=u4").astype("<u4", copy=False)


def pack_signature(signature: Sequence[int] | np.ndarray) -> str:
    """Compact JSON-friendly form for the index (512 bytes -> 684 chars of base64)."""
    return base64.b64encode(as_array(signature).tobytes()).decode("ascii")


def unpack_signature(packed: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(packed), dtype="<u4")


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash slots."""
    return float(np.count_nonzero(a == b)) / len(a)


def containment(j: float, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller shingle set contained in the larger one.

    From |A n B| = J (|A| + |B|) / (1 + J); 0 when the smaller set is too small to trust.
    """
    small = min(size_a, size_b)
    if small < MIN_SHINGLES_FOR_CONTAINMENT or j <= 0.0:
        return 0.0
    return min(1.0, j * (size_a + size_b) / ((1.0 + j) * small))


def numbers(normalized: str) -> list[str]:
    """Distinct numbers in the text, thousands separators dropped, sorted."""
    return sorted(set(_NUMBER.findall(_THOUSANDS.sub("", normalized))))


def number_check(a: Sequence[str], b: Sequence[str]) -> tuple[bool, float]:
    """(passes, agreement): when both hold 2+ numbers, fewer than half of the smaller set matching
    rejects. Templated stories (earthquakes, earnings, scores) differ mostly in their numbers."""
    if len(a) < 2 or len(b) < 2:
        return True, 1.0
    shared = len(set(a) & set(b))
    agreement = shared / min(len(a), len(b))
    return agreement >= 0.5, agreement
