"""A cheap, realistic raw-article stream for the pipeline benchmark (no model, no network).

Articles are built from templated sentences that carry named entities, dates and numbers,
mixed with filler sentences from a word list, in paragraphs, with the scraping noise the
cleaner removes (view counters, "Read also" labels, trailing tag lines). Lengths run from
150 to 1,500 words. About 20% of the stream repeats an earlier article: exact copies under
another outlet, near copies (a few words changed, other noise), and rewrites of the same
story (same entities and facts, other sentences). Several outlets, times over three days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

PEOPLE = [
    "Benjamin Netanyahu", "Emmanuel Macron", "Keir Starmer", "Volodymyr Zelensky",
    "Ursula von der Leyen", "Xi Jinping", "Narendra Modi", "Friedrich Merz", "Donald Trump",
    "Antonio Guterres", "Recep Tayyip Erdogan", "Giorgia Meloni", "Luiz Inacio Lula da Silva",
    "Christine Lagarde", "Mark Rutte", "Maria Lopez", "John Harris", "Akira Tanaka",
    "Fatima Bello", "Lars Eriksson",
]  # fmt: skip
ORGS = [
    "European Commission", "United Nations", "NATO", "World Health Organization",
    "Bank of England", "European Central Bank", "International Monetary Fund", "Siemens",
    "Reuters", "Red Cross", "Ministry of Defence", "Supreme Court", "Toyota",
    "Northwind Logistics", "Federal Reserve",
]  # fmt: skip
PLACES = [
    "Berlin", "Kyiv", "Paris", "Tokyo", "Nairobi", "Brazil", "Washington", "London", "Gaza",
    "Tehran", "Warsaw", "Istanbul", "New Delhi", "Lagos", "Stockholm", "Madrid", "Beijing",
]  # fmt: skip
TOPICS = [
    "the ceasefire proposal", "energy prices", "the trade agreement", "the new budget",
    "interest rates", "the flood response", "grain exports", "the election timetable",
    "drone attacks", "the hostage negotiations", "a vaccine rollout", "the port strike",
]  # fmt: skip
OUTLETS = [
    "reuters.example", "apnews.example", "unn.example", "dailywire.example", "lemonde.example",
    "kyivpost.example", "nikkei.example", "guardian.example", "dw.example", "aljazeera.example",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July"]
_WORD_LIST = (
    "the a of to and in that for on with as at by from this was were will would could said "
    "officials government people country year week talks plan deal report statement security "
    "economic support public meeting forces region border city market prices growth policy "
    "minister president leaders agency pressure decision issue vote parliament court case law "
    "military aid crisis workers companies investors analysts data figures rise fall months "
    "days hours local national international after before during while since under over "
    "about against between more most new old first last next early late further major key "
    "recent previous possible likely expected announced confirmed warned urged called added "
    "noted told reported described signed rejected approved delayed agreed discussed raised "
    "cut increased reduced remained continued began ended held met visited left returned"
)
WORDS = _WORD_LIST.split()

SENTENCES = [
    "{p1} met {p2} in {place} on {wd} to discuss {topic}.",
    "The {org} said on {wd} that {topic} would be reviewed by {month} {day}.",
    "\"We will not accept any delay,\" {p1} told reporters in {place}.",
    "Officials at the {org} expect a decision within {n} days, according to two people "
    "familiar with the matter.",
    "{p2} is due to travel to {place2} next week, where talks on {topic} resume on {month} "
    "{day}.",
    "At least {num} people were affected in {place}, the {org} said in a statement on {wd}.",
    "Speaking in {place2} on {month} {day}, {p1} said the {org} had been informed.",
    "The announcement came {n} days ago, shortly after {p2} arrived in {place} at 14:30 "
    "local time.",
    "Critics in {place2} accused the {org} of moving too slowly on {topic}.",
    "{p1}'s office said a joint statement with {p2} would follow later this week.",
]  # fmt: skip


def _sentence(rng: random.Random, story: dict[str, Any]) -> str:
    if rng.random() < 0.45:
        return rng.choice(SENTENCES).format(
            p1=rng.choice(story["people"]), p2=rng.choice(story["people"][::-1]),
            org=rng.choice(story["orgs"]), place=story["place"], place2=rng.choice(PLACES),
            topic=story["topic"], wd=rng.choice(WEEKDAYS), month=rng.choice(MONTHS),
            day=rng.randint(1, 28), n=rng.randint(2, 12), num=rng.randint(3, 900),
        )  # fmt: skip
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _body(rng: random.Random, story: dict[str, Any], words: int) -> tuple[str, str]:
    title = (
        f"{story['people'][0]} and {story['orgs'][0]} clash over {story['topic']} "
        f"in {story['place']}"
    )
    paragraphs: list[str] = []
    count = 0
    while count < words:
        para = " ".join(_sentence(rng, story) for _ in range(rng.randint(3, 5)))
        paragraphs.append(para)
        count += len(para.split())
        if rng.random() < 0.08:
            paragraphs.append(f"• {rng.randint(10, 9000)} views")
        if rng.random() < 0.05:
            paragraphs.append("Read also")
    paragraphs += ["", story["place"], story["orgs"][0], "Politics"]
    return title, "\n\n".join(paragraphs)


def _near_copy(rng: random.Random, body: str) -> str:
    words = body.split(" ")
    for _ in range(max(3, len(words) // 60)):
        i = rng.randrange(len(words))
        words[i] = rng.choice(WORDS)
    return (
        f"{rng.choice(OUTLETS)} • News\n\n" + " ".join(words) + f"\n\n• {rng.randint(5, 99)} views"
    )


def generate(
    n: int, *, seed: int = 11, id_prefix: str = "a", dup_share: float = 0.2
) -> list[dict[str, Any]]:
    """``n`` raw article events (dicts matching schemas/raw-article.v1.json)."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    originals: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for i in range(n):
        aid = f"{id_prefix}-{i:06d}"
        outlet = rng.choice(OUTLETS)
        when = base + timedelta(seconds=i * 259_200 / max(n, 1) + rng.randint(0, 600))
        tz = timezone(timedelta(hours=rng.choice([0, 1, 2, 3, -5])))
        kind = "new"
        if originals and rng.random() < dup_share:
            kind = rng.choice(["exact", "near", "story"])
        if kind == "new":
            story = {
                "people": rng.sample(PEOPLE, 3), "orgs": rng.sample(ORGS, 2),
                "place": rng.choice(PLACES), "topic": rng.choice(TOPICS),
            }  # fmt: skip
            words = int(min(1500, max(150, rng.lognormvariate(6.0, 0.55))))
            title, body = _body(rng, story, words)
        else:
            src, story = rng.choice(originals)
            when = max(when, datetime.fromisoformat(src["published_at"]) + timedelta(minutes=5))
            if kind == "exact":
                title, body = src["title"], src["body"]
            elif kind == "near":
                title, body = src["title"].upper(), _near_copy(rng, src["body"])
            else:
                title, body = _body(rng, story, len(src["body"].split()))
                title = f"{story['place']}: {story['topic']} dispute deepens"
        article = {
            "id": aid, "source": outlet, "url": f"https://{outlet}/news/{aid}", "title": title,
            "body": body, "published_at": when.astimezone(tz).isoformat(timespec="seconds"),
            "language": "en",
        }  # fmt: skip
        out.append(article)
        if kind == "new":
            originals.append((article, story))
    return out
