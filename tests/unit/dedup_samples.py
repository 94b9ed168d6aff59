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


def synthetic_features(n: int, seed: int = 5, *, step_hours: float = 0.5) -> list[dict[str, Any]]:
    """Seeded decision-stage features (no text): new stories, follow-ups sharing a story's terms
    (and body terms) and entities, exact copies and near copies (a tenth of the MinHash slots
    redrawn)."""
    import random

    from service.dedup.signatures import NUM_PERM

    rng = random.Random(seed)
    t0 = 1_772_700_000.0
    out: list[dict[str, Any]] = []
    for i in range(n):
        ts = t0 + i * step_hours * 3600.0
        r = rng.random()
        base = out[-1 - rng.randrange(min(len(out), 30))] if out else None
        if base is not None and r < 0.1:
            f = dict(base)  # exact copy
        elif base is not None and r < 0.25:
            sig = list(base["signature"])
            for slot in rng.sample(range(NUM_PERM), NUM_PERM // 10):
                sig[slot] = rng.getrandbits(32)
            f = {**base, "signature": sig, "exact": f"{rng.getrandbits(128):032x}"}
        elif base is not None and r < 0.55:
            terms = dict(base["terms"])
            for _ in range(6):
                w = f"w{rng.randrange(400)}"
                terms[w] = terms.get(w, 0) + 1
            f = {
                **base,
                "exact": f"{rng.getrandbits(128):032x}",
                "signature": [rng.getrandbits(32) for _ in range(NUM_PERM)],
                "lead_key": f"ld{rng.getrandbits(48):012x}",
                "terms": terms,
                "body_terms": {**base["body_terms"], f"b{rng.randrange(2000)}": 1},
            }
        else:
            terms = {}
            for _ in range(25):
                w = f"w{min(rng.randrange(400), rng.randrange(400))}"
                terms[w] = terms.get(w, 0) + 1
            ents = sorted({rng.randrange(60) for _ in range(4)})
            day = 20_500 + int(ts // 86400) % 400
            f = {
                "source": f"outlet{rng.randrange(20)}.example",
                "title": f"synthetic {i}",
                "exact": f"{rng.getrandbits(128):032x}",
                "signature": [rng.getrandbits(32) for _ in range(NUM_PERM)],
                "n_shingles": rng.randrange(40, 400),
                "lead_key": f"ld{rng.getrandbits(48):012x}",
                "numbers": sorted({str(rng.randrange(50)) for _ in range(4)}),
                "lead_numbers": [str(rng.randrange(20))],
                "terms": terms,
                "body_terms": {
                    f"b{min(rng.randrange(2000), rng.randrange(2000))}": 1 + j % 3
                    for j in range(30)
                },
                "entities": [
                    {
                        "id": f"E{e}",
                        "name": f"Entity {e}",
                        "type": "GPE" if e < 20 else "ORG",
                        "count": 1 + e % 3,
                    }
                    for e in ents
                ],
                "dates": [f"2026-{1 + day % 12:02d}-{1 + day % 28:02d}"],
            }
        out.append({**f, "id": f"s{i:05d}", "published_ts": ts, "published_at": f"t{i}"})
    return out
