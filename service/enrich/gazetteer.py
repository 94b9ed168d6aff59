"""The curated gazetteer: canonical names, aliases, an Aho-Corasick matcher and alias lookup.

Data lives in ``data/gazetteer.tsv`` (``TYPE<TAB>Canonical name<TAB>alias|alias``). Ids are
derived from type and canonical name with :func:`entity_id`, the same rule used for entities
that are not in the gazetteer, so an id is stable whichever way an entity was found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

__all__ = ["ENTITY_TYPES", "GazEntry", "GazHit", "Gazetteer", "entity_id", "slug"]

ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "MISC"})
FUZZY_CUTOFF = 90.0


def slug(name: str) -> str:
    """ASCII, lowercase, dash-separated form of a name: "Élysée Palace" -> "elysee-palace"."""
    flat = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", flat.lower()).strip("-")


def entity_id(etype: str, name: str) -> str:
    """Stable canonical key: ``person:benjamin-netanyahu``."""
    return f"{etype.lower()}:{slug(name)}"


@dataclass(frozen=True, slots=True)
class GazEntry:
    """One canonical entity."""

    id: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class GazHit:
    """A gazetteer match in a text: ``weak`` marks a bare surname ("Harris")."""

    start: int
    end: int
    entry: GazEntry
    weak: bool


class Gazetteer:
    """Alias tables plus a word-boundary-checked Aho-Corasick automaton over all aliases."""

    def __init__(
        self,
        rows: list[tuple[str, str, list[str]]],
        governments: list[tuple[str, str]] = (),  # type: ignore[assignment]
    ) -> None:
        self.entries: dict[str, GazEntry] = {}
        self._government: dict[str, GazEntry] = {}
        self._exact: dict[str, tuple[GazEntry, bool]] = {}
        self._folded: dict[str, GazEntry] = {}
        self._by_type: dict[str, tuple[list[str], list[GazEntry]]] = {}
        self._automaton: Any = ahocorasick.Automaton()
        for etype, name, aliases in rows:
            if etype not in ENTITY_TYPES:
                raise ValueError(f"gazetteer: unknown type {etype!r} for {name!r}")
            entry = GazEntry(entity_id(etype, name), name, etype)
            self.entries[entry.id] = entry
            for alias in (name, *aliases):
                weak = etype == "PERSON" and alias != name and " " not in alias
                self._exact.setdefault(alias, (entry, weak))
                self._folded.setdefault(alias.casefold(), entry)
                choices, owners = self._by_type.setdefault(etype, ([], []))
                choices.append(alias.casefold())
                owners.append(entry)
        by_name = {e.name: e for e in self.entries.values()}
        for capital, government in governments:
            if capital not in by_name or government not in by_name:
                raise ValueError(f"gazetteer: {capital!r} -> {government!r}: unknown entity")
            self._government[by_name[capital].id] = by_name[government]
        for alias, (entry, weak) in self._exact.items():
            self._automaton.add_word(alias, (len(alias), entry, weak))
        self._automaton.make_automaton()

    @classmethod
    def load(cls, path: str | None = None) -> Gazetteer:
        """Read the TSV shipped in the package (or ``path``), with the shipped
        capital -> government table (``data/governments.tsv``) when reading the package's."""
        governments: list[tuple[str, str]] = []
        if path is None:
            data = resources.files("service.enrich").joinpath("data")
            raw = data.joinpath("gazetteer.tsv").read_text("utf-8")
            for line in data.joinpath("governments.tsv").read_text("utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    capital, government = line.split("\t")
                    governments.append((capital.strip(), government.strip()))
        else:
            with open(path, encoding="utf-8") as fh:
                raw = fh.read()
        rows = []
        for line in raw.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            etype, name, *rest = line.split("\t")
            aliases = [a for a in (rest[0].split("|") if rest else []) if a]
            rows.append((etype.strip(), name.strip(), aliases))
        return cls(rows, governments)

    def government_of(self, entry: GazEntry) -> GazEntry | None:
        """The government a capital city stands for in "Washington said" (if known)."""
        return self._government.get(entry.id)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> list[GazHit]:
        """Leftmost-longest, non-overlapping alias matches on word boundaries.

        Digits may follow a match (scraped teasers glue dates on: "Iran04.03.26").
        """
        cands: list[GazHit] = []
        for end_idx, (length, entry, weak) in self._automaton.iter(text):
            start, end = end_idx - length + 1, end_idx + 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-@#"):
                continue
            if end < len(text) and (text[end].isalpha() or text[end] == "-"):
                continue
            cands.append(GazHit(start, end, entry, weak))
        cands.sort(key=lambda h: (h.start, -(h.end - h.start)))
        out: list[GazHit] = []
        last_end = -1
        for h in cands:
            if h.start >= last_end:
                out.append(h)
                last_end = h.end
        return out

    def lookup(self, name: str) -> GazEntry | None:
        """Exact alias match, case-sensitive first, then case-insensitive."""
        hit = self._exact.get(name)
        if hit is not None:
            return hit[0]
        return self._folded.get(name.casefold())

    def fuzzy(self, name: str, etype: str, cutoff: float = FUZZY_CUTOFF) -> GazEntry | None:
        """Closest alias of the same type by ``fuzz.ratio`` above a high cutoff."""
        table = self._by_type.get(etype)
        if table is None or len(name) < 5:
            return None
        best = process.extractOne(name.casefold(), table[0], scorer=fuzz.ratio,
                                  score_cutoff=cutoff)  # fmt: skip
        return table[1][best[2]] if best else None
