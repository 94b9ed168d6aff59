"""Hand-written enriched articles for the dedup unit tests (not a test module)."""

from __future__ import annotations

from typing import Any

QUAKE_PERU = """A magnitude 6.7 earthquake struck southern Peru on Tuesday, killing at least five
people and damaging hundreds of homes in the Arequipa region, the national civil defence
institute said.

The quake hit at 14:32 local time at a depth of 38 kilometres, about 60 kilometres north of the
town of Chivay in the Colca Valley, according to the Geophysical Institute of Peru.

Rescue teams were searching collapsed adobe houses in several villages, and the regional
government said 1,200 people had been left homeless. Roads into the valley were blocked by
landslides.

President Dina Boluarte said she would travel to the area on Wednesday and promised emergency
funds for the families affected."""

QUAKE_PERU_REWRITE = """Villagers in Peru's Colca Valley spent the night outdoors after a powerful
tremor flattened mud-brick homes, leaving five dead across the highlands of Arequipa.

Officials said the 6.7 quake, centred north of Chivay, cut off mountain roads with rockslides
while emergency crews dug through rubble. Boluarte pledged money for reconstruction and planned
to visit the disaster zone."""

QUAKE_ECUADOR = """A magnitude 5.9 earthquake struck northern Ecuador on Tuesday, killing at least
two people and damaging dozens of homes in the Esmeraldas province, the national risk management
service said.

The quake hit at 09:15 local time at a depth of 12 kilometres, about 25 kilometres south of the
town of Muisne, according to the Geophysical Institute of Ecuador.

Rescue teams were searching collapsed wooden houses in several villages, and the provincial
government said 300 people had been left homeless. Roads along the coast were blocked by
landslides.

President Daniel Noboa said he would travel to the area on Wednesday and promised emergency
funds for the families affected."""

PERU_ENTITIES = [
    {"id": "Q419", "name": "Peru", "type": "GPE", "mentions": [], "count": 2},
    {"id": "Q200000", "name": "Arequipa", "type": "GPE", "mentions": [], "count": 1},
    {"id": "Q1047", "name": "Colca Valley", "type": "LOC", "mentions": [], "count": 2},
    {"id": "Q5275", "name": "Dina Boluarte", "type": "PERSON", "mentions": [], "count": 1},
]
ECUADOR_ENTITIES = [
    {"id": "Q736", "name": "Ecuador", "type": "GPE", "mentions": [], "count": 2},
    {"id": "Q21", "name": "Esmeraldas", "type": "GPE", "mentions": [], "count": 1},
    {"id": "Q9", "name": "Daniel Noboa", "type": "PERSON", "mentions": [], "count": 1},
]


def article(
    aid: str,
    text: str,
    *,
    title: str = "Magnitude 6.7 earthquake hits southern Peru, five dead",
    source: str = "quakewatch.example",
    published: str = "2026-02-11T21:05:00+00:00",
    entities: list[dict[str, Any]] | None = None,
    dates: list[str] = ("2026-02-10",),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "id": aid,
        "source": source,
        "url": f"https://{source}/{aid}",
        "title": title,
        "text": text,
        "published_at_utc": published,
        "entities": PERU_ENTITIES if entities is None else entities,
        "dates": [{"text": "Tuesday", "value": d, "kind": "relative"} for d in dates],
    }


def peru() -> dict[str, Any]:
    return article("peru-1", QUAKE_PERU)


def peru_rewrite() -> dict[str, Any]:
    return article(
        "peru-2",
        QUAKE_PERU_REWRITE,
        title="Colca Valley villages count losses after strong Peru quake",
        source="andesreport.example",
        published="2026-02-12T01:40:00+00:00",
    )


def ecuador() -> dict[str, Any]:
    return article(
        "ecuador-1",
        QUAKE_ECUADOR,
        title="Magnitude 5.9 earthquake hits northern Ecuador, two dead",
        published="2026-02-11T23:30:00+00:00",
        entities=ECUADOR_ENTITIES,
    )
