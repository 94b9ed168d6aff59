"""Canonical entities from gazetteer hits and statistical NER spans (pure; no spaCy here).

Steps, per article:

1. gazetteer matches over the whole title and text (Aho-Corasick, word-boundary checked);
2. NER spans (from the lead only, by default) are cleaned: no DATE/CARDINAL/MONEY-like labels,
   no leading "the", possessive "'s" or job titles, nothing spanning a line break;
3. overlaps: a NER span strictly containing a gazetteer hit wins ("Bank of Israel"), otherwise
   the gazetteer wins;
4. NER names are canonicalised by exact then fuzzy (``fuzz.ratio``) alias match within the type;
5. names found in the lead are propagated to later mentions in the body, surnames included;
6. within-document linking: a bare surname goes to the full name in the same article.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from service.enrich.gazetteer import GazEntry, Gazetteer, entity_id

__all__ = ["NER_LABELS", "NerSpan", "extract_entities"]

# spaCy OntoNotes labels -> ours; anything else (DATE, CARDINAL, MONEY, ...) is dropped.
NER_LABELS = {
    "PERSON": "PERSON", "ORG": "ORG", "GPE": "GPE", "LOC": "LOC", "FAC": "LOC", "NORP": "NORP",
    "EVENT": "EVENT", "PRODUCT": "MISC", "WORK_OF_ART": "MISC", "LAW": "MISC", "MISC": "MISC",
    "PER": "PERSON",
}  # fmt: skip

_TITLES = re.compile(
    r"^(?:(?:(?:former|then|acting|interim|incoming|outgoing|deputy|vice|US|U\.S\.|Israeli"
    r"|Iranian|Ukrainian|Russian|British|French|German|Chinese|American|Special|Foreign"
    r"|Defen[cs]e|Prime|Finance|Interior|Health|Crown|Supreme|Chief|Senior|Presidential"
    r"|National Security|Secretary of State|Secretary|Minister|President|Chancellor"
    r"|Speaker|Leader|Envoy|Adviser|Advisor|Spokesman|Spokeswoman|Spokesperson|King|Queen"
    r"|Prince|Princess|Pope|Emir|Sheikh|Ayatollah|Senator|Sen\.|Rep\.|Gov\.|Governor"
    r"|Mayor|General|Gen\.|Lt\.|Col\.|Colonel|Commander|Admiral|Judge|Justice|Dr\.|Dr"
    r"|Mr\.|Mrs\.|Ms\.|Mr|Mrs|Ms|Sir|Dame|Lord|Lady|CEO|chief executive|coach|striker"
    r"|midfielder|goalkeeper|defender|manager|captain|star|actor|singer|journalist)\s+)+)"
)
# Head-word cues that fix the small model's most common type confusions.
_EVENT_PREFIX = re.compile(r"(?:Storm|Hurricane|Cyclone|Typhoon|Tropical Storm|Operation)\s+$")
_TYPE_BY_HEAD = [
    (re.compile(r"^(?:Storm|Hurricane|Cyclone|Typhoon|Operation|COP\d+)\b|\b(?:Open|Finals|Cup"
                r"|Games|Olympics|Championships?|Summit|Festival|War)$"), "EVENT"),
    (re.compile(r"\b(?:Forces|Army|Party|Committee|Office|Agency|Service|Department|Ministry"
                r"|Council|Bank|Group|Corp\.?|Inc\.?|Ltd|University|Center|Centre|Association"
                r"|Union|Organi[sz]ation|Federation|Institute|Commission|Court|Police)$"), "ORG"),
    (re.compile(r"\b(?:Arena|Stadium|Palace|Square|Airport|Bridge|Highway|Peninsula|peninsula"
                r"|Mountains|River|Sea|Ocean|Lake|Islands?|Valley|Desert|Park|Strait)$"), "LOC"),
    (re.compile(r"\b(?:County|Province|Oblast|Region|State)$"), "GPE"),
]  # fmt: skip
_PLACE_CUE = re.compile(
    r"(?:\b(?:in|near|outside|northern|southern|eastern|western|central|town of|city of"
    r"|village of|region of|province of|territory of|capital)\s+"
    r"(?:[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?\s+and\s+)?)$"  # "in Renton and Everett"
)
# A lowercase geographic noun right after a name makes it a place ("the Reykjanes peninsula",
# "the Torkham border crossing"; a feature noun joins the name); a capitalised event noun
# extends it ("ATP Finals").
_FEATURE_AFTER = re.compile(
    r"\s+(?:peninsula|river|valley|mountains|mountain range|island|islands|archipelago|desert"
    r"|strait|lake|plateau|glacier|volcano)(?![\w-])"
)
_LOC_AFTER = re.compile(r"\s+(?:border crossing|crossing|pass)(?![\w-])")
_EVENT_AFTER = re.compile(
    r"\s+(?:Open|Finals|Cup|Games|Olympics|Championships?|Grand Prix|Summit)(?![\w-])"
)
# Named storms and UN climate conferences, found by pattern over the whole text (the small
# model rarely tags them); "Storm Shadow" is a missile and "Hurricane Center" an office.
_NAMED_EVENT = re.compile(
    r"(?<![\w-])(?:(?:Tropical Storm|Storm|Hurricane|Cyclone|Typhoon)\s+(?!Shadow\b)"
    r"[A-Z][a-z]{2,}(?![\w-])(?!\s+[A-Z])|COP\d{1,2}(?![\w-]))"
)
_EVENT_CUES = ("Storm", "Hurricane", "Cyclone", "Typhoon", "COP")
# Capitalised words the model tags on their own that are never an entity alone
# ("Secretary of State Marco Rubio", "Press Secretary Karoline Leavitt").
_NOT_NAMES = frozenset({"State", "Press", "Secretary", "Minister", "President", "Premier"})
# General categories that are never an entity on their own: time zones, months, weekdays
# (not May, June, August: also names).
_NEVER_ALONE = frozenset(
    "GMT UTC BST CET CEST EET EEST WET MSK EST EDT CST CDT MST MDT PST PDT AKST HST IST"  # noqa: SIM905
    " JST KST HKT SGT AEST AEDT AWST NZST NZDT"
    " January February March April July September October November December"
    " Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
    " Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_ZONE_OFFSET = re.compile(r"^(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d\d)?$")
# "Rotterdam's Maasvlakte": the owner and the owned are two names.
_INNER_POSSESSIVE = re.compile(r"['’]s\s+(?=[A-Z])")
# Words right after a place name that make it the country's government speaking or acting
# (metonymy: "Washington said", "Moscow has warned", "Tehran denies").
_GOV_AFTER = re.compile(
    r"\s+(?:(?:has|had|have|is|was|will|would|could|may|might|did|does|also|again|now|then"
    r"|has\s+also|had\s+also)\s+)?(?:said|says|say|want|wants|wanted|warn|warns|warned"
    r"|den(?:y|ies|ied)|insist|insists|insisted|accuse[sd]?|demand|demands|demanded"
    r"|reject|rejects|rejected|announce[sd]?|urge[sd]?|respond(?:s|ed)?|claim(?:s|ed)?"
    r"|threaten(?:s|ed)?|agree[sd]?|refuse[sd]?|condemn(?:s|ed)?|hope[sd]?|believe[sd]?"
    r"|seek|seeks|sought|told|tells|signal(?:s|led|ed)?|approve[sd]?|impose[sd]?"
    r"|pledge[sd]?|promise[sd]?|expect(?:s|ed)?|vow(?:s|ed)?|backs|backed|opposes|opposed"
    r"|summoned|summons|recalled|sanctioned|retaliated|blamed|blames|welcomed|welcomes)\b"
)
# ... or words right before it: "answers from Washington", "talks with Tehran".
_GOV_BEFORE = re.compile(
    r"\b(?:answers?|pressure|support|demands?|signals?|response|message|backing|criticism"
    r"|warnings?|talks|ties|relations|contacts?|deal|agreement|negotiations|dialogue"
    r"|sanctions|assurances|guarantees|approval|permission|consent|objections?|protests?)"
    r"\s+(?:from|with|by|against|between)\s+$",
    re.IGNORECASE,
)
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_TRAILING = re.compile(r"(?:['’]s|['’])$")
_EDGE_PUNCT = " \t\"'“”‘’()[]{},.;:!?-–—•*|/"


@dataclass(frozen=True, slots=True)
class NerSpan:
    """A statistical NER span: character offsets into one field, OntoNotes label."""

    field: str
    start: int
    end: int
    label: str


@dataclass(slots=True)
class _Mention:
    field: str
    start: int
    end: int
    text: str
    type: str
    entry: GazEntry | None
    weak: bool = False
    from_ner: bool = False
    key: str = ""  # canonical id once resolved
    name: str = ""


def _clean_span(text: str, start: int, end: int, etype: str) -> tuple[int, int] | None:
    """Trim noise off a NER span; ``None`` if nothing entity-like is left."""
    surface = text[start:end]
    if "\n" in surface:  # scraped lines glued together: keep the first line
        cut = surface.index("\n")
        end = start + cut
        surface = surface[:cut]
    # strip edges repeatedly: punctuation, "the", possessive, job titles
    for _ in range(4):
        before = (start, end)
        stripped = surface.lstrip(_EDGE_PUNCT)
        start += len(surface) - len(stripped)
        surface = stripped
        m = _LEADING_THE.match(surface)
        if m:
            start += m.end()
            surface = surface[m.end() :]
        if etype == "PERSON":
            m = _TITLES.match(surface)
            if m and m.end() < len(surface):
                start += m.end()
                surface = surface[m.end() :]
        m2 = _TRAILING.search(surface)
        if m2:
            end -= len(m2.group(0))
            surface = surface[: m2.start()]
        tail = re.search(r"(?:\s+[a-z][\w-]*)+$", surface)
        if tail and tail.start() > 0:
            end -= len(surface) - tail.start()
            surface = surface[: tail.start()]
        stripped = surface.rstrip(_EDGE_PUNCT.replace(".", ""))
        end -= len(surface) - len(stripped)
        surface = stripped
        if (start, end) == before:
            break
    adj = _COMPOUND_ADJ.search(surface)
    if adj:
        end -= len(surface) - adj.start()
        surface = surface[: adj.start()]
    if len(surface) < 2 or not any(c.isupper() for c in surface):
        return None
    if not any(c.isalpha() for c in surface):
        return None
    if etype == "PERSON" and (any(c.isdigit() for c in surface) or len(surface.split()) > 4):
        return None
    return start, end


def _retype(text: str, start: int, end: int, etype: str) -> tuple[str, int, int]:
    """Correct the label from head words and context ("Hurricane Melissa" is an EVENT,
    "in Rotterdam" a place); may extend the span over an event prefix or suffix."""
    prefix = _EVENT_PREFIX.search(text, max(0, start - 20), start)
    if prefix and prefix.end() == start:
        return "EVENT", prefix.start(), end
    suffix = _EVENT_AFTER.match(text, end)
    if suffix and etype in ("ORG", "GPE", "NORP", "MISC"):
        return "EVENT", start, suffix.end()
    surface = text[start:end]
    for pattern, label in _TYPE_BY_HEAD:
        if pattern.search(surface):
            return label, start, end
    if etype in ("ORG", "PERSON"):  # the model's usual guesses for unfamiliar places
        feature = _FEATURE_AFTER.match(text, end)
        if feature:
            return "LOC", start, feature.end()
        if _LOC_AFTER.match(text, end):
            return "LOC", start, end
    place = _PLACE_CUE.search(text, max(0, start - 40), start)
    if etype in ("ORG", "PERSON") and " " not in surface and place:
        return "GPE", start, end
    return etype, start, end


# Closed-class words a small corpus may miss: number words and indefinite pronouns.
_CLOSED_CLASS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"  # noqa: SIM905
    " sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty"
    " ninety hundred hundreds thousand thousands million millions dozen dozens"
    " nobody somebody anybody everybody noone someone anyone everyone nothing something"
    " anything everything none neither either each both several many few most".split()
)
# "Minneapolis-based", "Kyiv-born": the name is the part before the hyphen.
_COMPOUND_ADJ = re.compile(r"-(?:based|born|bred|led|backed|owned|run|made|listed|registered)$")
_SENTENCE_OPEN = re.compile(r"(?:^|[.!?:;\n•|]|\n)[\s\"'“‘(\[-]*$")


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-case words news writes as common nouns (data/common_words.txt, built from
    conll-train by bench/build_common_words.py)."""
    raw = resources.files("service.enrich").joinpath("data/common_words.txt").read_text("utf-8")
    return _CLOSED_CLASS | frozenset(
        w for w in raw.split() if not w.startswith("#") and w.islower()
    )


def _common_opener(m: _Mention, fields: dict[str, str], words: frozenset[str]) -> bool:
    """A lone capitalised word opening a sentence that is an ordinary word ("Schools in the
    province were shut", "Magnitude 5.9 earthquake"): common in English, or written in lower
    case in this very article, and never capitalised inside a sentence here."""
    if " " in m.text or "-" in m.text or not m.text[:1].isupper() or m.text.isupper():
        return False
    text = fields[m.field]
    if not _SENTENCE_OPEN.search(text, max(0, m.start - 8), m.start):
        return False
    low = m.text.lower()
    everywhere = f"{fields['title']}\n{fields['text']}"
    if low not in words and not re.search(rf"(?<![\w-]){re.escape(low)}(?![\w-])", everywhere):
        return False
    for hit in re.finditer(rf"(?<![\w-]){re.escape(m.text)}(?![\w-])", everywhere):
        if not _SENTENCE_OPEN.search(everywhere, max(0, hit.start() - 8), hit.start()):
            return False  # "... beat Sporting 2-1": a name after all
    return True


def _never_alone(surface: str) -> bool:
    """Generic words, time zones, months and weekdays are never an entity on their own."""
    return surface in _NOT_NAMES or surface in _NEVER_ALONE or bool(_ZONE_OFFSET.match(surface))


def _after_possessive(
    text: str, start: int, end: int, gazetteer: Gazetteer, names: set[str]
) -> list[tuple[int, int]]:
    """Split "Rotterdam's Maasvlakte" into "Rotterdam" and "Maasvlakte" when the owner is a
    name on its own: a gazetteer name, or one the model also found alone in the article.
    Otherwise the possessive is part of the name ("McDonald's Corp", "People's Party")."""
    for m in _INNER_POSSESSIVE.finditer(text, start, end):
        owner = text[start : m.start()]
        if gazetteer.lookup(owner) is not None or owner in names:
            return [(start, m.start()), (m.end(), end)]
    return [(start, end)]


def _demonym(m: _Mention) -> bool:
    """A one-word nationality adjective ("European", "Israeli") describes, it names nothing;
    a group of people ("Europeans", "Palestinians") stays."""
    return m.type == "NORP" and " " not in m.text and not m.text.endswith("s")


def _govern(mentions: list[_Mention], fields: dict[str, str], gazetteer: Gazetteer) -> None:
    """A capital city acting or spoken to is its government: "Netanyahu wants answers from
    Washington", "Moscow denied" -> the government entity, when the gazetteer knows it."""
    for m in mentions:
        if m.entry is None or m.entry.type != "GPE":
            continue
        gov = gazetteer.government_of(m.entry)
        if gov is None:
            continue
        text = fields[m.field]
        if _GOV_AFTER.match(text, m.end) or _GOV_BEFORE.search(text, max(0, m.start - 40), m.start):
            m.entry, m.key, m.name, m.type = gov, gov.id, gov.name, gov.type


def _merge(gaz: list[_Mention], ner: list[_Mention], gazetteer: Gazetteer) -> list[_Mention]:
    """Resolve overlaps between gazetteer hits and NER spans.

    Gazetteer hits are sorted and non-overlapping within a field, so the hits a NER span
    overlaps are found by bisecting on their ends instead of comparing every pair.
    """
    by_field: dict[str, tuple[list[int], list[int]]] = {}
    for i, g in enumerate(gaz):
        ends, idx = by_field.setdefault(g.field, ([], []))
        ends.append(g.end)
        idx.append(i)
    for ends, idx in by_field.values():
        order = sorted(range(len(idx)), key=lambda k: gaz[idx[k]].start)
        idx[:] = [idx[k] for k in order]
        ends[:] = [gaz[i].end for i in idx]
    kept_ner: list[_Mention] = []
    dropped_gaz: set[int] = set()
    for n in ner:
        table = by_field.get(n.field)
        inside: list[int] = []
        if table is not None:
            ends, idx = table
            k = bisect_right(ends, n.start)
            while k < len(idx) and gaz[idx[k]].start < n.end:
                inside.append(idx[k])
                k += 1
        if not inside:
            kept_ner.append(n)
            continue
        contains_all = all(n.start <= gaz[i].start and gaz[i].end <= n.end for i in inside)
        longer = any((n.end - n.start) > (gaz[i].end - gaz[i].start) for i in inside)
        if contains_all and longer and gazetteer.lookup(n.text) is None:
            kept_ner.append(n)
            dropped_gaz.update(inside)
    return [g for i, g in enumerate(gaz) if i not in dropped_gaz] + kept_ner


def _dedupe(ner: list[_Mention]) -> list[_Mention]:
    """Drop NER mentions overlapping an earlier, longer one (storm pattern vs model span)."""
    ner.sort(key=lambda m: (m.field, m.start, -(m.end - m.start)))
    out: list[_Mention] = []
    for m in ner:
        prev = out[-1] if out else None
        if prev is not None and prev.field == m.field and m.start < prev.end:
            continue
        out.append(m)
    return out


def _canonicalise(m: _Mention, gazetteer: Gazetteer) -> None:
    """Give a NER mention a gazetteer entry by exact, then fuzzy, alias match."""
    entry = gazetteer.lookup(m.text)
    if entry is None:
        entry = gazetteer.fuzzy(m.text, m.type)
    if entry is not None:
        m.entry = entry
        m.type = entry.type


def _occurrences(text: str, form: str, start: int) -> Iterable[tuple[int, int]]:
    """Word-bounded occurrences of ``form`` from ``start`` (str.find: no regex to compile)."""
    n = len(form)
    i = text.find(form, start)
    while i >= 0:
        before = text[i - 1] if i > 0 else " "
        after = text[i + n] if i + n < len(text) else " "
        if not (before.isalnum() or before in "_@#-" or after.isalpha() or after == "-"):
            yield i, i + n
        i = text.find(form, i + 1)


def _free(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    """Whether [s, e) overlaps none of the sorted, non-overlapping ``spans``."""
    k = bisect_right(spans, (s, e))
    if k and spans[k - 1][1] > s:
        return False
    return not (k < len(spans) and spans[k][0] < e)


def _propagate(mentions: list[_Mention], fields: dict[str, str], lead_end: int) -> list[_Mention]:
    """Find later mentions of names the lead's NER found, in text not already covered."""
    seeds = [m for m in mentions if m.from_ner]
    if not seeds:
        return mentions
    forms: dict[str, _Mention] = {}
    for m in seeds:
        forms.setdefault(m.text, m)
        parts = m.text.split()
        if m.type == "PERSON" and len(parts) >= 2 and parts[-1][:1].isupper():
            forms.setdefault(parts[-1], m)
    forms = {f: m for f, m in forms.items() if len(f) >= 3}
    if not forms:
        return mentions
    out = list(mentions)
    for fname, ftext in fields.items():
        start_at = lead_end if fname == "text" else len(ftext)
        if start_at >= len(ftext):
            continue
        hits = [(s, -(e - s), f) for f in forms for s, e in _occurrences(ftext, f, start_at)]
        if not hits:
            continue
        hits.sort()  # leftmost, then longest first
        # mentions never overlap within a field once merged, so their spans stay sorted
        spans = sorted((m.start, m.end) for m in mentions if m.field == fname)
        for s, neg_len, form in hits:
            e = s - neg_len
            if not _free(spans, s, e):
                continue
            src = forms[form]
            insort(spans, (s, e))
            out.append(_Mention(fname, s, e, form, src.type, src.entry, False, False))
    return out


def _link(mentions: list[_Mention]) -> None:
    """Assign canonical keys; bare surnames join the full name seen in the same article."""
    full_people: dict[str, list[_Mention]] = {}
    for m in mentions:
        if m.type == "PERSON" and len(m.text.split()) >= 2:
            full_people.setdefault(m.text.split()[-1], []).append(m)
    present_ids = {m.entry.id for m in mentions if m.entry is not None and not m.weak}
    for m in mentions:
        if m.type == "PERSON" and " " not in m.text:
            fulls = full_people.get(m.text, [])
            if m.weak and m.entry is not None and m.entry.id not in present_ids:
                others = [f for f in fulls if f.entry is None]
                if others:  # "John Harris ... Harris" is not Kamala Harris
                    m.entry, m.weak = None, False
                    m.name = others[0].text
            elif m.entry is None and fulls:
                target = fulls[0]
                m.entry = target.entry
                if target.entry is None:
                    m.name = target.text
        if m.entry is not None:
            m.key, m.name, m.type = m.entry.id, m.entry.name, m.entry.type
        else:
            m.name = m.name or m.text
    _one_type_per_name([m for m in mentions if m.entry is None])
    for m in mentions:
        if m.entry is None:
            m.key = entity_id(m.type, m.name)


def _one_type_per_name(unresolved: list[_Mention]) -> None:
    """One article, one entity per unresolved name: the model may call "Lyon" ORG in the
    title and GPE in the body; the type most mentions carry wins (the first mention breaks a
    tie), so a reader sees one Lyon, not two."""
    by_name: dict[str, list[_Mention]] = {}
    for m in unresolved:
        by_name.setdefault(m.name, []).append(m)
    for group in by_name.values():
        types = [m.type for m in sorted(group, key=lambda m: (m.field != "title", m.start))]
        if len(set(types)) < 2:
            continue
        winner = max(dict.fromkeys(types), key=types.count)  # first seen wins a tie
        for m in group:
            m.type = winner


def extract_entities(
    title: str,
    text: str,
    ner_spans: Sequence[NerSpan],
    gazetteer: Gazetteer,
    *,
    lead_end: int | None = None,
) -> list[dict]:
    """Canonical entities of one article, ordered by first mention (title first).

    ``ner_spans`` carry offsets into ``title`` or ``text``; ``lead_end`` is where NER stopped
    in ``text`` (``None``: NER saw all of it, nothing to propagate).
    """
    fields = {"title": title, "text": text}
    gaz: list[_Mention] = []
    for fname, ftext in fields.items():
        for h in gazetteer.find(ftext):
            entry = h.entry
            gaz.append(
                _Mention(fname, h.start, h.end, ftext[h.start : h.end], entry.type, entry, h.weak)
            )
    cleaned: list[tuple[str, int, int, str]] = []
    for span in ner_spans:
        etype = NER_LABELS.get(span.label)
        if etype is None:
            continue
        kept = _clean_span(fields[span.field], span.start, span.end, etype)
        if kept is not None:
            cleaned.append((span.field, *kept, etype))
    names = {fields[f][s:e] for f, s, e, _ in cleaned}
    ner: list[_Mention] = []
    for fname, start, end, label in cleaned:
        ftext = fields[fname]
        for s, e in _after_possessive(ftext, start, end, gazetteer, names):
            if _never_alone(ftext[s:e]):
                continue
            etype, s, e = _retype(ftext, s, e, label)
            ner.append(_Mention(fname, s, e, ftext[s:e], etype, None, from_ner=True))
    for fname, ftext in fields.items():
        if not any(cue in ftext for cue in _EVENT_CUES):  # a substring test is ~10x cheaper
            continue
        for hit in _NAMED_EVENT.finditer(ftext):
            s, e = hit.span()
            ner.append(_Mention(fname, s, e, hit.group(0), "EVENT", None, from_ner=True))
    ner = _dedupe(ner)
    mentions = _merge(gaz, ner, gazetteer)
    for m in mentions:
        if m.entry is None:
            _canonicalise(m, gazetteer)
    words = common_words()
    mentions = [
        m
        for m in mentions
        if not (m.from_ner and m.entry is None and _common_opener(m, fields, words))
    ]
    if lead_end is not None:
        mentions = _propagate(mentions, fields, lead_end)
    _link(mentions)
    _govern(mentions, fields, gazetteer)
    mentions = [m for m in mentions if not _demonym(m)]
    order = {"title": 0, "text": 1}
    mentions.sort(key=lambda m: (order[m.field], m.start))
    grouped: dict[str, dict] = {}
    for m in mentions:
        ent = grouped.get(m.key)
        if ent is None:
            ent = grouped[m.key] = {
                "id": m.key, "name": m.name, "type": m.type, "mentions": [], "count": 0,
            }  # fmt: skip
        ent["mentions"].append({"text": m.text, "field": m.field, "start": m.start, "end": m.end})
        ent["count"] += 1
    return list(grouped.values())
