"""Entities: gazetteer, cleaning, linking, propagation and the seed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.enrich import Enricher, load_pipeline
from service.enrich.entities import NerSpan, extract_entities
from service.enrich.gazetteer import Gazetteer, entity_id, slug

SEED = Path(__file__).resolve().parents[2].parent / "shared/seeds/unn-secret-talks-2026-03-05.txt"
SEED_TITLE = (
    "US and Iran may have held secret talks behind Israel's back, Netanyahu demands explanation"
)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return load_pipeline()


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def by_id(ents: list[dict]) -> dict[str, dict]:
    return {e["id"]: e for e in ents}


def test_slug_and_id() -> None:
    assert slug("Élysée Palace") == "elysee-palace"
    assert entity_id("PERSON", "Benjamin Netanyahu") == "person:benjamin-netanyahu"


def test_gazetteer_size_and_lookup(gaz: Gazetteer) -> None:
    assert 600 <= len(gaz) <= 1000
    entry = gaz.lookup("IDF")
    assert entry is not None and entry.name == "Israel Defense Forces"
    assert gaz.fuzzy("Volodymir Zelensky", "PERSON") is not None


def test_gazetteer_word_boundaries(gaz: Gazetteer) -> None:
    hits = gaz.find("USAID and Iranians; the UNNs; Iran04.03.26")
    names = [(h.entry.name, h.start) for h in hits]
    assert ("Iranian", 10) in names
    assert ("Iran", 30) in names  # digits glued on by scraping are allowed
    assert all(n != "United States" for n, _ in names)
    assert all(n != "UNN" for n, _ in names)


def test_pure_merge_strips_the_and_possessive(gaz: Gazetteer) -> None:
    text = "The Acme Widgets's plant in the Lower Dale opened."
    spans = [NerSpan("text", 0, 19, "ORG"), NerSpan("text", 28, 42, "LOC")]
    ents = extract_entities("", text, spans, gaz)
    assert [(e["name"], e["type"]) for e in ents] == [
        ("Acme Widgets", "ORG"),
        ("Lower Dale", "LOC"),
    ]
    m = ents[0]["mentions"][0]
    assert text[m["start"] : m["end"]] == "Acme Widgets"


def test_non_entity_labels_dropped(gaz: Gazetteer) -> None:
    text = "Some 3016 views and $43 on Tuesday."
    spans = [NerSpan("text", 5, 9, "CARDINAL"), NerSpan("text", 20, 23, "MONEY"),
             NerSpan("text", 27, 34, "DATE")]  # fmt: skip
    assert extract_entities("", text, spans, gaz) == []


def test_surname_links_to_full_name_of_unknown_person(gaz: Gazetteer) -> None:
    text = "Stepan Haftko wrote the piece. Later, Haftko added details."
    spans = [NerSpan("text", 0, 13, "PERSON")]
    ents = extract_entities("", text, spans, gaz, lead_end=31)
    assert len(ents) == 1 and ents[0]["id"] == "person:stepan-haftko" and ents[0]["count"] == 2


def test_weak_surname_prefers_person_in_article(gaz: Gazetteer) -> None:
    text = "John Harris, a farmer, spoke. Harris said the harvest failed."
    spans = [NerSpan("text", 0, 11, "PERSON")]
    ents = extract_entities("", text, spans, gaz, lead_end=len(text))
    assert [e["id"] for e in ents] == ["person:john-harris"]
    assert ents[0]["count"] == 2


def test_one_name_under_two_model_types_is_one_entity(gaz: Gazetteer) -> None:
    title = "Robbers hit Vellaron jeweller"
    text = "Police in Vellaron said the shop in Vellaron was hit."
    spans = [NerSpan("title", 12, 20, "ORG"), NerSpan("text", 10, 18, "GPE"),
             NerSpan("text", 36, 44, "GPE")]  # fmt: skip
    ents = extract_entities(title, text, spans, gaz)
    assert [(e["id"], e["count"]) for e in ents] == [("gpe:vellaron", 3)]
    # a tie goes to the first mention (the title's)
    ents = extract_entities(title, text, spans[:2], gaz)
    assert [(e["id"], e["count"]) for e in ents] == [("org:vellaron", 2)]


def test_propagation_beyond_lead(gaz: Gazetteer) -> None:
    text = (
        "Acme Widgets Ltd opened a plant. " + "Filler words here. " * 30 + "Acme Widgets Ltd grew."
    )
    spans = [NerSpan("text", 0, 16, "ORG")]
    ents = extract_entities("", text, spans, gaz, lead_end=33)
    assert ents[0]["count"] == 2


def test_load_pipeline_is_cached_and_lean(enricher: Enricher) -> None:
    assert load_pipeline() is enricher
    assert "parser" not in enricher.nlp.pipe_names and "ner" in enricher.nlp.pipe_names


def test_output_shape(enricher: Enricher) -> None:
    ents = enricher.entities(
        "Zelensky meets Macron", "Volodymyr Zelensky met Emmanuel Macron in Paris."
    )
    assert ents[0]["id"] == "person:volodymyr-zelensky"
    for e in ents:
        assert set(e) == {"id", "name", "type", "mentions", "count"}
        assert e["type"] in {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "MISC"}
        assert e["count"] == len(e["mentions"])
        for m in e["mentions"]:
            assert set(m) == {"text", "field", "start", "end"}


def test_language(enricher: Enricher) -> None:
    assert enricher.language("Talks", "The talks were held in Geneva and the sides said") == "en"
    assert enricher.language("Переговори", "Україна і США провели переговори") == "uk"


def test_seed_article(enricher: Enricher) -> None:
    if not SEED.exists():
        pytest.skip("shared seed article missing")
    text = SEED.read_text("utf-8")
    ents = by_id(enricher.entities(SEED_TITLE, text))
    bibi = ents["person:benjamin-netanyahu"]
    surfaces = {m["text"] for m in bibi["mentions"]}
    assert {"Netanyahu", "Benjamin Netanyahu"} <= surfaces
    assert sum(1 for e in ents.values() if "Netanyahu" in e["name"]) == 1
    assert ents["org:israel-defense-forces"]["name"] == "Israel Defense Forces"
    assert {"IDF"} == {m["text"] for m in ents["org:israel-defense-forces"]["mentions"]}
    assert ents["org:white-house"]["type"] == "ORG"
    assert "person:donald-trump" in ents and "person:steve-witkoff" in ents
    for e in ents.values():
        for m in e["mentions"]:
            src = SEED_TITLE if m["field"] == "title" else text
            assert src[m["start"] : m["end"]] == m["text"]


def test_named_storms_and_cop_are_events(gaz: Gazetteer) -> None:
    text = "Storm Darragh hit Wales before COP30; Storm Shadow missiles were fired."
    names = {(e["name"], e["type"]) for e in extract_entities("", text, [], gaz)}
    assert ("Storm Darragh", "EVENT") in names and ("COP30", "EVENT") in names
    assert all("Shadow" not in n for n, _ in names)


def test_context_retypes_model_guesses(gaz: Gazetteer) -> None:
    text = "Lava hit the Zorvik peninsula near the Qarsh border crossing before the Vell Finals."
    spans = [
        NerSpan("text", text.index(w), text.index(w) + len(w), label)
        for w, label in (("Zorvik", "ORG"), ("Qarsh", "PERSON"), ("Vell", "ORG"))
    ]
    ents = {(e["name"], e["type"]) for e in extract_entities("", text, spans, gaz)}
    assert ents == {("Zorvik peninsula", "LOC"), ("Qarsh", "LOC"), ("Vell Finals", "EVENT")}


def test_place_cue_covers_coordination_and_generic_words_dropped(gaz: Gazetteer) -> None:
    text = "Plants in Renlow and Evermoor shut, Press Secretary Ann Lee said."
    spans = [
        NerSpan("text", text.index(w), text.index(w) + len(w), label)
        for w, label in (("Renlow", "GPE"), ("Evermoor", "PERSON"), ("Press", "ORG"))
    ]
    spans.append(NerSpan("text", text.index("Ann Lee"), text.index("Ann Lee") + 7, "PERSON"))
    ents = {(e["name"], e["type"]) for e in extract_entities("", text, spans, gaz)}
    assert ents == {("Renlow", "GPE"), ("Evermoor", "GPE"), ("Ann Lee", "PERSON")}


def test_span_across_title_and_body_is_split(enricher: Enricher) -> None:
    class FakeDoc:
        def __init__(self, text: str) -> None:
            start = text.index("Mozambique")
            end = text.index("Chido") + len("Chido")
            ent = type("E", (), {"start_char": start, "end_char": end, "label_": "ORG"})
            self.ents = [ent]

    class FakeNlp:
        def pipe(self, texts: list[str], batch_size: int = 1) -> list[FakeDoc]:
            return [FakeDoc(t) for t in texts]

    fake = Enricher(FakeNlp(), enricher.gazetteer, cache_size=0)
    ents = fake.entities("Cyclone hits Mozambique", "Cyclone Chido tore through the north.")
    names = {(e["name"], e["type"]) for e in ents}
    assert ("Mozambique", "GPE") in names and ("Cyclone Chido", "EVENT") in names


def _spans(text: str, *pairs: tuple[str, str]) -> list[NerSpan]:
    return [NerSpan("text", text.index(w), text.index(w) + len(w), label) for w, label in pairs]


def test_inner_possessive_splits_when_the_owner_is_a_name(gaz: Gazetteer) -> None:
    text = "Cranes stood at Ostrava's Velka terminal; Ostrava officials and Tel's Diner staff met."
    spans = _spans(text, ("Ostrava's Velka", "GPE"), ("Ostrava", "GPE"), ("Tel's Diner", "ORG"))
    ents = {(e["name"], e["type"]) for e in extract_entities("", text, spans, gaz)}
    # the owner is a name found alone in the article: two names; "Tel" is not, so the
    # possessive belongs to the name
    assert ents == {("Ostrava", "GPE"), ("Velka", "GPE"), ("Tel's Diner", "ORG")}
    # a gazetteer name as the owner is enough on its own
    text = "Workers at Paris's Orlyville depot struck."
    ents = extract_entities("", text, _spans(text, ("Paris's Orlyville", "FAC")), gaz)
    assert {e["name"] for e in ents} == {"Paris", "Orlyville"}


def test_time_zones_months_and_weekdays_are_never_entities(gaz: Gazetteer) -> None:
    text = "Trading closed at 10:00 GMT (UTC+2) on Monday in October, Acme Widgets said."
    spans = _spans(text, ("GMT", "ORG"), ("UTC+2", "ORG"), ("Monday", "PERSON"),
                   ("October", "ORG"), ("Acme Widgets", "ORG"))  # fmt: skip
    assert [e["name"] for e in extract_entities("", text, spans, gaz)] == ["Acme Widgets"]


def test_demonym_adjectives_dropped_groups_kept(gaz: Gazetteer) -> None:
    text = "European importers and Israeli officials met Europeans and Palestinians."
    spans = _spans(text, ("European", "NORP"), ("Palestinians", "NORP"))
    ents = extract_entities("", text, spans, gaz)
    surfaces = {m["text"] for e in ents for m in e["mentions"]}
    assert surfaces == {"Europeans", "Palestinians"}
    assert all(e["type"] == "NORP" for e in ents)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Netanyahu wants answers from Washington over Iran.",
            "org:government-of-the-united-states",
        ),
        ("Moscow has warned Kyiv against strikes.", "org:government-of-russia"),
        ("Talks with Tehran resumed.", "org:government-of-iran"),
        ("He flew from Washington to Moscow on Monday.", "gpe:washington-d-c"),
        ("Protesters marched in Moscow.", "gpe:moscow"),
        ("Rain fell on Lyon, officials said.", None),  # a capital not in governments.tsv
    ],
)
def test_capital_acting_is_its_government(gaz: Gazetteer, text: str, expected: str | None) -> None:
    ids = [e["id"] for e in extract_entities("", text, [], gaz)]
    if expected is None:
        assert not any(i.startswith("org:government") for i in ids)
    else:
        assert ids[0] == expected or expected in ids
        if expected.startswith("gpe:"):
            assert not any(i.startswith("org:government") for i in ids)


def test_governments_table_names_known_entities(gaz: Gazetteer) -> None:
    washington = gaz.lookup("Washington")
    assert washington is not None
    gov = gaz.government_of(washington)
    assert gov is not None and gov.type == "ORG"
    lyon = gaz.lookup("Lyon")
    assert lyon is None or gaz.government_of(lyon) is None


def test_sentence_opening_common_word_is_not_a_name(gaz: Gazetteer) -> None:
    text = "Schools shut. Twelve people died.\nSporting lost. Fans of Sporting wept. Quorvex said."
    spans = _spans(text, ("Schools", "ORG"), ("Twelve", "ORG"), ("Sporting", "ORG"),
                   ("Quorvex", "PERSON"))  # fmt: skip
    names = {e["name"] for e in extract_entities("", text, spans, gaz)}
    # "Sporting" is capitalised inside a sentence too: a name; "Quorvex" is no English word
    assert names == {"Sporting", "Quorvex"}
    text = "Magnitude 5.9 quake hits. The magnitude was revised."
    assert extract_entities("", text, _spans(text, ("Magnitude", "ORG")), gaz) == []


def test_compound_adjective_keeps_the_name(gaz: Gazetteer) -> None:
    text = "The Brenlow-based firm hired a Kyiv-born chef."
    spans = _spans(text, ("Brenlow-based", "ORG"), ("Kyiv-born", "NORP"))
    ents = extract_entities("", text, spans, gaz)
    assert {e["name"] for e in ents} == {"Brenlow", "Kyiv"}


def test_nameless_sentences_are_blanked_for_the_model() -> None:
    from service.enrich.entities import common_words
    from service.enrich.pipeline import blank_nameless

    text = "The talks ended ($23.4 million). Smith said so.\nIt rained. Officials in Paris met."
    out = blank_nameless(text, common_words())
    assert len(out) == len(text)  # offsets stay valid
    assert out.split() == ["Smith", "said", "so.", "Officials", "in", "Paris", "met."]


def test_bundled_model_is_pinned_by_hash(tmp_path: Path) -> None:
    import shutil

    from service.enrich.nermodel import ModelIntegrityError, bundled_path, verify

    assert verify(bundled_path()) >= 5
    copy = tmp_path / "model"
    shutil.copytree(bundled_path(), copy)
    with (copy / "ner" / "model").open("r+b") as fh:  # flip one byte of the weights
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        verify(copy)
    (copy / "MANIFEST.sha256").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify(copy)


def test_default_covers_the_whole_body(enricher: Enricher) -> None:
    filler = "Officials said the talks would go on. " * 60
    ents = enricher.entities("Talks resume", filler + "Later, Peter Kovisto met Anna Lindqvist.")
    names = {e["name"] for e in ents}
    assert {"Peter Kovisto", "Anna Lindqvist"} <= names  # not in the gazetteer
    lead_only = Enricher(enricher.nlp, enricher.gazetteer, lead_words=50, cache_size=0)
    body = filler + "Later, Peter Kovisto met Anna Lindqvist."
    assert "Peter Kovisto" not in {e["name"] for e in lead_only.entities("Talks resume", body)}


def test_huge_body_reads_a_bounded_prefix_and_propagates(enricher: Enricher) -> None:
    from service.enrich.pipeline import NER_MAX_CHARS

    filler = "Officials said the talks would go on. " * (NER_MAX_CHARS // 38 + 10)
    body = "Peter Kovisto met Anna Lindqvist. " + filler + "Later, Kovisto left."
    joined, _, cut = enricher._ner_input("Talks", body)
    assert cut is not None and cut <= NER_MAX_CHARS and len(joined) < NER_MAX_CHARS + 10
    ents = {e["name"]: e for e in enricher.entities("Talks", body)}
    assert ents["Peter Kovisto"]["count"] == 2  # the late surname is propagated
